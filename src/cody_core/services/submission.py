"""Handing a job to workers elsewhere (AWS Batch) and remembering where it went."""

from __future__ import annotations

from cody_core.errors import InputError
from cody_core.models import Job, JobStatus
from cody_core.policies.limits import repository_limit
from cody_core.ports import JobStore, JobSubmitter
from cody_core.services.jobs import require_job


class JobSubmission:
    """`cody job submit`: start workers for an unfinished job and record their id on it."""

    def __init__(self, store: JobStore, submitter: JobSubmitter):
        self._store = store
        self._submitter = submitter

    def submit(self, job_id: str, workers: int, max_repositories: int | None) -> Job:
        """`max_repositories` as `cody job run` takes it: 0 is all, None the job's own or 5."""
        job = require_job(self._store, job_id)
        if job.status.terminal:
            raise InputError(f"job {job_id} is already {job.status}: `cody job retry` reopens it")
        limit = repository_limit(max_repositories, job)
        batch_job_id = self._submitter.submit(job_id, workers, limit or 0)
        unfinished = [JobStatus.PENDING, JobStatus.IN_PROGRESS]
        recorded = self._store.transition_job(job_id, unfinished, {"batch_job_id": batch_job_id})
        return recorded or job.evolve(batch_job_id=batch_job_id)
