"""What repository code (the command, the verify command) is told about the run it is part of."""

from __future__ import annotations

from cody_core.models import Job

# Tiers that confine repository code; `none` runs it as cody's own user, and `unavailable`
# means no tier works here, so nothing may run it.
CONFINING_TIERS = frozenset({"bwrap", "uid"})


def runs_repository_code(assistant: str, command: str | None, verify_command: str | None) -> bool:
    """Whether a job runs code in its checkouts: the command assistant's command, or a verify
    command (Claude's own file tools run inside cody and need no sandbox)."""
    return bool((assistant == "command" and command) or verify_command)


def environment(job: Job, repository: str) -> dict[str, str]:
    """Variables added to the environment of repository code."""
    return {
        "CODY_JOB_ID": job.job_id,
        "CODY_REPOSITORY": repository,
        "CODY_BRANCH": job.branch_name(),
    }
