"""Processes one repository of a job: clone, change, check, commit, push, pull request."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cody_core.errors import (
    CodyError,
    GuardrailError,
    LeaseLostError,
    SkippedError,
    StoppedError,
)
from cody_core.models import (
    MAX_MESSAGE_BYTES,
    ClaudeConversation,
    Job,
    LogEntry,
    LogLevel,
    RepositoryRun,
    RunError,
    RunStatus,
    Verification,
    clip,
)
from cody_core.policies import pull_request_text, repository_code
from cody_core.policies.allowlist import Allowlist
from cody_core.policies.classification import classify
from cody_core.policies.conversation import api_messages
from cody_core.policies.guardrails import DiffLimits, check_diff
from cody_core.policies.references import RepositoryRef, parse_reference
from cody_core.policies.secrets import redact
from cody_core.policies.wording import counted
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
    GitWorkspace,
    JobStore,
    PullRequestHost,
    PullRequestLifecycle,
    PullRequestSpec,
)
from cody_core.services import earlier_pass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessorSettings:
    allowlist: Allowlist
    secrets: Sequence[str] = ()
    verify_timeout: float = 900.0


class RepositoryProcessor:
    """Takes one claimed run to a terminal state, or back to pending when a retry may help."""

    def __init__(
        self,
        store: JobStore,
        artifacts: ArtifactStore,
        workspace: GitWorkspace,
        assistant: CodeAssistant,
        pull_requests: PullRequestHost,
        runner: CommandRunner,
        clock: Clock,
        settings: ProcessorSettings,
        lifecycle: PullRequestLifecycle | None = None,
    ):
        self.store = store
        self.artifacts = artifacts
        self.workspace = workspace
        self.assistant = assistant
        self.pull_requests = pull_requests
        self.runner = runner
        self.clock = clock
        self.settings = settings
        # Pull requests of earlier passes (`cody job update`): left alone once merged or
        # closed, closed when no longer needed. Without it, every pass is a first one.
        self.lifecycle = lifecycle

    def process(
        self,
        job: Job,
        run: RepositoryRun,
        should_stop: Callable[[], bool] = lambda: False,
        lease_expiry: Callable[[], datetime | None] = lambda: None,
    ) -> RepositoryRun:
        """Run every step for a claimed run; the returned run is what the store holds.

        `lease_expiry` gives the lease as the heartbeat last renewed it, so that saving the
        whole run never moves the stored expiry back to what it was at claim time.
        """
        attempt = _Attempt(self, job, run, should_stop, lease_expiry)
        try:
            if run.attempt > job.max_attempts:
                raise CodyError(
                    f"gave up after {job.max_attempts} attempts", kind="attempts-exhausted"
                )
            return attempt.run()
        except LeaseLostError:
            log.info("lease lost, leaving %s to its new owner", run.repository_name)
            return attempt.current
        except SkippedError as exc:
            return attempt.skip(RunError(kind=exc.kind, message=str(exc)))
        except Exception as exc:
            return attempt.fail(classify(exc))
        except BaseException:  # interrupted: hand the run back, then stop
            attempt.fail(RunError(kind=StoppedError.kind, message="worker stopped"))
            raise

    def redact(self, text: str) -> str:
        return redact(text, self.settings.secrets)


class _Attempt:
    """One pass over one repository; `current` is always the latest stored version of the run."""

    def __init__(
        self,
        processor: RepositoryProcessor,
        job: Job,
        run: RepositoryRun,
        should_stop: Callable[[], bool],
        lease_expiry: Callable[[], datetime | None],
    ):
        self.p = processor
        self.job = job
        self.current = run
        self.should_stop = should_stop
        self.lease_expiry = lease_expiry
        self.verified: CommandResult | None = None

    def run(self) -> RepositoryRun:
        p, job, should_stop = self.p, self.job, self.should_stop
        ref = parse_reference(self.current.repository_name)
        p.settings.allowlist.check(ref)
        publishing = self.current.publish_requested
        if not publishing:
            p.assistant.admit(job)
        if job.create_pull_requests or publishing:
            p.pull_requests.check_repository(ref)
        taken_over = earlier_pass.taken_over(p.lifecycle, self.current, ref)
        if taken_over is not None:
            return self.finish(**taken_over)
        checkout = p.workspace.clone(ref)
        try:
            cloned = f"cloned {checkout.default_branch} at {checkout.head_sha[:12]}"
            self.save(log_message=f"{cloned} (sandbox: {p.runner.sandbox})")
            runs_code = repository_code.runs_repository_code(
                job.assistant, job.command, job.verify_command
            )
            if p.runner.sandbox == "none" and runs_code:
                self.save(
                    log_message="CODY_SANDBOX=none: the command and verify command run unsandboxed",
                    level="warning",
                )
            # A pull request, once opened, stays on its branch whatever the job's template says.
            branch = self.current.branch or job.branch_name()
            if publishing:
                return self.publish(checkout, branch)
            verify = (lambda: self.run_verify(checkout)) if job.verify_command else None
            result = p.assistant.change(AssistantRequest(job, checkout, should_stop, verify))
            changes: dict[str, Any] = {
                "summary": p.redact(result.summary),
                "token_usage": self.current.token_usage + result.token_usage,
                "turns": result.turns,
                "stop_reason": result.stop_reason,
                "estimated_cost_usd": result.estimated_cost_usd,
            }
            self.verified = result.verification
            if result.conversation is not None:
                stored = self.artifact("conversation", result.conversation)
                changes["conversation_ref"] = stored
                changes["claude_conversation"] = self.inline_conversation(result, stored)
            output = f"assistant finished ({result.stop_reason})"
            if result.output_tail:  # its end says how the command ended: that part must fit
                room = MAX_MESSAGE_BYTES - len(output.encode()) - 2
                output += ":\n" + clip(result.output_tail, room, keep="end")
            self.save(log_message=output, **changes)
            if should_stop():  # nothing leaves the checkout once the worker is told to stop
                raise StoppedError("stopped before the change was checked and pushed")
            diff = p.workspace.diff(checkout)
            if diff.empty:
                closed = self.close_unneeded(ref, checkout, branch)
                return self.finish(were_changes_necessary=False, changed_files=(), **closed)
            return self.deliver(checkout, branch, diff)
        finally:
            p.workspace.cleanup(checkout)

    def publish(self, checkout: Checkout, branch: str) -> RepositoryRun:
        """`cody job publish`: the preview's stored diff, applied to the default branch now."""
        patch = earlier_pass.stored_patch(self.p.artifacts, self.current)
        self.p.workspace.apply_patch(checkout, patch)
        diff = self.p.workspace.diff(checkout)
        if diff.empty:
            return self.finish(were_changes_necessary=False, publish_requested=None)
        return self.deliver(checkout, branch, diff, publishing=True)

    def close_unneeded(self, ref: RepositoryRef, checkout: Checkout, branch: str) -> dict[str, Any]:
        if self.p.lifecycle is None or self.current.pull_request_url is None:
            return {}
        remote_sha = self.p.workspace.remote_branch_sha(checkout, branch)
        ours = earlier_pass.ours(self.current, remote_sha)
        return earlier_pass.close_unneeded(
            self.p.lifecycle, self.job, self.current, ref, branch, ours
        )

    def deliver(
        self, checkout: Checkout, branch: str, diff: Diff, publishing: bool = False
    ) -> RepositoryRun:
        """Check, record, commit, push and propose the change; `publishing` keeps what the
        preview's verify command found instead of running it again."""
        p, job = self.p, self.job
        violations = check_diff(diff, DiffLimits.for_job(job), p.settings.secrets)
        if violations:
            raise GuardrailError("; ".join(violations))
        patch = diff.patch
        self.save(
            log_message=f"{counted(len(diff.files), 'file')} changed",
            were_changes_necessary=True,
            changed_files=tuple(f.path for f in diff.files),
            lines_added=diff.lines_added,
            lines_removed=diff.lines_removed,
            diff=patch,  # the run keeps as much of it as fits the item
            diff_ref=self.artifact("diff", patch),
        )
        draft = job.draft
        if publishing:  # what the preview's verify command found stands
            preview = self.current.verification
            draft = draft or (preview is not None and preview.status == "failed")
        elif job.verify_command:
            verification = self.verify(checkout)
            if verification.status == "failed":
                if job.require_verify_pass:
                    raise CodyError(
                        "the verify command failed: " + verification.output_tail[-500:],
                        kind="verify-failed",
                    )
                draft = True
        if not job.create_pull_requests and not publishing:
            return self.finish()
        title = pull_request_text.title(job, self.current, diff)
        remote_sha = p.workspace.remote_branch_sha(checkout, branch)
        pushing = earlier_pass.existing_branch(job, self.current, branch, remote_sha)
        sha = p.workspace.commit(checkout, title)
        if self.should_stop():
            raise StoppedError("stopped before the push")
        # Fails with LeaseLostError when another worker took the run over while this one
        # stalled. The sha is recorded first: a branch at it is this job's, even after a crash.
        self.save(log_message=pushing, pushed_sha=sha)
        p.workspace.push(checkout, branch, remote_sha)
        self.save(log_message=f"pushed {branch} at {sha[:12]}", branch=branch, commit_sha=sha)
        spec = PullRequestSpec(
            head=branch,
            base=checkout.default_branch,
            title=title,
            body=p.redact(pull_request_text.body(job, self.current, diff)),
            draft=draft,
            labels=job.labels,
            reviewers=job.reviewers,
        )
        existing = p.pull_requests.find_open(checkout.repository, branch)
        if existing is None:
            pull_request = p.pull_requests.create(checkout.repository, spec)
            state = "draft" if draft else "open"
        else:  # updated in place: whether it is a draft is unchanged (REST cannot change it)
            pull_request = p.pull_requests.update(checkout.repository, existing, spec)
            state = self.current.pull_request_state or "open"
        return self.finish(
            pull_request_url=pull_request.url,
            pull_request_number=pull_request.number,
            pull_request_state=state,
            publish_requested=None,
        )

    def run_verify(self, checkout: Checkout) -> CommandResult:
        command = self.job.verify_command or ""
        timeout = self.p.settings.verify_timeout
        return self.p.runner.run(
            command,
            checkout.path,
            timeout,
            self.should_stop,
            env=repository_code.environment(self.job, checkout.repository.name),
            network=self.job.network,
        )

    def verify(self, checkout: Checkout) -> Verification:
        """The assistant's last verify result on the final state if it has one, else a new run."""
        result = self.verified or self.run_verify(checkout)
        if result.stopped:
            raise StoppedError("stopped while the verify command ran")
        verification = Verification(  # redact before cutting: a cut secret is still a secret
            status="passed" if result.ok else "failed",
            output_tail=self.p.redact(result.output),  # the model keeps its end
        )
        self.save(log_message=f"verify {verification.status}", verification=verification)
        return verification

    def artifact(self, kind: str, content: Any) -> str:
        data = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        run = self.current
        return self.p.artifacts.put(
            run.job_id,
            run.repository_name,
            kind,
            self.p.redact(data).encode("utf-8", "surrogateescape"),
        )

    def inline_conversation(self, result: AssistantResult, ref: str) -> ClaudeConversation:
        """The session in the existing API's shape, kept on the run where the dashboard reads it."""
        now_ms = int(self.p.clock.now().timestamp() * 1000)
        messages = api_messages(result.conversation or [], now_ms, self.p.redact)
        return ClaudeConversation.model_validate(
            {"thread_id": ref, "messages": messages, "token_usage": result.token_usage}
        )

    def save(
        self, log_message: str | None = None, level: LogLevel = "info", **changes: Any
    ) -> None:
        if self.current.sandbox is None:  # every run that started says what confined it
            changes.setdefault("sandbox", self.p.runner.sandbox)
        run = self.current.evolve(**changes)
        renewed = self.lease_expiry()
        if run.status == RunStatus.IN_PROGRESS and renewed is not None:
            run = run.evolve(lease_expires_at=renewed)
        if log_message:
            entry = LogEntry(
                timestamp=self.p.clock.now(), level=level, message=self.p.redact(log_message)
            )
            run = run.with_log(entry)
        saved = self.p.store.save_run(run)
        if saved is None:
            raise LeaseLostError(f"lease on {run.repository_name} was taken over")
        self.current = saved

    def finish(self, **changes: Any) -> RepositoryRun:
        end = {"completed_at": self.p.clock.now(), "lease_expires_at": None, "error": None}
        self.save(**{"status": RunStatus.COMPLETED, **end, **changes})
        return self.current

    def skip(self, reason: RunError) -> RepositoryRun:
        with contextlib.suppress(LeaseLostError):
            self.finish(status=RunStatus.SKIPPED, error=reason, log_message=reason.message)
        return self.current

    def fail(self, error: RunError) -> RepositoryRun:
        error = error.evolve(message=self.p.redact(error.message))
        if error.kind == StoppedError.kind:  # not the repository's fault: the attempt is given back
            return self.release(error, attempt=self.current.attempt - 1)
        if error.transient and self.current.attempt < self.job.max_attempts:
            return self.release(error)
        with contextlib.suppress(LeaseLostError):
            self.save(
                log_message=f"failed: {error.kind}: {error.message}",
                level="error",
                status=RunStatus.FAILED,
                completed_at=self.p.clock.now(),
                lease_expires_at=None,
                error=error,
            )
        return self.current

    def release(self, error: RunError, attempt: int | None = None) -> RepositoryRun:
        """Back to pending so this or another worker tries again."""
        try:
            self.save(
                log_message=f"will retry: {error.kind}: {error.message}",
                level="warning",
                status=RunStatus.PENDING,
                lease_expires_at=None,
                error=error,
                attempt=self.current.attempt if attempt is None else attempt,
            )
        except LeaseLostError:
            pass
        except Exception as exc:  # store unreachable: the lease expires and another takes over
            log.warning("could not release %s: %s", self.current.repository_name, exc)
        return self.current
