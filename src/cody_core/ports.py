"""The outside systems the domain talks to, as protocols that adapters implement."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from cody_core.models import (
    ChecksState,
    Job,
    JobStatus,
    PullRequestState,
    RepositoryRun,
    ReviewDecision,
    RunStatus,
    TokenUsage,
)
from cody_core.policies.references import RepositoryRef


class Clock(Protocol):
    """Tells the time (UTC)."""

    def now(self) -> datetime: ...


class JobStore(Protocol):
    """Jobs and their runs; every state change is a conditional write that may lose."""

    def create_job(self, job: Job, runs: Iterable[RepositoryRun]) -> None: ...

    def get_job(self, job_id: str) -> Job | None: ...

    def list_jobs(self, status: JobStatus | None = None) -> Iterator[Job]:
        """Newest first (by createdAt, then jobId), all jobs or those in `status`."""
        ...

    def transition_job(
        self, job_id: str, allowed: Sequence[JobStatus], changes: dict[str, Any]
    ) -> Job | None:
        """Apply `changes` when the job's status is one of `allowed`; None when it is not."""
        ...

    def iter_runs(self, job_id: str) -> Iterator[RepositoryRun]:
        """Runs in stored order (by repository name), fetched a page at a time."""
        ...

    def get_run(self, job_id: str, repository_name: str) -> RepositoryRun | None: ...

    def claim_run(
        self, job_id: str, repository_name: str, owner: str, now: datetime, lease_until: datetime
    ) -> RepositoryRun | None:
        """Take a pending run, or an in-progress one whose lease expired; None if another has it."""
        ...

    def renew_lease(
        self, job_id: str, repository_name: str, owner: str, lease_until: datetime
    ) -> bool: ...

    def save_run(self, run: RepositoryRun) -> RepositoryRun | None:
        """Write the run if the stored lease owner and version match; bump the version."""
        ...

    def transition_run(
        self,
        job_id: str,
        repository_name: str,
        allowed: Sequence[RunStatus],
        changes: dict[str, Any],
    ) -> RepositoryRun | None:
        """Apply `changes` to an unleased run whose status is one of `allowed`."""
        ...


class ArtifactStore(Protocol):
    """Large outputs (diffs, conversations) kept outside the job store, written once."""

    def put(self, job_id: str, repository_name: str, kind: str, content: bytes) -> str: ...

    def get(self, ref: str) -> bytes: ...


@dataclass(frozen=True)
class Checkout:
    repository: RepositoryRef
    path: Path
    default_branch: str
    head_sha: str


@dataclass(frozen=True)
class FileChange:
    path: str
    added: int
    removed: int
    binary: bool = False
    old_path: str | None = None  # set for renames: a move out of a protected path is a change too


@dataclass(frozen=True)
class Diff:
    files: tuple[FileChange, ...]
    patch: str  # bytes that are not UTF-8 are kept as surrogate escapes

    @property
    def empty(self) -> bool:
        return not self.files

    @property
    def lines_added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def lines_removed(self) -> int:
        return sum(f.removed for f in self.files)


class GitWorkspace(Protocol):
    """Clones, diffs, commits and pushes (to a branch of the remote) in temporary checkouts."""

    def clone(self, repository: RepositoryRef) -> Checkout: ...

    def remote_branch_sha(self, checkout: Checkout, branch: str) -> str | None: ...

    def diff(self, checkout: Checkout) -> Diff:
        """Everything changed in the working tree against HEAD, untracked files included."""
        ...

    def commit(self, checkout: Checkout, message: str) -> str:
        """Commit what the last `diff` saw, and nothing written since."""
        ...

    def push(self, checkout: Checkout, branch: str, expected_remote_sha: str | None) -> None: ...

    def cleanup(self, checkout: Checkout) -> None: ...

    def apply_patch(self, checkout: Checkout, patch: bytes) -> None:
        """Apply a stored patch to the working tree and index; CodyError `conflict` if it fails."""
        ...


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    output: str
    timed_out: bool = False
    stopped: bool = False  # killed because the worker is stopping

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class CommandRunner(Protocol):
    """Runs a shell command in a checkout, sandboxed, with a scrubbed environment and a timeout."""

    @property
    def sandbox(self) -> str:
        """The tier that confines the commands: bwrap, uid, none (or unavailable)."""
        ...

    def run(
        self,
        command: str,
        cwd: Path,
        timeout: float,
        should_stop: Callable[[], bool] = lambda: False,
        *,
        env: Mapping[str, str] | None = None,
        network: bool = False,
    ) -> CommandResult:
        """`env` is added to the command's environment; `network` lets it reach the network."""
        ...


