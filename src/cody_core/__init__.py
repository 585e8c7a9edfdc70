"""Cody Batch's domain: models, ports, policies and services, free of any outside system.

The names in `__all__` are the public API an embedding service imports from here; every other
module is internal and may move. They are imported on first use (PEP 562), so `import cody_core`
costs nothing until a name is asked for: the CLI's start-up does not pay for pydantic.
"""

TYPE_CHECKING = False  # as typing's own: importing typing would cost more than the rest
if TYPE_CHECKING:
    from cody_core.errors import (
        CancelledError,
        CodyError,
        GuardrailError,
        InputError,
        LeaseLostError,
        NotAllowedError,
        NotFoundError,
        SkippedError,
        StoppedError,
        TransientError,
    )
    from cody_core.models import (
        ChecksState,
        ClaudeConversation,
        ConversationMessage,
        Job,
        JobStatus,
        LogEntry,
        PullRequestState,
        Record,
        RepositoryRun,
        ReviewDecision,
        RunError,
        RunStatus,
        TokenUsage,
        Verification,
        apply_changes,
        runs_by_name,
        with_write_stamps,
    )
    from cody_core.policies.allowlist import Allowlist
    from cody_core.policies.references import RepositoryRef, parse_reference
    from cody_core.ports import (
        ArtifactStore,
        AssistantRequest,
        AssistantResult,
        Checkout,
        Clock,
        CodeAssistant,
        CommandResult,
        CommandRunner,
        Diff,
        FileChange,
        FoundRepository,
        GitWorkspace,
        JobStore,
        JobSubmitter,
        MergeMethod,
        Preflight,
        PullRequest,
        PullRequestForge,
        PullRequestHost,
        PullRequestLifecycle,
        PullRequestSpec,
        PullRequestStatus,
        RepositoryFinder,
    )
    from cody_core.services.job_processor import JobProcessor, RunOutcome, WorkerSettings
    from cody_core.services.jobs import JobService, parse_references
    from cody_core.services.preflight import NoPreflight
    from cody_core.services.pull_request_actions import MergeOptions, Outcome, PullRequestActions
    from cody_core.services.reapply import JobPublishing, JobUpdate, PublishPlan
    from cody_core.services.repository_processor import ProcessorSettings, RepositoryProcessor
    from cody_core.services.selection import RepositorySelector, Selected, Selection
    from cody_core.services.submission import JobSubmission
    from cody_core.services.tracking import PullRequestTracking, Tracked

_HOMES: dict[str, tuple[str, ...]] = {
    "cody_core.errors": (
        "CancelledError",
        "CodyError",
        "GuardrailError",
        "InputError",
        "LeaseLostError",
        "NotAllowedError",
        "NotFoundError",
        "SkippedError",
        "StoppedError",
        "TransientError",
    ),
    "cody_core.models": (
        "ChecksState",
        "ClaudeConversation",
        "ConversationMessage",
        "Job",
        "JobStatus",
        "LogEntry",
        "PullRequestState",
        "Record",
        "RepositoryRun",
        "ReviewDecision",
        "RunError",
        "RunStatus",
        "TokenUsage",
        "Verification",
        "apply_changes",
        "runs_by_name",
        "with_write_stamps",
    ),
    "cody_core.policies.allowlist": ("Allowlist",),
    "cody_core.policies.references": ("RepositoryRef", "parse_reference"),
    "cody_core.ports": (
        "ArtifactStore",
        "AssistantRequest",
        "AssistantResult",
        "Checkout",
        "Clock",
        "CodeAssistant",
        "CommandResult",
        "CommandRunner",
        "Diff",
        "FileChange",
        "FoundRepository",
        "GitWorkspace",
        "JobStore",
        "JobSubmitter",
        "MergeMethod",
        "Preflight",
        "PullRequest",
        "PullRequestForge",
        "PullRequestHost",
        "PullRequestLifecycle",
        "PullRequestSpec",
        "PullRequestStatus",
        "RepositoryFinder",
    ),
    "cody_core.services.job_processor": ("JobProcessor", "RunOutcome", "WorkerSettings"),
    "cody_core.services.jobs": ("JobService", "parse_references"),
    "cody_core.services.preflight": ("NoPreflight",),
    "cody_core.services.pull_request_actions": ("MergeOptions", "Outcome", "PullRequestActions"),
    "cody_core.services.reapply": ("JobPublishing", "JobUpdate", "PublishPlan"),
    "cody_core.services.repository_processor": ("ProcessorSettings", "RepositoryProcessor"),
    "cody_core.services.selection": ("RepositorySelector", "Selected", "Selection"),
    "cody_core.services.submission": ("JobSubmission",),
    "cody_core.services.tracking": ("PullRequestTracking", "Tracked"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "Allowlist",
    "ArtifactStore",
    "AssistantRequest",
    "AssistantResult",
    "CancelledError",
    "Checkout",
    "ChecksState",
    "ClaudeConversation",
    "Clock",
    "CodeAssistant",
    "CodyError",
    "CommandResult",
    "CommandRunner",
    "ConversationMessage",
    "Diff",
    "FileChange",
    "FoundRepository",
    "GitWorkspace",
    "GuardrailError",
    "InputError",
    "Job",
    "JobProcessor",
    "JobPublishing",
    "JobService",
    "JobStatus",
    "JobStore",
    "JobSubmission",
    "JobSubmitter",
    "JobUpdate",
    "LeaseLostError",
    "LogEntry",
    "MergeMethod",
    "MergeOptions",
    "NoPreflight",
    "NotAllowedError",
    "NotFoundError",
    "Outcome",
    "Preflight",
    "ProcessorSettings",
    "PublishPlan",
    "PullRequest",
    "PullRequestActions",
    "PullRequestForge",
    "PullRequestHost",
    "PullRequestLifecycle",
    "PullRequestSpec",
    "PullRequestState",
    "PullRequestStatus",
    "PullRequestTracking",
    "Record",
    "RepositoryFinder",
    "RepositoryProcessor",
    "RepositoryRef",
    "RepositoryRun",
    "RepositorySelector",
    "ReviewDecision",
    "RunError",
    "RunOutcome",
    "RunStatus",
    "Selected",
    "Selection",
    "SkippedError",
    "StoppedError",
    "TokenUsage",
    "Tracked",
    "TransientError",
    "Verification",
    "WorkerSettings",
    "apply_changes",
    "parse_reference",
    "parse_references",
    "runs_by_name",
    "with_write_stamps",
]


def __getattr__(name: str) -> object:
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(__import__(home, fromlist=[name]), name)
    globals()[name] = value  # the next access is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
