"""Jobs and repository runs, serialised with the camelCase names the Cody API and dashboard read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from cody_core.errors import InputError
from cody_core.policies.branches import fill_branch


def format_timestamp(value: datetime) -> str:
    """The JavaScript `toISOString()` form: fixed width, so stored strings sort as times do."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _to_utc(value: Any) -> Any:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


Timestamp = Annotated[
    datetime, BeforeValidator(_to_utc), PlainSerializer(format_timestamp, return_type=str)
]


_CUT = "… (cut to fit the store)"


def printable(text: str) -> str:
    """Text every store, JSON and terminal takes: bytes that were not UTF-8 become `\\xNN`.

    File names and command output reach the domain with such bytes as surrogate escapes
    (`os.fsdecode`), which no UTF-8 encoder accepts.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogateescape" if _escapes_only(text) else "surrogatepass")
        return data.decode("utf-8", "backslashreplace")
    return text


def _escapes_only(text: str) -> bool:
    return all(not 0xD800 <= ord(ch) <= 0xDFFF or 0xDC80 <= ord(ch) <= 0xDCFF for ch in text)


def clip(text: str, max_bytes: int, keep: Literal["start", "end"] = "start") -> str:
    """Cut text to at most `max_bytes` of UTF-8, keeping its start (or end) and saying so."""
    text = printable(text)
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    room = max(0, max_bytes - 32)  # what the note takes, with a byte to spare
    if keep == "end":
        return _CUT + "\n" + data[len(data) - room :].decode("utf-8", "ignore")
    return data[:room].decode("utf-8", "ignore") + "\n" + _CUT


def _bounded(max_bytes: int, keep: Literal["start", "end"] = "start") -> AfterValidator:
    return AfterValidator(lambda text: text if text is None else clip(text, max_bytes, keep))


def _bounded_paths(paths: tuple[str, ...]) -> tuple[str, ...]:
    kept, used = [], 0
    for path in map(printable, paths):
        used += len(path.encode("utf-8")) + 8
        if used > MAX_PATHS_BYTES:
            break
        kept.append(path)
    return tuple(kept)


# Every field that can grow is bounded, so a run always fits in one 400 KB DynamoDB item;
# anything longer lives in the artifact store.
MAX_SUMMARY_BYTES = 16_000
MAX_MESSAGE_BYTES = 2_000
MAX_OUTPUT_BYTES = 4_000
MAX_PATHS_BYTES = 64_000
MAX_INLINE_DIFF_BYTES = 64 * 1024
MAX_LOG_ENTRIES = 50


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class RunStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self not in (RunStatus.PENDING, RunStatus.IN_PROGRESS)


class Record(BaseModel):
    """Base of every stored shape: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )

    def evolve(self, **changes: Any) -> Self:
        """A copy with `changes` applied and validated (model_copy would skip the bounds)."""
        unknown = set(changes) - set(type(self).model_fields)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no fields {sorted(unknown)}")
        return type(self).model_validate({**dict(self), **changes})

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


DEFAULT_PROTECTED_PATHS = (".github/workflows/**", ".git/**")


class Job(Record):
    job_id: str
    name: str
    description: str = ""
    type: str = "code-change"
    prompt: str
    status: JobStatus = JobStatus.PENDING
    created_at: Timestamp
    started_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    repository_count: int = 0
    completed_count: int = 0
    failed_count: int = 0
    skipped_count: int = 0
    create_pull_requests: bool = True
    assistant: Literal["claude", "command"] = "command"
    command: str | None = None
    verify_command: str | None = None
    require_verify_pass: bool = False
    branch_template: str = "cody/{jobId}"
    pr_title_template: str = "Cody: {name}"
    pr_body_template: str | None = None
    draft: bool = False
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    max_repositories: int | None = None
    max_attempts: int = 3
    max_turns: int = 25
    max_tokens: int | None = None  # per repository, all token kinds counted
    max_job_tokens: int | None = None  # across the job's sessions in one process
    max_files_changed: int = 200
    max_lines_changed: int = 20_000
    protected_paths: tuple[str, ...] = DEFAULT_PROTECTED_PATHS
    error: str | None = None
    batch_job_id: str | None = None
    # Paths a change may touch although they match protected_paths (--allow-protected).
    allowed_protected_paths: tuple[str, ...] = ()
    # A branch that exists and that this job did not push: left alone, or replaced.
    on_existing_branch: Literal["skip", "replace"] = "skip"

    def branch_name(self) -> str:
        return fill_branch(self.branch_template, self.job_id, self.name)


class TokenUsage(Record):
    input: int = 0
    output: int = 0
    cache_creation: int = 0
    cache_read: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input=self.input + other.input,
            output=self.output + other.output,
            cache_creation=self.cache_creation + other.cache_creation,
            cache_read=self.cache_read + other.cache_read,
        )

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_creation + self.cache_read