@dataclass(frozen=True)
class AssistantRequest:
    job: Job
    checkout: Checkout
    should_stop: Callable[[], bool] = lambda: False
    # Runs the job's verify command in the checkout; None when the job has none.
    verify: Callable[[], CommandResult] | None = None


@dataclass(frozen=True)
class AssistantResult:
    summary: str
    stop_reason: str = "end_turn"  # or the limit that ended the session: max_turns, timeout, ...
    turns: int = 0
    token_usage: TokenUsage = field(default_factory=TokenUsage)
    estimated_cost_usd: float | None = None
    conversation: list[dict[str, Any]] | None = None
    output_tail: str = ""
    # The verify command's last result when the assistant already ran it on the final state.
    verification: CommandResult | None = None


class CodeAssistant(Protocol):
    """Changes the code of a checkout as the job asks."""

    def admit(self, job: Job) -> None:
        """Raise SkippedError when no new session may start for this job (a spent budget)."""
        ...

    def change(self, request: AssistantRequest) -> AssistantResult: ...


@dataclass(frozen=True)
class PullRequestSpec:
    head: str
    base: str
    title: str
    body: str
    draft: bool = False
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PullRequest:
    url: str
    head: str
    base: str
    title: str
    body: str
    number: int | None = None


class PullRequestHost(Protocol):
    """Finds, opens and updates pull requests."""

    def check_repository(self, repository: RepositoryRef) -> None:
        """Raise before any work when the repository is archived, missing or not visible."""
        ...

    def find_open(self, repository: RepositoryRef, head: str) -> PullRequest | None: ...

    def create(self, repository: RepositoryRef, spec: PullRequestSpec) -> PullRequest:
        """Open a pull request; if one for the same head is already open, return that one."""
        ...

    def update(
        self, repository: RepositoryRef, pull_request: PullRequest, spec: PullRequestSpec
    ) -> PullRequest: ...


class JobSubmitter(Protocol):
    """Starts workers for a job elsewhere (AWS Batch) and returns their id there."""

    def submit(self, job_id: str, workers: int, max_repositories: int | None) -> str: ...


class Preflight(Protocol):
    """Checks once per job that this machine can run it (directories, credentials)."""

    def check(self, job: Job, repository_kinds: Callable[[], frozenset[str]]) -> None:
        """Raise InputError naming what is missing and how to give it.

        `repository_kinds` gives the kinds among the job's repositories ("github", "local");
        it may read every run, so it is called only when the answer matters.
        """
        ...


MergeMethod = Literal["merge", "squash", "rebase"]


@dataclass(frozen=True)
class PullRequestStatus:
    """A pull request as its host sees it now."""

    state: PullRequestState
    checks: ChecksState = "none"
    review_decision: ReviewDecision = "none"
    mergeable: bool | None = None
    head_sha: str | None = None
    # The host's own notes, kept on the run between refreshes (ETags): opaque to the domain.
    cache: Mapping[str, Any] = field(default_factory=dict)


class PullRequestLifecycle(Protocol):
    """Reads, merges, closes and comments on pull requests after they are opened."""

    def status(
        self,
        repository: RepositoryRef,
        number: int,
        cache: Mapping[str, Any],
        details: bool = True,
    ) -> PullRequestStatus:
        """The state now; `details` adds checks, review decision and mergeability."""
        ...

    def merge(
        self, repository: RepositoryRef, number: int, method: MergeMethod, head_sha: str | None
    ) -> str:
        """Merge it and return the merge commit's sha; CodyError `not-mergeable` when the host
        refuses, `head-moved` when its head is no longer `head_sha`."""
        ...

    def close(self, repository: RepositoryRef, number: int) -> None: ...

    def delete_branch(self, repository: RepositoryRef, branch: str) -> None:
        """Delete the branch; one that is gone already is not an error."""
        ...

    def has_comment(self, repository: RepositoryRef, number: int, body: str) -> bool: ...

    def comment(self, repository: RepositoryRef, number: int, body: str) -> None: ...


class PullRequestForge(PullRequestHost, PullRequestLifecycle, Protocol):
    """A host that both opens pull requests and looks after them."""


@dataclass(frozen=True)
class FoundRepository:
    name: str  # owner/name, as GitHub spells it
    fork: bool = False
    archived: bool = False
    topics: tuple[str, ...] = ()


class RepositoryFinder(Protocol):
    """Lists repositories: every one an organisation or user owns, or what a search finds."""

    def owned_by(self, owner: str) -> Iterator[FoundRepository]: ...

    def search(self, query: str) -> Iterator[FoundRepository]:
        """Every result; InputError when the host would return only part of them."""
        ...
