"""LocalArtifactStore on a real directory: large files, write-once refs, no way out of the root."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cody_adapters.local_artifacts import LocalArtifactStore
from cody_core.errors import InputError, NotAllowedError, NotFoundError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "artifacts"


@pytest.fixture
def store(root: Path) -> LocalArtifactStore:
    return LocalArtifactStore(root)


def path_of(ref: str) -> Path:
    return Path(urlsplit(ref).path)


def test_a_five_megabyte_artifact_reads_back(store: LocalArtifactStore, root: Path) -> None:
    content = os.urandom(5 * 1024 * 1024)

    ref = store.put("job-1", "owner/name", "diff", content)

    assert ref.startswith("file://")
    assert path_of(ref).is_relative_to(root.resolve())
    assert store.get(ref) == content
    assert LocalArtifactStore(root).get(ref) == content


def test_the_same_content_is_written_once(store: LocalArtifactStore) -> None:
    ref = store.put("job-1", "owner/name", "diff", b"patch")
    written = path_of(ref).stat()

    again = store.put("job-1", "owner/name", "diff", b"patch")

    assert again == ref
    assert (path_of(ref).stat().st_ino, path_of(ref).stat().st_mtime_ns) == (
        written.st_ino,
        written.st_mtime_ns,
    )
    assert [p.name for p in path_of(ref).parent.iterdir()] == [path_of(ref).name]


def test_new_content_gets_a_new_ref_and_the_old_ref_keeps_its_bytes(
    store: LocalArtifactStore,
) -> None:
    first = store.put("job-1", "owner/name", "diff", b"attempt 1")

    second = store.put("job-1", "owner/name", "diff", b"attempt 2")

    assert second != first
    assert (store.get(first), store.get(second)) == (b"attempt 1", b"attempt 2")


def test_every_repository_gets_its_own_directory_inside_the_job(
    store: LocalArtifactStore, root: Path
) -> None:
    names = ["o/r", "O/r", "o-r", "o_r", "/home/me/src/o/r", "../../etc/passwd", "ä/☃", "/"]

    refs = [store.put("job-1", name, "diff", b"same") for name in names]

    directories = {path_of(ref).parent for ref in refs}
    assert len(directories) == len(names)
    assert {d.parent for d in directories} == {root.resolve() / "job-1"}
    assert all(not d.name.startswith(".") for d in directories)


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
