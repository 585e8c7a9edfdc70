"""What a repository's processing does about an earlier pass: the branch it pushed, the pull
request it opened, the diff it stored for `cody job publish`."""

from __future__ import annotations

from typing import Any

from cody_core.errors import CodyError, SkippedError
from cody_core.models import Job, RepositoryRun, pull_request_number
from cody_core.policies.references import RepositoryRef
from cody_core.ports import ArtifactStore, PullRequestLifecycle

NO_LONGER_NEEDED = (
    "Cody Batch re-applied the updated change of job `{job_id}` ({name}) and it made no "
    "difference in this repository any more, so this pull request is closed and its branch "
    "deleted."
)


def ours(run: RepositoryRun, remote_sha: str | None) -> bool:
    """Whether the remote branch is at a commit this job pushed (or was about to push)."""
    return remote_sha is not None and remote_sha in (run.pushed_sha, run.commit_sha)


def existing_branch(job: Job, run: RepositoryRun, branch: str, remote_sha: str | None) -> str:
    """Decide about a branch that exists before the push: the log line when it may be
    overwritten; SkippedError `branch-exists` when it is someone else's and stays."""
    if remote_sha is None:
        return f"pushing new branch {branch}"
    if ours(run, remote_sha):
        return f"pushing {branch} over this job's {remote_sha[:12]}"
    if job.on_existing_branch == "replace":
        return f"replacing {branch} at {remote_sha[:12]}, not pushed by this job"
    raise SkippedError(
        f"branch {branch} exists at {remote_sha[:12]} and was not pushed by this job: left "
        "alone (`--on-existing-branch replace` overwrites it)",
        kind="branch-exists",
    )


def taken_over(
    lifecycle: PullRequestLifecycle | None, run: RepositoryRun, ref: RepositoryRef
) -> dict[str, Any] | None:
    """The run's changes when its pull request of an earlier pass was merged or closed since:
    it is someone else's now and stays as it is; None when there is none or it is open."""
    number = pull_request_number(run)
    if lifecycle is None or number is None or run.pull_request_url is None:
        return None
    status = lifecycle.status(ref, number, run.pull_request_cache or {}, details=False)
    if status.state in ("open", "draft"):
        return None
    return {
        "pull_request_state": status.state,
        "pull_request_cache": dict(status.cache),
        "log_message": f"pull request #{number} is {status.state}: left as it is",
    }


def close_unneeded(
    lifecycle: PullRequestLifecycle | None,
    job: Job,
    run: RepositoryRun,
    ref: RepositoryRef,
    branch: str,
    branch_is_ours: bool,
) -> dict[str, Any]:
    """After `cody job update`: the change is no longer needed here, so its open pull request
    is closed with a comment that says why, and the branch this job pushed is deleted."""
    number = pull_request_number(run)
    if lifecycle is None or number is None or run.pull_request_state in ("merged", "closed"):
        return {}
    note = NO_LONGER_NEEDED.format(job_id=job.job_id, name=job.name)
    if not lifecycle.has_comment(ref, number, note):
        lifecycle.comment(ref, number, note)
    lifecycle.close(ref, number)
    if branch_is_ours:
        lifecycle.delete_branch(ref, branch)
    return {
        "pull_request_state": "closed",
        "branch_deleted": branch_is_ours,
        "log_message": f"closed pull request #{number}: the change is no longer needed",
    }


def stored_patch(artifacts: ArtifactStore, run: RepositoryRun) -> bytes:
    """The diff a preview stored, byte for byte."""
    if run.diff_ref is not None:
        return artifacts.get(run.diff_ref)
    if run.diff is not None:
        return run.diff.encode("utf-8", "surrogateescape")
    raise CodyError(f"{run.repository_name} has no stored diff to publish", kind="no-diff")
