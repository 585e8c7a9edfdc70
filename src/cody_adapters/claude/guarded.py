"""An SDK tool with our checks before it runs and our cleaning of what it returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import pydantic
from anthropic.lib.tools import BetaAsyncBuiltinFunctionTool, BetaAsyncFunctionTool, ToolError
from anthropic.types.beta import BetaToolParam
from anthropic.types.beta.beta_tool_param import InputSchemaTyped

from cody_core.policies.secrets import redact


class GuardedTool(BetaAsyncBuiltinFunctionTool):
    """Runs `check` on the input, then the SDK tool, then `clean` and redaction on the result.

    Every failure becomes a ToolError, which the tool runner sends back as an error result,
    so the model reads what went wrong and the session goes on.
    """

    def __init__(
        self,
        tool: BetaAsyncFunctionTool[Any],
        secrets: Sequence[str],
        check: Callable[[str, dict[str, Any]], None],
        clean: Callable[[str], str] = str,
    ) -> None:
        self._tool = tool
        self._check = check
        self._clean = clean
        self._secrets = secrets

    def to_dict(self) -> BetaToolParam:
        return self._tool.to_dict()

    async def call(self, input: object) -> str:
        name = self._tool.name
        try:
            if not isinstance(input, dict):
                raise ToolError(f"{name}: the input must be a JSON object: {self._fields()}")
            self._check(name, input)
            result = await self._tool.call(input)
            if not isinstance(result, str):
                raise ToolError(f"{name}: the result is not text")
        except ToolError as exc:
            message = exc.content if isinstance(exc.content, str) else str(exc)
            raise ToolError(redact(message, self._secrets)) from None
        except Exception as exc:
            raise ToolError(redact(self._describe(exc), self._secrets)) from None
        return redact(self._clean(result), self._secrets)

    def _describe(self, exc: Exception) -> str:
        name, cause = self._tool.name, exc.__cause__
        if isinstance(cause, pydantic.ValidationError):  # how the SDK reports a bad input
            problems = "; ".join(
                f"{'.'.join(map(str, error['loc'])) or 'input'}: {error['msg']}"
                for error in cause.errors(include_url=False)
            )
            return f"{name}: invalid input ({problems}); {self._fields()}"
        if isinstance(exc, OSError):
            return f"{name}: {(exc.strerror or 'i/o error').lower()}"
        return f"{name}: {type(exc).__name__}: {exc}"

    def _fields(self) -> str:
        # The SDK makes it from the function's signature: a JSON schema of an object.
        schema = cast(InputSchemaTyped, self._tool.input_schema)
        required = set(schema.get("required") or ())
        fields = [
            f"{field}{'' if field in required else ' (optional)'}"
            for field in schema.get("properties") or {}
        ]
        return "it takes " + ", ".join(fields)
