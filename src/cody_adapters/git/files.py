"""What git leaves on disk and prints, read without spawning git: diffs, HEAD, checkouts."""

from __future__ import annotations

import os
from pathlib import Path

from cody_core.ports import Diff, FileChange


def parse_diff(output: bytes) -> Diff:
    fields = output.split(b"\0")
    files: list[FileChange] = []
    index = 0
    while index < len(fields) and fields[index]:
        added, removed, path = fields[index].split(b"\t", 2)
        index += 1
        old_path = None
        if not path:  # a rename or copy: the old path and the new path follow
            old_path, path = fields[index], fields[index + 1]
            index += 2
        binary = added == b"-"
        files.append(
            FileChange(
                path=os.fsdecode(path),
                added=0 if binary else int(added),
                removed=0 if binary else int(removed),
                binary=binary,
                old_path=None if old_path is None else os.fsdecode(old_path),
            )
        )
    patch = b"\0".join(fields[index + 1 :]) if files else b""
    return Diff(tuple(files), patch.decode("utf-8", errors="surrogateescape"))


def local_git_dir(repository: Path) -> Path | None:
    """The git dir of a local repository (bare, or a work tree's .git) whose refs are plain
    files; None when git itself must be asked (a gitfile, or the reftable format)."""
    for candidate in (repository / ".git", repository):
        if (candidate / "refs").is_dir() and (candidate / "HEAD").is_file():
            return None if (candidate / "reftable").exists() else candidate
    return None


def read_ref(git_dir: Path, ref: str) -> str | None:
    """The commit `ref` points at, from the loose ref or packed-refs; None when it is absent."""
    loose = read_or_none(git_dir / ref)
    if loose is not None:
        return loose.decode().strip()
    for line in (read_or_none(git_dir / "packed-refs") or b"").decode().splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None


def read_head(git_dir: Path) -> tuple[str, str] | None:
    """(HEAD's ref, commit sha) read from the files git writes, or None when HEAD is unborn."""
    head = (git_dir / "HEAD").read_text().strip()
    if not head.startswith("ref: "):
        return "HEAD", head
    ref = head.removeprefix("ref: ")
    sha = read_ref(git_dir, ref)
    return None if sha is None else (ref, sha)


def read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
