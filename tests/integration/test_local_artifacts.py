"""LocalArtifactStore only: no way out of its root (the shared contract is in test_s3_artifacts)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cody_adapters.local.artifacts import LocalArtifactStore
from cody_core.errors import InputError, NotAllowedError, NotFoundError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "artifacts"


@pytest.fixture
def store(root: Path) -> LocalArtifactStore:
    return LocalArtifactStore(root)


def path_of(ref: str) -> Path:
    return Path(urlsplit(ref).path)


def test_unsafe_job_ids_and_kinds_are_refused(store: LocalArtifactStore, root: Path) -> None:
    for job_id, kind in [("../job", "diff"), ("a/b", "diff"), ("job-1", "../x"), ("job-1", "")]:
        with pytest.raises(InputError):
            store.put(job_id, "owner/name", kind, b"x")

    assert not root.exists() or list(root.rglob("*")) == []


def test_refs_that_leave_the_root_are_refused(
    store: LocalArtifactStore, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret"
    outside.write_bytes(b"secret")
    ref = store.put("job-1", "owner/name", "diff", b"x")
    link = path_of(ref).parent / "link"
    link.symlink_to(outside)

    for escaping in [outside.as_uri(), f"{root.resolve().as_uri()}/../secret", link.as_uri()]:
        with pytest.raises(NotAllowedError):
            store.get(escaping)
    for malformed in ["s3://bucket/key", "mem://job-1/owner/name/diff", "file://host/x"]:
        with pytest.raises(InputError):
            store.get(malformed)


def test_a_missing_ref_is_not_found(store: LocalArtifactStore, root: Path) -> None:
    ref = store.put("job-1", "owner/name", "diff", b"x")

    with pytest.raises(NotFoundError):
        store.get(ref + "-gone")
    with pytest.raises(NotFoundError):
        store.get(root.resolve().as_uri())
