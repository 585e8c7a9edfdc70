"""One Claude session over one checkout: the SDK's tool runner, inside our limits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anthropic.lib.tools import BetaAsyncBuiltinFunctionTool
from anthropic.types.beta import BetaMessage

from cody_adapters.claude import prompts
from cody_adapters.claude.budget import TokenBudget
from cody_adapters.claude.client import ClaudeClient
from cody_core.models import TokenUsage
from cody_core.policies.secrets import redact
from cody_core.ports import AssistantRequest, CommandResult

# Top-level cache_control is the API's automatic caching: one breakpoint on the last block of
# every request, so each turn reads the prefix the turn before it wrote.
AUTOMATIC_CACHING = {"type": "ephemeral"}
MAX_CUT_OFF_ROUNDS = 2


@dataclass(frozen=True)
class SessionSettings:
    model: str
    max_tokens: int
    message_threads: bool
    timeout: float
    verify_rounds: int
    job_token_limit: int | None
    prompt_caching: bool = True  # off only to measure what caching saves


class Session:
    """Rounds of the tool runner until Claude is done or a limit stops it, with a record of all.

    A round is one tool runner over the history so far. A new round starts when the last
    reply was cut at the output limit, or when the verify command failed on a finished one.
    """

    def __init__(
        self,
        request: AssistantRequest,
        settings: SessionSettings,
        tools: Sequence[BetaAsyncBuiltinFunctionTool],
        budget: TokenBudget,
        secrets: Sequence[str],
    ) -> None:
        self.request = request
        self.settings = settings
        self.tools = tools
        self.budget = budget
        self.secrets = secrets
        self.system = prompts.system_prompt(request.job, cached=settings.prompt_caching)
        opening = prompts.opening(request.checkout)
        self.history: list[dict[str, Any]] = [opening]
        self.conversation: list[dict[str, Any]] = [
            {"role": "system", "content": self.system, "model": settings.model},
            opening,
        ]
        self.turns = 0
        self.usage = TokenUsage()
        self.stop_reason = "end_turn"
        self.summary = ""
        self.verification: CommandResult | None = None

    async def run(self, client: ClaudeClient) -> None:
        # The clock covers Claude's rounds; the verify command has a timeout of its own.
        deadline = asyncio.get_running_loop().time() + self.settings.timeout
        cut_offs = verify_rounds = 0
        while True:
            last = await self._timed_round(client, deadline)
            if last is None:
                return
            if last.stop_reason == "max_tokens" and cut_offs < MAX_CUT_OFF_ROUNDS:
                cut_offs += 1
                calls = [block.id for block in last.content if block.type == "tool_use"]
                self._add(prompts.cut_off(calls))
                continue
            verify = self.request.verify
            if last.stop_reason in ("end_turn", "stop_sequence") and verify is not None:
                result = await asyncio.to_thread(verify)
                self._record_verification(result)
                if not result.ok and verify_rounds < self.settings.verify_rounds:
                    verify_rounds += 1
                    self._add(prompts.verify_failed(result, self._redact(result.output)))
                    continue
            self.stop_reason = last.stop_reason or "end_turn"
            return

    async def _timed_round(self, client: ClaudeClient, deadline: float) -> BetaMessage | None:
        timer = asyncio.timeout_at(deadline)
        try:
            async with timer:
                return await self._round(client)
        except TimeoutError:
            if not timer.expired():
                raise
            self.stop_reason = "timeout"
            return None

    async def _round(self, client: ClaudeClient) -> BetaMessage | None:
        """Run the tool runner to its end; the last reply, or None when a limit stopped it."""
        remaining_turns = self.request.job.max_turns - self.turns
        if remaining_turns <= 0:
            self.stop_reason = "max_turns"
            return None
        if self._stopped_by_limit():
            return None
        # The SDK's Bedrock client borrows the first-party method, whose `self` then mismatches.
        runner = client.beta.messages.tool_runner(**self._params(remaining_turns))  # type: ignore[misc]
        last: BetaMessage | None = None
        try:
            async for stream in runner:
                last = await stream.get_final_message()
                self._record_reply(last)
                if last.stop_reason == "tool_use":
                    # Cached by the runner: the results it sends next are these.
                    results = await runner.generate_tool_call_response()
                    if results is not None:
                        self._add(dict(results))
                if self._stopped_by_limit():
                    return None
        finally:
            await runner.close()
        if last is not None and last.stop_reason == "tool_use":  # max_iterations ended the runner
            self.stop_reason = "max_turns"
            return None
        return last

    def _params(self, max_iterations: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.settings.model,
            "max_tokens": self.settings.max_tokens,
            "system": self.system,
            "tools": self.tools,
            "messages": list(self.history),
            "stream": True,  # the API requires it for large max_tokens
            "max_iterations": max_iterations,
        }
        if self.settings.prompt_caching:
            params["cache_control"] = AUTOMATIC_CACHING
        if not self.settings.message_threads:
            params["thread"] = False
        return params

    def _stopped_by_limit(self) -> bool:
        """Set `stop_reason` and say so when a limit other than turns or time is reached."""
        job = self.request.job
        if self.request.should_stop():
            self.stop_reason = "stopped"
        elif job.max_tokens is not None and self.usage.total >= job.max_tokens:
            self.stop_reason = "max_tokens_repository"
        elif self.budget.exhausted(job.job_id, self.settings.job_token_limit):
            self.stop_reason = "max_tokens_job"
        else:
            return False
        return True

    def _record_reply(self, message: BetaMessage) -> None:
        usage = message.usage
        turn_usage = TokenUsage(
            input=usage.input_tokens,
            output=usage.output_tokens,
            cache_creation=usage.cache_creation_input_tokens or 0,
            cache_read=usage.cache_read_input_tokens or 0,
        )
        self.turns += 1
        self.usage += turn_usage
        self.budget.spend(self.request.job.job_id, turn_usage.total)
        texts = [block.text for block in message.content if block.type == "text"]
        if texts:
            self.summary = "\n\n".join(texts).strip()
        self.history.append(dict(message.to_param()))
        content = [block.model_dump(mode="json", exclude_none=True) for block in message.content]
        self.conversation.append(
            {
                "role": "assistant",
                "content": content,
                "turn": self.turns,
                "id": message.id,
                "stop_reason": message.stop_reason,
                "usage": {
                    "input_tokens": turn_usage.input,
                    "output_tokens": turn_usage.output,
                    "cache_creation_input_tokens": turn_usage.cache_creation,
                    "cache_read_input_tokens": turn_usage.cache_read,
                },
            }
        )

    def _record_verification(self, result: CommandResult) -> None:
        self.verification = result
        self.conversation.append(
            {
                "role": "verify",
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
                "output_tail": self._redact(result.output)[-prompts.VERIFY_TAIL_CHARS :],
            }
        )

    def _add(self, message: dict[str, Any]) -> None:
        self.history.append(message)
        self.conversation.append(message)

    def _redact(self, text: str) -> str:
        return redact(text, self.secrets)
