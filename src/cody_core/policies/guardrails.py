"""Limits a change must respect before it is committed: size, protected paths, no new secrets."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cody_core.models import Job
from cody_core.policies.secrets import find_secrets
from cody_core.policies.wording import counted
from cody_core.ports import Diff


@lru_cache(maxsize=512)
def compile_glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """A '/'-separated glob: `*` stays within one segment, `**` spans any number of them.

    A trailing `/**` matches everything below (not the directory itself); `a/**/b` also
    matches `a/b`. A leading '/' anchors the pattern at the root of absolute paths.
    """
    segments = [segment for segment in pattern.split("/") if segment]
    pieces = ["/" if pattern.startswith("/") else ""]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            pieces.append(r"[^/]+(?:/[^/]+)*" if last else r"(?:[^/]+/)*")
        else:
            pieces.append("[^/]*".join(re.escape(part) for part in segment.split("*")))
            pieces.append("" if last else "/")
    return re.compile("".join(pieces), re.IGNORECASE if ignore_case else 0)


@dataclass(frozen=True)
class DiffLimits:
    max_files: int
    max_lines: int
    protected_paths: tuple[str, ...]
    allowed_protected_paths: tuple[str, ...] = ()

    @classmethod
    def for_job(cls, job: Job) -> DiffLimits:
        return cls(
            max_files=job.max_files_changed,
            max_lines=job.max_lines_changed,
            protected_paths=tuple(job.protected_paths),
            allowed_protected_paths=tuple(job.allowed_protected_paths),
        )


def lines_changed(diff: Diff) -> int:
    """Lines changed, a modified line counted once: per file, the larger of added and removed.

    A modified line is one removal and one addition in a diff; counting both would make a
    rewrite of 10,000 lines look like 20,000.
    """
    return sum(max(change.added, change.removed) for change in diff.files)


def check_diff(diff: Diff, limits: DiffLimits, secrets: Sequence[str] = ()) -> list[str]:
    """What is wrong with a change, one human-readable line each; empty when it may go ahead.

    Each line names the option of `cody job create` that lifts the limit, where one does.
    """
    violations: list[str] = []
    if len(diff.files) > limits.max_files:
        violations.append(
            f"{counted(len(diff.files), 'file')} changed, more than the limit of "
            f"{limits.max_files}: raise it with --max-files N"
        )
    lines = lines_changed(diff)
    if lines > limits.max_lines:
        violations.append(
            f"{counted(lines, 'line')} changed, more than the limit of {limits.max_lines}: "
            "raise it with --max-lines N"
        )
    for path in changed_paths(diff):
        pattern = protected_pattern(path, limits.protected_paths)
        if pattern is not None and protected_pattern(path, limits.allowed_protected_paths) is None:
            violations.append(
                f"{path} is protected (matches {pattern}): leave it unchanged, or allow it "
                f"with --allow-protected '{pattern}'"
            )
    for path, added in added_lines(diff.patch).items():
        for found in find_secrets("\n".join(added), secrets):
            violations.append(f"{path} adds a secret: {found}")
    return violations


def changed_paths(diff: Diff) -> list[str]:
    """Every path the change touches, the old side of a rename included."""
    paths = [change.path for change in diff.files]
    paths += [change.old_path for change in diff.files if change.old_path]
    return list(dict.fromkeys(paths))


def protected_pattern(path: str, protected_paths: Sequence[str]) -> str | None:
    """The first protected glob `path` matches, or None.

    Case is ignored: on a case-insensitive checkout `.GitHub/Workflows` is the same directory.
    """
    normalised = posixpath.normpath(path).lstrip("/")
    for pattern in protected_paths:
        if compile_glob(pattern.lstrip("/"), ignore_case=True).fullmatch(normalised):
            return pattern
    return None


_HUNK = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def added_lines(patch: str) -> dict[str, list[str]]:
    """The lines a unified diff adds, without their '+', by file (removing a secret is fine).

    Hunk headers are counted, so an added line that itself starts with "++" is still seen.
    """
    added: dict[str, list[str]] = {}
    path = "the patch"
    old = new = 0
    for line in patch.split("\n"):
        if old > 0 or new > 0:
            tag = line[:1]
            if tag == "+":
                added.setdefault(path, []).append(line[1:])
                new -= 1
            elif tag == "-":
                old -= 1
            elif tag != "\\":  # "\ No newline at end of file" counts for neither side
                old, new = old - 1, new - 1
        elif hunk := _HUNK.match(line):
            old, new = int(hunk[1] or 1), int(hunk[2] or 1)
        elif line.startswith("+++ "):
            path = line[4:].removeprefix("b/")
        elif line.startswith("+") and not line.startswith("+++"):
            added.setdefault(path, []).append(line[1:])
    return added
