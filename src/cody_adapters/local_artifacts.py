"""ArtifactStore on the local disk: immutable files under one root, addressed by file:// refs."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cody_core.errors import InputError, NotAllowedError, NotFoundError

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")


class LocalArtifactStore:
    """Files named `<root>/<job>/<repository slug>/<kind>-<content hash>`, each written once."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def put(self, job_id: str, repository_name: str, kind: str, content: bytes) -> str:
        for label, value in (("job id", job_id), ("artifact kind", kind)):
            if not _SAFE.fullmatch(value):
                raise InputError(f"{label} {value!r} is not safe in a file name")
        digest = hashlib.sha256(content).hexdigest()[:16]
        path = self._root / job_id / _slug(repository_name) / f"{kind}-{digest}"
        if not path.exists():  # the name carries the content hash: an existing file is this one
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(content)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return path.as_uri()

    def get(self, ref: str) -> bytes:
        parts = urlsplit(ref)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise InputError(f"{ref!r} is not a file:// artifact ref")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self._root):
            raise NotAllowedError(f"{ref} is outside the artifact directory {self._root}")
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(f"no artifact {ref}") from None


def _slug(repository_name: str) -> str:
    """A readable, collision-free directory name for `owner/name` or a local path."""
    readable = _UNSAFE_RUN.sub("-", repository_name)[-60:].strip("-.") or "repository"
    digest = hashlib.sha256(repository_name.encode()).hexdigest()[:10]
    return f"{readable}-{digest}"
