"""The async Claude client, and what its failures mean to the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import anthropic
from anthropic import AsyncAnthropic, AsyncAnthropicBedrock

from cody_core.errors import CodyError, InputError, TransientError
from cody_core.policies.secrets import redact

ClaudeClient = AsyncAnthropic | AsyncAnthropicBedrock
DEFAULT_MAX_RETRIES = 4

_PERMANENT_KINDS = {401: "auth", 403: "permission", 400: "invalid-request", 404: "invalid-request"}


def claude_client(
    provider: Literal["anthropic", "bedrock"] | str = "anthropic",
    api_key: str | None = None,
    base_url: str | None = None,
    region: str | None = None,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> ClaudeClient:
    """An async client; the SDK retries 408/409/429/5xx/529 with backoff and honours retry-after.

    Builds the client only: nothing is sent until a session starts.
    """
    if provider == "bedrock":
        # The AWS credential chain signs each request; ANTHROPIC_BASE_URL is not Bedrock's.
        return AsyncAnthropicBedrock(aws_region=region, max_retries=max_retries)
    if provider != "anthropic":
        raise InputError(f"CLAUDE_PROVIDER {provider!r} is not known: use anthropic or bedrock")
    if not api_key:
        raise InputError(
            "CLAUDE_API_KEY is not set: set it, or use CLAUDE_PROVIDER=bedrock with AWS credentials"
        )
    return AsyncAnthropic(api_key=api_key, base_url=base_url or None, max_retries=max_retries)


def api_error(exc: anthropic.APIError, secrets: Sequence[str] = ()) -> CodyError:
    """The CodyError for an API failure that the SDK's retries did not overcome."""
    if isinstance(exc, anthropic.APITimeoutError):
        return TransientError(f"Claude API: {exc.message}", kind="timeout")
    if isinstance(exc, anthropic.APIConnectionError):
        return TransientError(f"Claude API: {exc.message}", kind="network")
    if not isinstance(exc, anthropic.APIStatusError):
        return TransientError(f"Claude API: {redact(exc.message, secrets)}", kind="server-error")
    status = exc.status_code
    detail = exc.api_message or exc.message
    message = redact(f"Claude API {status} {exc.type or 'error'}: {detail}", secrets)
    if status in (429, 529):
        return TransientError(message, kind="throttled")
    if status == 408:
        return TransientError(message, kind="timeout")
    if status == 409 or status >= 500:
        return TransientError(message, kind="server-error")
    return CodyError(message, kind=_PERMANENT_KINDS.get(status, "api-error"))
