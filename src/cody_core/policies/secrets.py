"""Secrets: hide configured values from what is stored, and spot secret-looking strings."""

from __future__ import annotations

import re
from collections.abc import Sequence

MIN_SECRET_LENGTH = 8
REDACTED = "***"

_PATTERNS = (
    ("a GitHub token", re.compile(r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}")),
    ("an AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")),
    (
        "an AWS secret access key",
        re.compile(
            r"aws_secret_access_key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
            re.IGNORECASE,
        ),
    ),
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----")),
    # The bare prefix alone is how documentation mentions a key; a key has a long tail.
    ("an Anthropic API key", re.compile(r"sk-ant-[A-Za-z0-9_-]{20,}")),
)


def _configured(secrets: Sequence[str]) -> list[str]:
    return [secret for secret in secrets if len(secret) >= MIN_SECRET_LENGTH]


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every configured secret value (of 8 characters or more) replaced by ***."""
    values = sorted(set(_configured(secrets)), key=len, reverse=True)
    if not values:
        return text
    return re.sub("|".join(re.escape(value) for value in values), REDACTED, text)


def find_secrets(text: str, secrets: Sequence[str]) -> list[str]:
    """What secret-looking strings `text` holds, described without ever quoting them."""
    found = [description for description, pattern in _PATTERNS if pattern.search(text)]
    found += [
        f"configured secret #{index}"
        for index, secret in enumerate(secrets, start=1)
        if len(secret) >= MIN_SECRET_LENGTH and secret in text
    ]
    return found
