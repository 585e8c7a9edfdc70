"""A finished job taken up again: `cody job update` (new options, every run again) and
`cody job publish` (the stored diffs of a preview pushed and proposed)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cody_core.errors import InputError
from cody_core.models import Job, JobStatus, RepositoryRun, RunError, RunStatus
from cody_core.policies.branches import check_branch
from cody_core.policies.references import parse_reference
from cody_core.ports import JobStore
from cody_core.services.jobs import require_job
from cody_core.services.tracking import FINISHED

NOT_RUNNING = (JobStatus.PENDING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)
AGAIN = {
    "status": RunStatus.PENDING,
    "attempt": 0,
    "error": None,
    "completed_at": None,
    "lease_expires_at": None,
}
# What a pass finds out, cleared for the next one; the branch, the pushed sha and the pull
# request stay, so that the next pass pushes to the same branch and updates the same one.
FINDINGS = {
    "were_changes_necessary": None,
    "changed_files": (),
    "lines_added": 0,
    "lines_removed": 0,
    "diff": None,
    "diff_ref": None,
    "verification": None,
    "summary": None,
    "stop_reason": None,
    "turns": 0,
}


def check_fields(job: Job) -> None:
    """What `cody job create` also refuses, for a job whose options changed."""
    if not job.prompt.strip():
        raise InputError("the job has no prompt: pass --prompt TEXT or --prompt-file FILE")
    if job.assistant == "command" and not job.command:
        raise InputError("the command assistant needs a command: pass --command CMD")
    check_branch(job.branch_name(), job.branch_template)


class JobUpdate:
    """New options for a job, and every finished run back to pending to apply them."""

    def __init__(self, store: JobStore):
        self._store = store

    def update(self, job_id: str, changes: dict[str, Any]) -> tuple[Job, int]:
        job = _not_running(self._store, job_id, "updating it")
        check_fields(job.evolve(**changes))
        restart = {**changes, "status": JobStatus.PENDING, "completed_at": None, "error": None}
        restart.update(completed_count=0, failed_count=0, skipped_count=0)
        updated = self._store.transition_job(job_id, NOT_RUNNING, restart)
        if updated is None:
            raise InputError(f"job {job_id} started meanwhile: wait for it, then update it")
        again = {**AGAIN, **FINDINGS, "publish_requested": None}
        count = sum(
            self._store.transition_run(job_id, run.repository_name, FINISHED, again) is not None
            for run in self._store.iter_runs(job_id)
            if run.status.terminal
        )
        return updated, count


@dataclass(frozen=True)
class PublishPlan:
    published: int  # runs back to pending, to deliver their stored diff
    refused: int  # runs whose preview failed its verify command, with --require-verify


class JobPublishing:
    """Marks the runs of a preview whose stored diff is to be pushed and proposed."""

    def __init__(self, store: JobStore):
        self._store = store

    def prepare(
        self, job_id: str, repositories: Iterable[str] = (), require_verify: bool = False
    ) -> PublishPlan:
        _not_running(self._store, job_id, "publishing it")
        runs = list(self._chosen(job_id, [parse_reference(r).name for r in repositories]))
        refused = sum(self._refuse(run) for run in runs if require_verify and _verify_failed(run))
        published = sum(
            self._store.transition_run(
                job_id,
                run.repository_name,
                [RunStatus.COMPLETED],
                {**AGAIN, "publish_requested": True},
            )
            is not None
            for run in runs
            if not (require_verify and _verify_failed(run))
        )
        if published or refused:  # the job runs again, and counts its runs at the end
            self._store.transition_job(
                job_id,
                [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED],
                {"status": JobStatus.PENDING, "completed_at": None, "error": None},
            )
        return PublishPlan(published, refused)

    def _chosen(self, job_id: str, names: list[str]) -> Iterable[RepositoryRun]:
        """The runs to publish: every one that can be, or the ones named (each must be)."""
        if not names:
            return (run for run in self._store.iter_runs(job_id) if _unpublishable(run) is None)
        chosen = []
        for name in names:
            run = self._store.get_run(job_id, name)
            if run is None:
                raise InputError(f"job {job_id} has no repository {name}: see `cody job status`")
            problem = _unpublishable(run)
            if problem is not None:
                raise InputError(f"{name} {problem}: nothing was published")
            chosen.append(run)
        return chosen

    def _refuse(self, run: RepositoryRun) -> bool:
        error = RunError(
            kind="verify-failed",
            message="the preview's verify command failed, and --require-verify was given",
        )
        changes = {"status": RunStatus.FAILED, "error": error}
        return (
            self._store.transition_run(
                run.job_id, run.repository_name, [RunStatus.COMPLETED], changes
            )
            is not None
        )


def _unpublishable(run: RepositoryRun) -> str | None:
    if run.status != RunStatus.COMPLETED:
        return f"is {run.status}: only a completed preview can be published"
    if run.pull_request_url is not None:
        return f"has a pull request already ({run.pull_request_url})"
    if not run.were_changes_necessary or (run.diff is None and run.diff_ref is None):
        return "has no stored change to publish"
    return None


def _verify_failed(run: RepositoryRun) -> bool:
    return run.verification is not None and run.verification.status == "failed"


def _not_running(store: JobStore, job_id: str, doing: str) -> Job:
    job = require_job(store, job_id)
    if job.status == JobStatus.IN_PROGRESS:
        raise InputError(
            f"job {job_id} is in progress: wait for it to finish (or cancel it) before {doing}"
        )
    return job
