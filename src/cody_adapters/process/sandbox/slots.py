"""Unprivileged uids for repository code, one per checkout, leased across processes by flock."""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cody_core.errors import TransientError

# High enough to be nobody's login, subordinate range or container mapping; gid = uid.
UIDS = range(2_000_000_000, 2_000_000_256)
LOCKS = Path("/run/cody-sandbox")


class SlotsUnavailable(Exception):
    """Uids cannot be leased here (not root, or the lock directory is not cody's own)."""


@dataclass(frozen=True)
class Slot:
    uid: int
    gid: int
    lock: int  # the open lock file: the lease lasts while it is open

    def __post_init__(self) -> None:
        if self.uid < UIDS.start or self.gid < UIDS.start:  # never root, nor anyone's own
            raise ValueError(f"uid {self.uid} is not a sandbox uid")


class SlotPool:
    """Leases sandbox uids; several cody processes on one machine share the range."""

    def __init__(self, uids: range = UIDS, locks: Path = LOCKS):
        self._uids = uids
        self._locks = locks

    def check(self) -> None:
        """Raise SlotsUnavailable unless uids can be leased: root, and a lock directory that
        only root can write (a sandboxed uid must not be able to plant or hold its locks)."""
        if os.geteuid() != 0:
            raise SlotsUnavailable(
                "running repository code as other uids needs cody to run as root"
            )
        if shutil.which("setpriv") is None:
            raise SlotsUnavailable("setpriv (util-linux) is missing: it switches to the uids")
        self._locks.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = os.lstat(self._locks)
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != 0 or found.st_mode & 0o022:
            raise SlotsUnavailable(f"{self._locks} must be a directory only root can write")

    def acquire(self, kill_leftovers: bool = True) -> Slot:
        """A free uid; with `kill_leftovers`, whatever a crashed holder left running under it
        is killed first (bwrap needs none of that: its PID namespace dies with its parent)."""
        self.check()
        start = random.randrange(len(self._uids))  # processes starting together spread out
        for index in range(len(self._uids)):
            uid = self._uids[(start + index) % len(self._uids)]
            path = self._locks / f"{uid}.lock"
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            slot = Slot(uid, uid, descriptor)
            if kill_leftovers:
                kill_all(slot.uid)
            return slot
        raise TransientError(f"all {len(self._uids)} sandbox uids are in use on this machine")

    def release(self, slot: Slot) -> None:
        """Give the uid back; its processes were killed after its last command."""
        os.close(slot.lock)


def as_slot(slot: Slot) -> list[str]:
    """The command prefix that runs what follows as the slot's uid and gid, with no other
    group: setpriv execs it, so the caller spawns with vfork (Popen's own uid switch forks the
    whole cody process, some 8 ms a command)."""
    return ["setpriv", f"--reuid={slot.uid}", f"--regid={slot.gid}", "--clear-groups", "--"]


def kill_all(uid: int) -> None:
    """SIGKILL every process of `uid`: kill(-1) from a process of that uid reaches all of them
    at once, however they forked, and no other uid's."""
    if uid < UIDS.start:
        raise ValueError(f"refusing to kill every process of uid {uid}")
    subprocess.run(
        [*as_slot(Slot(uid, uid, -1)), "/bin/sh", "-c", "kill -9 -1 2>/dev/null; exit 0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
