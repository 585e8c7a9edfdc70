"""A Claude session as the existing API's claude-thread endpoint serves it, made to fit a run item.

The session's own record (the conversation artifact) keeps everything; what goes on the run is
the API's shape: `{role: human | assistant, content, timestamp (epoch ms), type}` per message,
every string clipped, and the middle of a long session replaced by one message that says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from cody_core.item_size import significant_digits, text_size, value_size

Message = dict[str, Any]
MAX_NUMBER_DIGITS = 38  # DynamoDB's precision; a longer number is kept as text
LEFT_OUT = "[{count} messages left out here to fit the store: `cody job conversation` shows all]"
_CLIPPED = " […]"


def api_messages(
    entries: Iterable[Mapping[str, Any]], default_ms: int, redact: Callable[[str], str]
) -> list[Message]:
    """The Messages API turns of a session record, typed the way the dashboard groups them."""
    messages: list[Message] = []
    for entry in entries:
        role = entry.get("role")
        if role not in ("user", "assistant"):  # the system prompt and verify results are not turns
            continue
        content = _redacted(entry.get("content", ""), redact)
        blocks = content if isinstance(content, list) else []
        kinds = {block.get("type") for block in blocks if isinstance(block, dict)}
        if role == "assistant":
            kind = "tool_call" if "tool_use" in kinds else "response"
        else:
            kind = "tool_result" if "tool_result" in kinds else "prompt"
        timestamp = entry.get("timestamp")
        messages.append(
            {
                "role": "human" if role == "user" else "assistant",
                "content": content,
                "timestamp": timestamp if isinstance(timestamp, int) else default_ms,
                "type": kind,
            }
        )
    return messages


def bound_messages(messages: list[Message], max_bytes: int, max_text_bytes: int) -> list[Message]:
    """At most `max_bytes` as DynamoDB counts a list: strings clipped, then the middle dropped."""
    kept = [{**m, "content": storable(m.get("content", ""), max_text_bytes)} for m in messages]
    for index, message in enumerate(kept):  # one message may not crowd out all the others
        size = value_size(message)
        if size > max_bytes // 8:
            kept[index] = {**message, "content": f"[{size:,} bytes of content left out]"}
    sizes = [1 + value_size(m) for m in kept]
    if 3 + sum(sizes) <= max_bytes:
        return kept
    marker_room = 1 + value_size(_marker(len(kept), 2**63))
    budget = max_bytes - 3 - marker_room
    start, end, used = 0, len(kept), 0
    while start < end and used + sizes[start] <= budget // 2:
        used += sizes[start]
        start += 1
    while end > start and used + sizes[end - 1] <= budget:
        used += sizes[end - 1]
        end -= 1
    timestamp = kept[start].get("timestamp", 0) if start < len(kept) else 0
    return [*kept[:start], _marker(end - start, timestamp), *kept[end:]]


def storable(value: Any, max_text_bytes: int) -> Any:
    """JSON-shaped `value` that DynamoDB can hold: strings clipped, odd numbers kept as text."""
    if isinstance(value, str):
        return _clip(value, max_text_bytes)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if _storable_number(value) else repr(value)
    if isinstance(value, Mapping):
        limit = max_text_bytes
        return {_clip(str(k), limit): storable(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(element, max_text_bytes) for element in value]
    return _clip(str(value), max_text_bytes)


def _marker(count: int, timestamp: int) -> Message:
    content = LEFT_OUT.format(count=count)
    return {"role": "assistant", "content": content, "timestamp": timestamp, "type": "response"}


def _clip(text: str, max_bytes: int) -> str:
    text = text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text
    if text_size(text) <= max_bytes:
        return text
    cut = text.encode()[: max(0, max_bytes - text_size(_CLIPPED))].decode("utf-8", "ignore")
    return cut + _CLIPPED


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _storable_number(value: int | float) -> bool:
    """Within DynamoDB's numbers: 38 significant digits, magnitudes 1E-130 to under 1E+126."""
    if isinstance(value, float) and not math.isfinite(value):
        return False
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number == 0:
        return True
    return significant_digits(number) <= MAX_NUMBER_DIGITS and -130 <= number.adjusted() <= 125


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: _redacted(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(element, redact) for element in value]
    return value
