"""Artifact names every ArtifactStore shares: `<job>/<repository slug>/<kind>-<content hash>`."""

from __future__ import annotations

import hashlib
import re

from cody_core.errors import InputError

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")


def artifact_key(job_id: str, repository_name: str, kind: str, content: bytes) -> str:
    """A relative, slash-separated name that changes whenever the content does."""
    for label, value in (("job id", job_id), ("artifact kind", kind)):
        if not _SAFE.fullmatch(value):
            raise InputError(f"{label} {value!r} is not safe in a file name")
    digest = hashlib.sha256(content).hexdigest()[:16]
    return f"{job_id}/{repository_slug(repository_name)}/{kind}-{digest}"


def repository_slug(repository_name: str) -> str:
    """A readable, collision-free path segment for `owner/name` or a local path."""
    readable = _UNSAFE_RUN.sub("-", repository_name)[-60:].strip("-.") or "repository"
    digest = hashlib.sha256(repository_name.encode()).hexdigest()[:10]
    return f"{readable}-{digest}"
