"""ALLOWED_REPOSITORIES: which repositories the pipeline may touch at all."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from cody_core.errors import InputError, NotAllowedError
from cody_core.policies.guardrails import compile_glob
from cody_core.policies.references import RepositoryRef, parse_reference

_GITHUB_GLOB = re.compile(r"[A-Za-z0-9._*-]+/[A-Za-z0-9._*-]+")
# Every spelling a repository reference accepts: the existing stack sets github.com/owner/*.
_GITHUB_PREFIX = re.compile(r"(?:https://)?(?:www\.)?github\.com/", re.IGNORECASE)
_FORMS = (
    "owner/name, owner/* (or github.com/owner/*, https://github.com/owner/*), */* or an "
    "absolute path such as /srv/repos/*"
)


@dataclass(frozen=True)
class _Matcher:
    kind: Literal["github", "local"]
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Allowlist:
    """GitHub patterns (`owner/name`, `owner/*`) and local path globs (`/srv/repos/*`, `/tmp/**`).

    `*` stays within one path segment and `**` spans segments; GitHub names ignore case.
    An empty allowlist allows nothing.
    """

    patterns: tuple[str, ...]
    _matchers: tuple[_Matcher, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_matchers", tuple(_matcher(p) for p in self.patterns))

    @classmethod
    def parse(cls, text: str) -> Allowlist:
        """Comma-separated patterns, as ALLOWED_REPOSITORIES holds them."""
        return cls(tuple(entry.strip() for entry in text.split(",") if entry.strip()))

    def allows(self, ref: RepositoryRef) -> bool:
        name = ref.name.lower() if ref.kind == "github" else ref.name
        return any(m.kind == ref.kind and m.regex.fullmatch(name) for m in self._matchers)

    def check(self, ref: RepositoryRef) -> None:
        if self.allows(ref):
            return
        listed = ", ".join(self.patterns) or "empty"
        raise NotAllowedError(
            f"{ref} is not in ALLOWED_REPOSITORIES ({listed}): add it, or a pattern such as "
            f"{suggested_pattern(ref)}, to ALLOWED_REPOSITORIES"
        )


def suggested_pattern(ref: RepositoryRef) -> str:
    """A pattern of the reference's own kind that allows it: `owner/*`, or `/its/directory/*`."""
    return f"{ref.name.rsplit('/', 1)[0] or ''}/*"


def _matcher(pattern: str) -> _Matcher:
    if pattern.lower().startswith("file:"):
        pattern = _file_path(pattern)
    if "*" not in pattern:  # one repository, local or on GitHub
        ref = _exact(pattern)
        return _Matcher(ref.kind, re.compile(re.escape(ref.name)))
    if pattern.startswith("/"):
        return _local_matcher(pattern)
    pattern = _github_glob(pattern)
    if not _GITHUB_GLOB.fullmatch(pattern):
        raise InputError(f"ALLOWED_REPOSITORIES entry {pattern!r} is not one of {_FORMS}")
    return _Matcher("github", compile_glob(pattern.lower()))


def _github_glob(pattern: str) -> str:
    """`owner/*` out of `github.com/owner/*` or `https://github.com/owner/*.git/`."""
    prefix = _GITHUB_PREFIX.match(pattern)
    if prefix is None:
        return pattern
    rest = pattern[prefix.end() :].removesuffix("/")
    return rest[:-4] if rest.lower().endswith(".git") else rest


def _local_matcher(pattern: str) -> _Matcher:
    if ".." in pattern.split("/") or any(ch.isspace() for ch in pattern):
        raise InputError(f"ALLOWED_REPOSITORIES entry {pattern!r} is not one of {_FORMS}")
    return _Matcher("local", compile_glob(pattern))


def _file_path(pattern: str) -> str:
    rest = pattern[len("file:") :]
    for prefix in ("///", "//localhost/"):
        if rest.lower().startswith(prefix):
            return unquote("/" + rest[len(prefix) :])
    raise InputError(f"ALLOWED_REPOSITORIES entry {pattern!r}: a file URL is file:///path")


def _exact(pattern: str) -> RepositoryRef:
    if pattern.startswith(("./", "~")) or pattern in (".", ".."):
        raise InputError(
            f"ALLOWED_REPOSITORIES entry {pattern!r} is a relative path: give an absolute path"
        )
    try:
        return parse_reference(pattern)
    except InputError as exc:
        raise InputError(f"ALLOWED_REPOSITORIES entry {pattern!r} is invalid: {exc}") from None
