"""Files written whole or not at all: readers (and other processes) never see half of one."""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path


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
