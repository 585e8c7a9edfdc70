"""Files written whole or not at all: readers (and other processes) never see half of one."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import suppress
from pathlib import Path

_REMOVE_PASSES = 20


def write_temporary(directory: Path, data: bytes, prefix: str = ".partial-") -> str:
    """A new file in `directory` holding `data`, to be renamed or linked into place."""
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def replace_atomically(path: Path, data: bytes, prefix: str = ".partial-") -> None:
    """Write `path` through a temporary file renamed over it; a planted symlink at `path` is
    replaced rather than written through."""
    temporary = write_temporary(path.parent, data, prefix)
    try:
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def remove_tree(path: Path) -> None:
    """Delete a directory tree, making read-only directories writable on the way; never raise."""

    def make_writable(_function: object, failed: str, _error: object) -> None:
        for target in (os.path.dirname(failed), failed):
            if os.path.isdir(target) and not os.path.islink(target):
                with suppress(OSError):
                    os.chmod(target, 0o700)

    handler = {"onexc" if sys.version_info >= (3, 12) else "onerror": make_writable}
    for _ in range(_REMOVE_PASSES):  # each pass opens up at least one more level of the tree
        if not os.path.lexists(path):
            return
        with suppress(OSError):
            shutil.rmtree(path, **handler)  # type: ignore[arg-type]
