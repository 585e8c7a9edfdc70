"""What cody keeps of each checkout, and the defence of its git dir against repository code:
put back as the clone left it before every git process cody runs there."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cody_adapters.git.files import read_or_none, read_ref
from cody_adapters.process.sandbox import Area
from cody_adapters.shared.files import remove_tree, replace_atomically
from cody_core.errors import CodyError


@dataclass
class CheckoutState:
    """What cody knows of one of its checkouts, kept where repository code cannot change it."""

    area: Area
    branch: str  # the ref HEAD names, refs/heads/<default branch>
    base: str  # the commit cloned: every diff and the commit start from it
    head: bytes  # HEAD as the clone wrote it
    config: bytes  # the git dir's config as the clone left it
    shallow: bytes | None
    git_dir: tuple[int, int]  # device and inode: a git dir swapped for another is refused
    index: tuple[int, int, int] | None  # cody's index, as copied after the clone
    judged: bytes | None = None  # cody's index when the last diff was taken: what is committed
    commit: str | None = None  # and the commit `push` pushes


# What in a git dir can point git at other configuration, commands or objects.
_REDIRECTS = (
    "commondir",
    "config.worktree",
    "info",
    "hooks",
    "objects/info/alternates",
    "objects/info/http-alternates",
)


def restore_git_dir(state: CheckoutState) -> None:
    """Put the git dir back as the clone left it, as far as git's behaviour goes."""
    git_dir = state.area.git_dir
    found = os.lstat(git_dir)
    if (found.st_dev, found.st_ino) != state.git_dir or not stat.S_ISDIR(found.st_mode):
        raise CodyError(f"the git directory of {state.area.work} was replaced", kind="git")
    originals = (("config", state.config), ("shallow", state.shallow), ("HEAD", state.head))
    for name, original in originals:
        path = git_dir / name
        if read_or_none(path) != original:
            if original is None:
                _remove(path)
            else:
                replace_atomically(path, original, prefix=f"{name}.cody-")
    if read_ref(git_dir, state.branch) != state.base:  # so that a commit's parent is the base
        replace_atomically(git_dir / state.branch, f"{state.base}\n".encode(), prefix=".cody-")
    for name in _REDIRECTS:
        _remove(git_dir / name)


def _remove(path: Path) -> None:
    if not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        remove_tree(path)
    else:
        os.unlink(path)


def identity(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size
