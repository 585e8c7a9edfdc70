"""A checkout's directories: the work tree repository code may write, the git dir it may read."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cody_adapters.process.sandbox.slots import Slot
from cody_adapters.shared.files import remove_tree

# Git writes the work tree with this umask when a slot uid owns the checkout: files are
# root:<slot gid> and group-writable, so the slot can change them and no other uid can.
SLOT_UMASK = 0o007


@dataclass(frozen=True)
class Area:
    """TEMP_DIR/cody-XXXX: `work` (the checkout), `git` (its git dir, outside the work tree),
    `index` (cody's own index, which repository code never writes), and a fresh `home` and
    `tmp` for each command."""

    root: Path
    slot: Slot | None = None

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def git_dir(self) -> Path:
        return self.root / "git"

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def umask(self) -> int | None:
        return SLOT_UMASK if self.slot else None


def make_area(temp_root: Path, slot: Slot | None) -> Area:
    """A new, empty area. With a slot only root and the slot's group may enter it, and the
    setgid bit gives everything created inside the slot's group."""
    temp_root.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="cody-", dir=temp_root))
    if slot is not None:
        os.chown(root, 0, slot.gid)
        os.chmod(root, 0o2750)
    return Area(root, slot)


def make_work_tree(area: Area) -> Path:
    """An empty work tree, as a clone with the area's umask would make it."""
    area.work.mkdir()
    if area.slot is not None:
        os.chmod(area.work, 0o2770)
    return area.work


def seal_git_dir(area: Area) -> None:
    """Take group write off the git dir the clone made, so the slot can read it and not change
    it (a shallow clone's git dir holds a few dozen files)."""
    if area.slot is None:
        return
    for directory, _, files in os.walk(area.git_dir):
        os.chmod(directory, os.stat(directory).st_mode & 0o7750)
        for name in files:
            path = os.path.join(directory, name)
            os.chmod(path, os.lstat(path).st_mode & 0o7750)


def fresh_private_dirs(area: Area) -> None:
    """An empty HOME and TMPDIR for the next command, owned by whoever runs it."""
    for path in (area.home, area.tmp):
        remove_tree(path)
        path.mkdir(mode=0o700)
        if area.slot is not None:
            os.chown(path, area.slot.uid, area.slot.gid)


def clear_private_dirs(area: Area) -> None:
    for path in (area.home, area.tmp):
        remove_tree(path)
