"""ArtifactStore on the local disk: immutable files under one root, addressed by file:// refs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from cody_adapters.shared.artifact_keys import artifact_key
from cody_adapters.shared.files import replace_atomically
from cody_core.errors import InputError, NotAllowedError, NotFoundError


class LocalArtifactStore:
    """Files named `<root>/<job>/<repository slug>/<kind>-<content hash>`, each written once."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def put(self, job_id: str, repository_name: str, kind: str, content: bytes) -> str:
        path = self._root / artifact_key(job_id, repository_name, kind, content)
        if not path.exists():  # the name carries the content hash: an existing file is this one
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(path, content)
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
