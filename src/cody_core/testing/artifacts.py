"""An in-memory ArtifactStore whose refs, like real ones, always name the same bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cody_core.errors import NotFoundError


class FakeArtifactStore:
    """Dict-backed; `puts` records every call as (job_id, repository_name, kind)."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self.puts: list[tuple[str, str, str]] = []

    def put(self, job_id: str, repository_name: str, kind: str, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()[:16]
        ref = f"mem://{job_id}/{repository_name}/{kind}@{digest}"
        self._blobs.setdefault(ref, bytes(content))
        self.puts.append((job_id, repository_name, kind))
        return ref

    def get(self, ref: str) -> bytes:
        try:
            return self._blobs[ref]
        except KeyError:
            raise NotFoundError(f"no artifact {ref}") from None

    def values(self) -> Iterable[bytes]:
        return list(self._blobs.values())
