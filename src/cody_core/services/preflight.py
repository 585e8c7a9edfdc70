"""What a job needs before any repository is touched, checked once at create and at run."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cody_core.models import Job, RepositoryRun
from cody_core.policies.branches import check_branch
from cody_core.policies.references import parse_reference
from cody_core.ports import Preflight

KINDS = frozenset({"github", "local"})


class NoPreflight:
    """For a job that may run elsewhere (a shared store): this machine's set-up is not its."""

    def check(self, job: Job, repository_kinds: Callable[[], frozenset[str]]) -> None:
        return None


def check_job(job: Job, repository_kinds: Callable[[], frozenset[str]], host: Preflight) -> None:
    """The job's own settings, then what this machine must provide for them."""
    check_branch(job.branch_name(), job.branch_template)
    host.check(job, repository_kinds)


def kinds_of(runs: Iterable[RepositoryRun]) -> frozenset[str]:
    """The kinds of repository among the runs, read only until every kind has been seen."""
    seen: set[str] = set()
    for run in runs:
        seen.add(parse_reference(run.repository_name).kind)
        if seen == KINDS:
            break
    return frozenset(seen)
