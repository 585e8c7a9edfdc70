"""How a job's runs end outside a worker's pass: cancelled, and the counts that say so."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from cody_core.models import Job, JobStatus, RepositoryRun, RunStatus
from cody_core.ports import JobStore


def job_counts(counts: Counter[RunStatus]) -> dict[str, int]:
    """The job's stored counts, from its runs' statuses: what other services read."""
    return {
        "completed_count": counts[RunStatus.COMPLETED],
        "failed_count": counts[RunStatus.FAILED],
        "skipped_count": counts[RunStatus.SKIPPED] + counts[RunStatus.CANCELLED],
    }


def record_counts(store: JobStore, job: Job) -> Job:
    """A cancelled job with its counts stored, once every run has ended (written only if new).

    Whoever sees every run ended writes the same numbers, so racing writers agree; a worker
    still holding a run writes them when it finishes.
    """
    counts = Counter(run.status for run in store.iter_runs(job.job_id))
    if counts[RunStatus.PENDING] or counts[RunStatus.IN_PROGRESS]:
        return job
    changes = job_counts(counts)
    if all(getattr(job, name) == value for name, value in changes.items()):
        return job
    return store.transition_job(job.job_id, [JobStatus.CANCELLED], changes) or job


def cancel_pending(store: JobStore, job_id: str, now: datetime) -> int:
    """Mark the runs nobody has started as cancelled; returns how many."""
    runs = store.iter_runs(job_id)
    return sum(cancel_pending_run(store, r, now) for r in runs if r.status == RunStatus.PENDING)


def cancel_pending_run(store: JobStore, run: RepositoryRun, now: datetime) -> bool:
    """Whether it was still pending, and is now cancelled."""
    changes = {"status": RunStatus.CANCELLED, "completed_at": now}
    return (
        store.transition_run(run.job_id, run.repository_name, [RunStatus.PENDING], changes)
        is not None
    )