class Verification(Record):
    status: Literal["passed", "failed", "skipped"]
    output_tail: Annotated[str, _bounded(MAX_OUTPUT_BYTES, keep="end")] = ""


class RunError(Record):
    kind: str
    message: Annotated[str, _bounded(MAX_MESSAGE_BYTES)]
    transient: bool = False


class LogEntry(Record):
    timestamp: Timestamp
    level: Literal["debug", "info", "warning", "error"] = "info"
    message: Annotated[str, _bounded(MAX_MESSAGE_BYTES)]


PullRequestState = Literal["open", "draft", "merged", "closed"]
ChecksState = Literal["success", "failure", "pending", "none"]
ReviewDecision = Literal["approved", "changes_requested", "review_required", "none"]
MAX_COMMENTS_KEPT = 100


class RepositoryRun(Record):
    job_id: str
    repository_name: str
    status: RunStatus = RunStatus.PENDING
    attempt: int = 0
    lease_owner: str | None = None
    lease_expires_at: Timestamp | None = None
    version: int = 0
    started_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    were_changes_necessary: bool | None = None
    branch: str | None = None
    commit_sha: str | None = None
    pull_request_url: str | None = None
    changed_files: Annotated[tuple[str, ...], AfterValidator(_bounded_paths)] = ()
    lines_added: int = 0
    lines_removed: int = 0
    summary: Annotated[str | None, _bounded(MAX_SUMMARY_BYTES)] = None
    token_usage: TokenUsage = Field(default_factory=TokenUsage)
    estimated_cost_usd: float | None = None
    turns: int = 0
    stop_reason: str | None = None
    verification: Verification | None = None
    error: RunError | None = None
    logs: tuple[LogEntry, ...] = ()
    diff: Annotated[str | None, _bounded(MAX_INLINE_DIFF_BYTES)] = None
    diff_ref: str | None = None
    conversation_ref: str | None = None
    # The pull request once opened, as the last `cody job prs` (or bulk action) saw it.
    pushed_sha: str | None = None  # what this job pushed, or was about to push, to `branch`
    pull_request_number: int | None = None
    pull_request_state: PullRequestState | None = None
    checks: ChecksState | None = None
    review_decision: ReviewDecision | None = None
    mergeable: bool | None = None  # None also while the host is still working it out
    # None until used, so that a run that never gets there stores what it always did.
    pull_request_cache: dict[str, Any] | None = None  # the host's own notes (ETags)
    comments_posted: Annotated[
        tuple[str, ...] | None,
        AfterValidator(lambda kept: kept if kept is None else kept[-MAX_COMMENTS_KEPT:]),
    ] = None  # digests of the comments Cody posted, so that none is posted twice
    branch_deleted: bool | None = None
    publish_requested: bool | None = None  # `cody job publish`: deliver the stored diff

    def claimed(self, owner: str, now: datetime, lease_until: datetime) -> RepositoryRun:
        """The run as a successful claim leaves it: what every store's claim writes."""
        return self.evolve(
            status=RunStatus.IN_PROGRESS,
            lease_owner=owner,
            lease_expires_at=lease_until,
            attempt=self.attempt + 1,
            version=self.version + 1,
            started_at=self.started_at or now,
        )

    def with_log(self, entry: LogEntry) -> RepositoryRun:
        """Append a log entry, keeping the newest entries."""
        return self.evolve(logs=(*self.logs, entry)[-MAX_LOG_ENTRIES:])


R = TypeVar("R", bound=Record)
KEY_FIELDS = frozenset({"job_id", "repository_name"})


def apply_changes(record: R, changes: dict[str, Any]) -> R:
    """What a store's conditional update does to a record: keys stay, the rest is validated."""
    if KEY_FIELDS & set(changes):
        raise ValueError(f"cannot change the keys {sorted(KEY_FIELDS & set(changes))}")
    return record.evolve(**changes)


def pull_request_number(run: RepositoryRun) -> int | None:
    """The run's pull request number; runs stored before numbers were kept have it in the URL."""
    if run.pull_request_number is not None:
        return run.pull_request_number
    tail = (run.pull_request_url or "").rsplit("pull/", 1)
    return int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else None


def runs_by_name(job: Job, runs: Iterable[RepositoryRun]) -> dict[str, RepositoryRun]:
    """The runs of a new job by repository name: what every store checks before creating it."""
    by_name: dict[str, RepositoryRun] = {}
    for run in runs:
        if run.job_id != job.job_id:
            raise ValueError(f"run {run.repository_name} belongs to job {run.job_id}")
        if run.repository_name in by_name:
            raise InputError(f"repository {run.repository_name} is listed twice")
        by_name[run.repository_name] = run
    return by_name
