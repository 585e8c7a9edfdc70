"""Repository references: every accepted spelling normalised to one canonical name."""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from cody_core.errors import InputError

# GitHub's own rules: owners are alphanumerics and single hyphens, names add '.' and '_'.
_OWNER = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9])*")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
SHELL_METACHARACTERS = frozenset(";&|`$<>(){}[]*?!'\"\\#")
_GITHUB_HOSTS = ("github.com", "www.github.com")
_HOST = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_FORMS = "owner/name, https://github.com/owner/name or a local path"


@dataclass(frozen=True)
class RepositoryRef:
    """A repository the pipeline may touch: on GitHub (`owner/name`) or a local path."""

    kind: Literal["github", "local"]
    name: str

    @property
    def is_local(self) -> bool:
        return self.kind == "local"

    @property
    def owner(self) -> str:
        return self.name.split("/")[0] if self.kind == "github" else ""

    def __str__(self) -> str:
        return self.name


def parse_reference(raw: str, *, cwd: str | None = None, home: str | None = None) -> RepositoryRef:
    """Normalise a reference; raise InputError naming what is wrong with it.

    Relative and `~/` paths resolve against `cwd` and `home`, by default the process's own.
    """
    if not raw:
        raise InputError(f"empty repository reference: give {_FORMS}")
    if _has_control_or_space(raw):
        raise InputError(
            f"repository reference {raw!r} contains whitespace or control characters: remove them"
        )
    lowered = raw.lower()
    if lowered.startswith("file:"):
        return _file_url(raw, cwd=cwd, home=home)
    if "://" in raw:
        return _github_url(raw)
    if raw.startswith(("/", "./", "~")) or raw in (".", ".."):
        return _local(raw, raw, cwd=cwd, home=home)
    if raw.startswith("../"):
        raise _dot_dot(raw)
    if lowered.startswith(tuple(f"{host}/" for host in _GITHUB_HOSTS)):
        return _github_path(raw.split("/", 1)[1], raw, trailing_slash=True)
    return _github_path(raw, raw, trailing_slash=False)


def _has_control_or_space(text: str) -> bool:
    # Categories C* (controls, format characters such as bidi overrides, surrogates) and Z*.
    return any(unicodedata.category(ch)[0] in "CZ" for ch in text)


def _metacharacter(text: str) -> str | None:
    return next((ch for ch in text if ch in SHELL_METACHARACTERS), None)


def _dot_dot(raw: str) -> InputError:
    return InputError(
        f"repository path {raw!r} contains '..': give the path without it (absolute, ./x or ~/x)"
    )


def _file_url(raw: str, *, cwd: str | None, home: str | None) -> RepositoryRef:
    if not raw.lower().startswith("file:///") and not raw.lower().startswith("file://localhost/"):
        raise InputError(f"file URL {raw!r} must have the form file:///absolute/path")
    if "?" in raw or "#" in raw:
        raise InputError(f"file URL {raw!r} must not carry a query or fragment: remove it")
    path = unquote(raw[raw.index("/", len("file://")) :])
    if _has_control_or_space(path):
        raise InputError(
            f"file URL {raw!r} decodes to a path with whitespace or control characters"
        )
    return _local(path, raw, cwd=cwd, home=home)


def _local(path: str, raw: str, *, cwd: str | None, home: str | None) -> RepositoryRef:
    _check_path(path, raw)
    if path == "~" or path.startswith("~/"):
        home = home if home is not None else posixpath.expanduser("~")
        path = posixpath.join(home, path[2:])
    elif path.startswith("~"):
        raise InputError(f"repository path {raw!r}: only ~/ is supported, give the full path")
    if not path.startswith("/"):
        path = posixpath.join(cwd if cwd is not None else os.getcwd(), path)
    name = posixpath.normpath(path)
    if not name.startswith("/") or name.startswith("//"):
        raise InputError(f"repository path {raw!r} does not resolve to an absolute path")
    if name == "/":
        raise InputError(f"repository path {raw!r} is the filesystem root: give a directory")
    # The working or home directory joined in must itself be a valid path.
    _check_path(name, raw)
    if _has_control_or_space(name):
        raise InputError(f"repository path {raw!r} resolves to {name!r}, which has whitespace")
    return RepositoryRef(kind="local", name=name)


def _check_path(path: str, raw: str) -> None:
    bad = _metacharacter(path)
    if bad is not None:
        raise InputError(
            f"repository path {raw!r} contains {bad!r}, which a path here may not: rename or "
            "link the directory"
        )
    segments = path.split("/")
    if ".." in segments:
        raise _dot_dot(raw)
    inner = segments[1:-1] if path.startswith("/") else segments[:-1]
    if "" in inner:
        raise InputError(f"repository path {raw!r} has an empty segment ('//'): remove it")


def _github_url(raw: str) -> RepositoryRef:
    try:
        parts = urlsplit(raw)
    except ValueError as exc:
        raise InputError(f"repository URL {raw!r} is malformed ({exc}): use {_FORMS}") from None
    host = parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[0].lower()
    if parts.scheme != "https" or host not in _GITHUB_HOSTS:
        raise _not_github(raw)
    if "@" in parts.netloc or ":" in parts.netloc or "?" in raw or "#" in raw:
        raise InputError(
            f"repository URL {raw!r} must not carry credentials, a port, a query or a fragment: "
            "use https://github.com/owner/name"
        )
    if not parts.path.startswith("/"):
        raise InputError(f"repository URL {raw!r} has no path: use https://github.com/owner/name")
    return _github_path(parts.path[1:], raw, trailing_slash=True)


def _not_github(raw: str) -> InputError:
    return InputError(f"repository {raw!r} is not on github.com over https: use {_FORMS}")


def _github_path(path: str, raw: str, *, trailing_slash: bool) -> RepositoryRef:
    if trailing_slash and path.endswith("/"):
        path = path[:-1]
    parts = path.split("/")
    first = parts[0]
    if "@" in raw or ":" in first or (len(parts) > 1 and _HOST.fullmatch(first)):
        raise _not_github(raw)
    bad = _metacharacter(path)
    if bad is not None:
        raise InputError(f"repository {raw!r} contains {bad!r}: give owner/name")
    if "" in parts:
        raise InputError(f"repository {raw!r} has an empty part: give owner/name")
    if ".." in parts:
        raise InputError(f"repository {raw!r} contains '..': give owner/name")
    if len(parts) == 1:
        raise InputError(f"repository {raw!r} is not of the form owner/name")
    if len(parts) != 2:
        raise InputError(
            f"repository {raw!r} has {len(parts)} path parts, not two: give just owner/name"
        )
    owner, name = parts
    if name[-4:].lower() == ".git":
        name = name[:-4]
    if not _OWNER.fullmatch(owner) or len(owner) > 39:
        raise InputError(f"repository owner {owner!r} in {raw!r} is not a valid GitHub owner")
    if not _NAME.fullmatch(name) or name in (".", "..") or name[-4:].lower() == ".git":
        raise InputError(f"repository name {name!r} in {raw!r} is not a valid GitHub name")
    return RepositoryRef(kind="github", name=f"{owner}/{name}".lower())
