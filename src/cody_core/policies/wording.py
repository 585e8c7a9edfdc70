"""Counts in words, as people write them: "1 file", "2 files"."""

from __future__ import annotations

_IRREGULAR = {"repository": "repositories", "is": "are"}


def counted(count: int, noun: str) -> str:
    """`count` and `noun`, the noun in the plural unless the count is one."""
    return f"{count:,} {noun if count == 1 else _IRREGULAR.get(noun, noun + 's')}"
