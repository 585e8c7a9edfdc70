"""Jobs and repository runs, serialised with the camelCase names the Cody API and dashboard read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainSerializer,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from cody_core.bounds import bounded_list, fit_diff
from cody_core.bounds import clip as clip  # where it lived before: the services import it here
from cody_core.bounds import printable as printable
from cody_core.errors import InputError
from cody_core.item_size import item_size, text_size
from cody_core.policies.branches import fill_branch
from cody_core.policies.conversation import bound_messages


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
# anything longer lives in the artifact store. Sizes are counted as DynamoDB counts them
# (cody_core.item_size): what the item budgets leave below 400 KB is for attributes that
# other writers (the existing API) keep on the same items.
MAX_SUMMARY_BYTES = 16_000
MAX_MESSAGE_BYTES = 2_000
MAX_OUTPUT_BYTES = 4_000
MAX_PATHS_BYTES = 64_000
MAX_LOG_ENTRIES = 50
MAX_RUN_ITEM_BYTES = 350_000  # the inline diff takes whatever the rest of the run leaves
MAX_JOB_ITEM_BYTES = 200_000
MAX_REPOSITORIES_BYTES = 32_000  # the job's `repositories` list; repositoryCount stays exact
MAX_CONVERSATION_BYTES = 64_000
MAX_CONVERSATION_TEXT_BYTES = 1_000  # each string of a message's content


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
    # A job without one was written by the existing API, whose batch processor ran Claude.
    assistant: Literal["claude", "command"] = "claude"
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
    # What the existing API and dashboard read: `repositories.length` on every job.
    repositories: Annotated[
        tuple[str, ...], AfterValidator(lambda names: bounded_list(names, MAX_REPOSITORIES_BYTES))
    ] = ()
    updated_at: Timestamp | None = None
    expires_at: int | None = None  # epoch seconds: DynamoDB's TTL deletes the item after it

    @model_validator(mode="after")
    def _fits_one_item(self) -> Self:
        size = item_size(self.to_document())
        if size > MAX_JOB_ITEM_BYTES:
            raise ValueError(
                f"the job takes {size:,} bytes stored, more than the {MAX_JOB_ITEM_BYTES:,} "
                "one job may: shorten its prompt, command or templates"
            )
        return self

    network: bool = False  # whether repository code (command, verify) may reach the network
    command_timeout: int = Field(600, gt=0)  # seconds the command assistant's command may run

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
        """Every kind of token: what the budgets count."""
        return self.input + self.output + self.cache_creation + self.cache_read

    @computed_field(alias="total")  # type: ignore[prop-decorator]
    @property
    def stored_total(self) -> int:
        """The stored `total`: input + output, as the batch processor this replaces wrote it."""
        return self.input + self.output


class Verification(Record):
    status: Literal["passed", "failed", "skipped"]
    output_tail: Annotated[str, _bounded(MAX_OUTPUT_BYTES, keep="end")] = ""


class RunError(Record):
    kind: str
    message: Annotated[str, _bounded(MAX_MESSAGE_BYTES)]
    transient: bool = False


LogLevel = Literal["debug", "info", "warning", "error"]


class LogEntry(Record):
    timestamp: Timestamp
    level: LogLevel = "info"
    message: Annotated[str, _bounded(MAX_MESSAGE_BYTES)]


PullRequestState = Literal["open", "draft", "merged", "closed"]
ChecksState = Literal["success", "failure", "pending", "none"]
ReviewDecision = Literal["approved", "changes_requested", "review_required", "none"]
MAX_COMMENTS_KEPT = 100


class ConversationMessage(Record):
    role: Literal["human", "assistant"]
    content: str | list[Any]  # the Messages API's content: a string or a list of blocks
    timestamp: int  # epoch milliseconds
    type: Literal["prompt", "response", "tool_call", "tool_result"]


class ClaudeConversation(Record):
    """A session as the existing API's claude-thread endpoint reads it, bounded to fit a run."""

    thread_id: Annotated[str, _bounded(MAX_MESSAGE_BYTES)]
    messages: tuple[ConversationMessage, ...] = ()
    token_usage: TokenUsage = Field(default_factory=TokenUsage)

    @field_validator("messages", mode="before")
    @classmethod
    def _bounded_messages(cls, messages: Any) -> Any:
        if not isinstance(messages, list | tuple):
            return messages
        plain = [m.to_document() if isinstance(m, Record) else m for m in messages]
        if not all(isinstance(m, dict) for m in plain):
            return messages  # left for validation to refuse
        room = MAX_CONVERSATION_BYTES - 2 * MAX_MESSAGE_BYTES  # the thread id and usage
        return bound_messages(plain, room, MAX_CONVERSATION_TEXT_BYTES)


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
    logs: Annotated[  # the newest entries
        tuple[LogEntry, ...], AfterValidator(lambda entries: entries[-MAX_LOG_ENTRIES:])
    ] = ()
    diff: str | None = None  # whole when it fits the item, else cut (see fit_diff)
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
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    expires_at: int | None = None  # epoch seconds: DynamoDB's TTL deletes the item after it
    claude_conversation: ClaudeConversation | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _fits_one_item(cls, data: Any, handler: ModelWrapValidatorHandler[RepositoryRun]) -> Any:
        """Refuse a run that cannot fit one item; cut its diff to what the rest leaves."""
        run = handler(data)
        document = run.to_document()
        diff = document.pop("diff", None)
        size = item_size(document)
        if size > MAX_RUN_ITEM_BYTES:
            raise ValueError(f"the run takes {size:,} bytes stored, more than one item holds")
        if diff is None:
            return run
        room = MAX_RUN_ITEM_BYTES - size - text_size("diff")
        fitted = fit_diff(diff, room, run.job_id, run.repository_name)
        return run if fitted == diff else handler({**dict(run), "diff": fitted})

    sandbox: str | None = None  # the tier that confined repository code: bwrap, uid or none

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
        return self.evolve(logs=(*self.logs, entry))


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


def with_write_stamps(record: R, now: datetime) -> R:
    """A new record as a store first writes it: `updatedAt` (and a run's `createdAt`) set."""
    missing: dict[str, Any] = {}
    if getattr(record, "updated_at", True) is None:
        missing["updated_at"] = now
    if getattr(record, "created_at", True) is None:
        missing["created_at"] = now
    return record.evolve(**missing) if missing else record


def runs_by_name(job: Job, runs: Iterable[RepositoryRun]) -> dict[str, RepositoryRun]:
    """The runs of a new job by repository name: what every store checks before creating it."""
    return {run.repository_name: run for run in checked_runs(job, runs)}


def checked_runs(job: Job, runs: Iterable[RepositoryRun]) -> Iterator[RepositoryRun]:
    """The runs as `runs_by_name` checks them, one at a time: only their names are held, for a
    store that can undo what it wrote when a later run fails the check (a transaction)."""
    names: set[str] = set()
    for run in runs:
        if run.job_id != job.job_id:
            raise ValueError(f"run {run.repository_name} belongs to job {run.job_id}")
        if run.repository_name in names:
            raise InputError(f"repository {run.repository_name} is listed twice")
        names.add(run.repository_name)
        yield run
