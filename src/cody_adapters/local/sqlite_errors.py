"""What goes wrong with a SQLite store on disk, said in one line with what to do about it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cody_core.errors import InputError, TransientError


def make_home(home: Path) -> None:
    """Create CODY_HOME (the store's directory), or say why it cannot be."""
    try:
        home.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(
            f"CODY_HOME {home} is not a directory: set CODY_HOME to a directory"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot create CODY_HOME {home}: {exc.strerror}: set CODY_HOME to a writable directory"
        ) from None


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """SQLite's own errors about the file at `path` as CodyErrors."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if busy(exc):
            raise TransientError(f"the SQLite store is busy: {exc}", kind="throttled") from exc
        if "unable to open" in str(exc) or "readonly" in str(exc):
            raise InputError(
                f"cannot write the SQLite store {path} ({exc}): make CODY_HOME a writable directory"
            ) from None
        raise unusable(path, exc) from None
    except sqlite3.DatabaseError as exc:  # not a database, or a malformed (truncated) one
        raise unusable(path, exc) from None


def unusable(path: Path, exc: sqlite3.Error) -> InputError:
    return InputError(
        f"{path} is not a usable SQLite database ({exc}): move it aside to start afresh, or "
        "set CODY_HOME to another directory"
    )


def busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)
