"""The `claude` code assistant: a Claude session with file tools over each checkout."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import anthropic
from anthropic import DefaultAsyncHttpxClient

from cody_adapters.claude.budget import TokenBudget
from cody_adapters.claude.client import ClaudeClient, api_error
from cody_adapters.claude.pricing import DEFAULT_PRICES, Price, estimate_cost
from cody_adapters.claude.sandbox import MAX_FILE_BYTES, Sandbox
from cody_adapters.claude.session import Session, SessionSettings
from cody_core.errors import SkippedError
from cody_core.models import Job
from cody_core.ports import AssistantRequest, AssistantResult

DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_MAX_TOKENS = 64_000


class ClaudeAssistant:
    """Changes the code by letting Claude read and edit the checkout through sandboxed tools."""

    def __init__(
        self,
        client: ClaudeClient,
        model: str = DEFAULT_MODEL,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        secrets: Sequence[str] = (),
        budget: TokenBudget | None = None,
        max_job_tokens: int | None = None,
        session_timeout: float = 1800.0,
        message_threads: bool = False,
        verify_rounds: int = 2,
        prices: Mapping[str, Price] | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
        prompt_caching: bool = True,
    ) -> None:
        self._prompt_caching = prompt_caching
        self._client = client
        self._model = model
        self._max_tokens = max_tokens
        # The key is a secret too, whether or not the caller listed it.
        self._secrets = (*secrets, *filter(None, [getattr(client, "api_key", None)]))
        self._budget = budget or TokenBudget()
        self._max_job_tokens = max_job_tokens
        self._session_timeout = session_timeout
        self._message_threads = message_threads
        self._verify_rounds = verify_rounds
        self._prices = {**DEFAULT_PRICES, **(prices or {})}
        self._max_file_bytes = max_file_bytes

    def admit(self, job: Job) -> None:
        """Refuse a new session once the job's token budget is spent."""
        limit = self._job_token_limit(job)
        if self._budget.exhausted(job.job_id, limit):
            spent = self._budget.spent(job.job_id)
            raise SkippedError(
                f"token budget spent: the job used {spent:,} of its {limit:,} tokens",
                kind="token-budget",
            )

    def change(self, request: AssistantRequest) -> AssistantResult:
        sandbox = Sandbox(request.checkout.path, self._secrets, max_file_bytes=self._max_file_bytes)
        settings = SessionSettings(
            model=self._model,
            max_tokens=self._max_tokens,
            message_threads=self._message_threads,
            timeout=self._session_timeout,
            verify_rounds=self._verify_rounds,
            job_token_limit=self._job_token_limit(request.job),
            prompt_caching=self._prompt_caching,
        )
        session = Session(request, settings, sandbox.tools(), self._budget, self._secrets)
        # Each worker thread runs its own event loop.
        asyncio.run(self._run(session))
        return AssistantResult(
            summary=session.summary,
            stop_reason=session.stop_reason,
            turns=session.turns,
            token_usage=session.usage,
            estimated_cost_usd=estimate_cost(self._model, session.usage, self._prices),
            conversation=session.conversation,
            verification=session.verification,
        )

    async def _run(self, session: Session) -> None:
        # An async HTTP pool belongs to the event loop that opened its connections, and each
        # session has its own loop: it gets its own pool, closed with the loop.
        client = self._client.copy(http_client=DefaultAsyncHttpxClient())
        try:
            async with client:
                await session.run(client)
        except anthropic.APIError as exc:
            raise api_error(exc, self._secrets) from exc

    def _job_token_limit(self, job: Job) -> int | None:
        return job.max_job_tokens if job.max_job_tokens is not None else self._max_job_tokens
