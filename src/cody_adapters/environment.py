"""The environment of the processes cody starts: git, and commands that run repository code."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence

# Names that hold credentials, whatever their value; values that are secrets, whatever their name.
_SECRET_NAMES = frozenset({"GITHUB_TOKEN", "GH_TOKEN", "CLAUDE_API_KEY"})
_SECRET_PREFIXES = ("ANTHROPIC_", "AWS_")


def scrubbed_environ(
    secrets: Sequence[str] = (),
    *,
    drop_names: Collection[str] = (),
    drop_prefixes: tuple[str, ...] = (),
) -> dict[str, str]:
    """os.environ without credentials, secret values, and what the caller also drops."""
    prefixes = _SECRET_PREFIXES + drop_prefixes
    return {
        name: value
        for name, value in os.environ.items()
        if name not in _SECRET_NAMES
        and name not in drop_names
        and not name.startswith(prefixes)
        and value not in secrets
    }
