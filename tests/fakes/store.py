"""An in-memory JobStore that keeps the documents a real store keeps and records what happened."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from cody_core.errors import InputError
from cody_core.models import (
    Job,
    JobStatus,
    RepositoryRun,
    RunStatus,
    apply_changes,
    format_timestamp,
    runs_by_name,
)

Document = dict[str, Any]


class FakeJobStore:
    """Same conditions as the real stores; `writes` and `claims` record the calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Document] = {}
        self._runs: dict[str, dict[str, Document]] = {}
        self.writes = 0
        self.claims: list[tuple[str, str, str]] = []
        self.transitions: list[tuple[str, JobStatus]] = []

    def runs(self, job_id: str) -> list[RepositoryRun]:
        return list(self.iter_runs(job_id))

    def job_transitions(self, job_id: str, status: JobStatus) -> int:
        """How many transitions of the job ended in `status`."""
        return self.transitions.count((job_id, status))

    def create_job(self, job: Job, runs: Iterable[RepositoryRun]) -> None:
        documents = {name: run.to_document() for name, run in runs_by_name(job, runs).items()}
        with self._lock:
            if job.job_id in self._jobs:
                raise InputError(f"job {job.job_id} already exists")
            self._jobs[job.job_id] = job.to_document()
            self._runs[job.job_id] = documents
            self.writes += 1

    def get_job(self, job_id: str) -> Job | None:
        with self._lock:
            document = self._jobs.get(job_id)
        return None if document is None else Job.model_validate(document)

    def list_jobs(self) -> Iterator[Job]:
        with self._lock:
            documents = sorted(
                self._jobs.values(), key=lambda d: (d["createdAt"], d["jobId"]), reverse=True
            )
        return (Job.model_validate(d) for d in documents)

    def transition_job(
        self, job_id: str, allowed: Sequence[JobStatus], changes: dict[str, Any]
    ) -> Job | None:
        statuses = {str(s) for s in allowed}
        with self._lock:
            document = self._jobs.get(job_id)
            if document is None or document["status"] not in statuses:
                return None
            document = apply_changes(Job.model_validate(document), changes).to_document()
            self._jobs[job_id] = document
            self.writes += 1
            self.transitions.append((job_id, JobStatus(document["status"])))
        return Job.model_validate(document)

    def iter_runs(self, job_id: str) -> Iterator[RepositoryRun]:
        with self._lock:
            documents = sorted(self._runs.get(job_id, {}).items())
        return (RepositoryRun.model_validate(d) for _, d in documents)

    def get_run(self, job_id: str, repository_name: str) -> RepositoryRun | None:
        with self._lock:
            document = self._runs.get(job_id, {}).get(repository_name)
        return None if document is None else RepositoryRun.model_validate(document)

    def claim_run(
        self, job_id: str, repository_name: str, owner: str, now: datetime, lease_until: datetime
    ) -> RepositoryRun | None:
        def claimable(d: Document) -> bool:
            if d["status"] == RunStatus.PENDING:
                return True
            expires = d.get("leaseExpiresAt")
            in_progress = d["status"] == RunStatus.IN_PROGRESS
            return in_progress and expires is not None and expires < format_timestamp(now)

        def claim(run: RepositoryRun) -> RepositoryRun:
            return run.claimed(owner, now, lease_until)

        claimed = self._update_run(job_id, repository_name, claimable, claim)
        if claimed is not None:
            with self._lock:
                self.claims.append((job_id, repository_name, owner))
        return claimed

    def renew_lease(
        self, job_id: str, repository_name: str, owner: str, lease_until: datetime
    ) -> bool:
        def leased(d: Document) -> bool:
            return d["status"] == RunStatus.IN_PROGRESS and d.get("leaseOwner") == owner

        def renew(run: RepositoryRun) -> RepositoryRun:
            return apply_changes(run, {"lease_expires_at": lease_until})

        renewed = self._update_run(job_id, repository_name, leased, renew)
        return renewed is not None

    def save_run(self, run: RepositoryRun) -> RepositoryRun | None:
        def unchanged(d: Document) -> bool:
            return d.get("leaseOwner") == run.lease_owner and d["version"] == run.version

        return self._update_run(
            run.job_id,
            run.repository_name,
            unchanged,
            lambda _: run.model_copy(update={"version": run.version + 1}),
        )

    def transition_run(
        self,
        job_id: str,
        repository_name: str,
        allowed: Sequence[RunStatus],
        changes: dict[str, Any],
    ) -> RepositoryRun | None:
        statuses = {str(s) for s in allowed}
        return self._update_run(
            job_id,
            repository_name,
            lambda d: d["status"] in statuses,
            lambda r: apply_changes(r, {**changes, "version": r.version + 1}),
        )

    def _update_run(
        self,
        job_id: str,
        repository_name: str,
        condition: Callable[[Document], bool],
        change: Callable[[RepositoryRun], RepositoryRun],
    ) -> RepositoryRun | None:
        with self._lock:
            document = self._runs.get(job_id, {}).get(repository_name)
            if document is None or not condition(document):
                return None
            document = change(RepositoryRun.model_validate(document)).to_document()
            self._runs[job_id][repository_name] = document
            self.writes += 1
        return RepositoryRun.model_validate(document)
