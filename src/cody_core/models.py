"""Jobs and repository runs, serialised with the camelCase names the Cody API and dashboard read."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel


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
    max_repositories: int | None = None
    max_attempts: int = 3
    max_turns: int = 25
    max_tokens: int | None = None
    max_files_changed: int = 200
    max_lines_changed: int = 20_000
    protected_paths: tuple[str, ...] = DEFAULT_PROTECTED_PATHS
    error: str | None = None

    def branch_name(self) -> str:
        return self.branch_template.replace("{jobId}", self.job_id)


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
    output_tail: str = ""


class RunError(Record):
    kind: str
    message: str
    transient: bool = False


class LogEntry(Record):
    timestamp: Timestamp
    level: Literal["debug", "info", "warning", "error"] = "info"
    message: str


MAX_LOG_ENTRIES = 50
MAX_LOG_MESSAGE = 4000


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
    changed_files: tuple[str, ...] = ()
    lines_added: int = 0
    lines_removed: int = 0
    summary: str | None = None
    token_usage: TokenUsage = Field(default_factory=TokenUsage)
    verification: Verification | None = None
    error: RunError | None = None
    logs: tuple[LogEntry, ...] = ()
    diff: str | None = None
    diff_ref: str | None = None
    conversation_ref: str | None = None

    def with_log(self, entry: LogEntry) -> RepositoryRun:
        """Append a log entry, keeping the newest entries and bounding each message."""
        if len(entry.message) > MAX_LOG_MESSAGE:
            entry = entry.model_copy(update={"message": "…" + entry.message[-MAX_LOG_MESSAGE:]})
        return self.model_copy(update={"logs": (*self.logs, entry)[-MAX_LOG_ENTRIES:]})
