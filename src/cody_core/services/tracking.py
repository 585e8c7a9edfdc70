"""`cody job prs`: each pull request of a job read again from its host and kept on its run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from cody_core.errors import CodyError
from cody_core.models import PullRequestState, RepositoryRun, RunStatus, pull_request_number
from cody_core.policies.references import parse_reference
from cody_core.ports import JobStore, PullRequestLifecycle, PullRequestStatus
from cody_core.services.jobs import require_job

# Pull requests live on finished runs; a run in progress belongs to `cody job run` for now.
FINISHED = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.SKIPPED, RunStatus.CANCELLED)
STATES: tuple[PullRequestState, ...] = ("open", "draft", "merged", "closed")


@dataclass(frozen=True)
class Tracked:
    """A run with a pull request, as refreshed; `error` says why it could not be."""

    run: RepositoryRun
    number: int
    head_sha: str | None = None
    error: str | None = None


def summary(tracked: Iterable[Tracked]) -> dict[str, int]:
    """Pull requests by state; drafts count under `draft`, not `open`."""
    counts = Counter(t.run.pull_request_state for t in tracked if t.run.pull_request_state)
    return {state: counts[state] for state in STATES}


class PullRequestTracking:
    """Refreshes pull requests cheaply: merged ones are final and cost no request, closed ones
    are read without their details, and the host's own cache (ETags) rides on the run."""

    def __init__(self, store: JobStore, host: PullRequestLifecycle):
        self._store = store
        self._host = host

    def pull_requests(self, job_id: str) -> Iterator[RepositoryRun]:
        """The job's runs that opened a pull request, in stored order."""
        require_job(self._store, job_id)
        for run in self._store.iter_runs(job_id):
            if run.pull_request_url is not None and pull_request_number(run) is not None:
                yield run

    def refresh(
        self, job_id: str, should_stop: Callable[[], bool] = lambda: False
    ) -> Iterator[Tracked]:
        for run in self.pull_requests(job_id):
            if should_stop():
                return
            yield self.refresh_run(run)

    def refresh_run(self, run: RepositoryRun, details: bool = True, keep: bool = True) -> Tracked:
        """The run with its pull request as the host says it is now (stored unless `keep` is
        false); on a host error, the run as stored and the error."""
        number = pull_request_number(run)
        assert number is not None, "only runs with a pull request are refreshed"
        if run.pull_request_state == "merged":
            return Tracked(run, number)
        ref = parse_reference(run.repository_name)
        details = details and run.pull_request_state != "closed"
        try:
            status = self._host.status(ref, number, run.pull_request_cache or {}, details=details)
        except CodyError as exc:
            return Tracked(run, number, error=f"{exc.kind}: {exc}")
        changes = {
            name: value
            for name, value in _changes(status, details).items()
            if getattr(run, name) != value
        }
        if not changes:
            return Tracked(run, number, status.head_sha)
        if not keep:
            return Tracked(run.evolve(**changes), number, status.head_sha)
        return self.store(run, number, changes, status.head_sha)

    def store(
        self, run: RepositoryRun, number: int, changes: dict[str, Any], head_sha: str | None
    ) -> Tracked:
        stored = self._store.transition_run(run.job_id, run.repository_name, FINISHED, changes)
        if stored is None:
            return Tracked(
                run.evolve(**changes),
                number,
                head_sha,
                error="in progress in `cody job run`: not stored, refresh again after it",
            )
        return Tracked(stored, number, head_sha)


def _changes(status: PullRequestStatus, details: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "pull_request_state": status.state,
        "pull_request_cache": dict(status.cache),
    }
    if details and status.state in ("open", "draft"):
        changes.update(
            checks=status.checks,
            review_decision=status.review_decision,
            mergeable=status.mergeable,
        )
    elif status.state in ("merged", "closed"):
        changes["mergeable"] = None
    return changes
