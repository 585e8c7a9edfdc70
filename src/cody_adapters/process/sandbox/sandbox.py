"""The sandbox that confines repository code: chosen once by probing, failing closed."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

from cody_adapters.process.sandbox import confine
from cody_adapters.process.sandbox.areas import Area, make_area, make_work_tree
from cody_adapters.process.sandbox.launches import Launch, bwrap_launch, reaper_launch, uid_launch
from cody_adapters.process.sandbox.seccomp_filter import SeccompUnavailable, program
from cody_adapters.process.sandbox.slots import SlotPool, SlotsUnavailable
from cody_adapters.shared.files import remove_tree
from cody_core.errors import CodyError, InputError

MODES = ("auto", "bwrap", "uid", "none")
UNAVAILABLE = "unavailable"  # auto found no tier: nothing may run repository code
_PROBE_SECONDS = 30


class Sandbox:
    """Runs repository code under one tier, resolved on first use from CODY_SANDBOX:

    - bwrap: bubblewrap's user, PID, network, IPC and UTS namespaces, the system read-only, the
      work tree the one writable place (and a tmpfs HOME and /tmp), the git dir read-only;
    - uid: a uid of the checkout's own, no new privileges, Landlock, every process of that uid
      killed after each command;
    - none: only when set explicitly; a child subreaper still kills what the command left.

    Both bwrap and uid add a seccomp filter (no ptrace, process_vm_*, io_uring, keyrings, and
    no socket but AF_UNIX unless the job allows the network). As root, bwrap too runs the
    command as the checkout's slot uid.
    """

    def __init__(
        self, mode: str = "auto", temp_root: Path | None = None, slots: SlotPool | None = None
    ):
        if mode not in MODES:
            raise InputError(f"CODY_SANDBOX={mode!r} is not one of {', '.join(MODES)}")
        self.mode = mode
        self._temp_root = temp_root
        self._slots = slots or SlotPool()
        self._lock = threading.Lock()
        self._resolved: tuple[str, str] | None = None  # (tier, why no tier works)
        self._disable_userns = True
        self._landlock_abi = 0
        self._areas: dict[Path, Area] = {}

    @property
    def tier(self) -> str:
        """bwrap, uid, none, or `unavailable` when auto found no tier that works here."""
        return self._resolve()[0]

    @property
    def landlock_abi(self) -> int:
        self._resolve()
        return self._landlock_abi

    def require(self) -> str:
        """The tier, or an InputError saying why repository code cannot run here."""
        tier, reason = self._resolve()
        if tier != UNAVAILABLE:
            return tier
        if self.mode == "auto":
            raise InputError(
                f"repository code (--command, --verify) needs a sandbox and none works here "
                f"({reason}): install bubblewrap or run cody as root, or set CODY_SANDBOX=none "
                "to run it unsandboxed"
            )
        raise InputError(
            f"CODY_SANDBOX={self.mode} does not work here ({reason}): "
            "set CODY_SANDBOX=auto to use whichever tier works"
        )

    def open_area(self, temp_root: Path) -> Area:
        """A new checkout area; with a slotted tier it takes a uid of its own until closed."""
        slot = self._slots.acquire(self.tier == "uid") if self._slotted() else None
        try:
            area = make_area(temp_root, slot)
        except BaseException:
            if slot is not None:
                self._slots.release(slot)
            raise
        with self._lock:
            self._areas[area.work] = area
        return area

    def area_for(self, path: Path) -> Area | None:
        with self._lock:
            return self._areas.get(Path(path))

    def close_area(self, area: Area) -> None:
        """Delete it and give its uid back (every command's processes died with it)."""
        with self._lock:
            self._areas.pop(area.work, None)
        try:
            remove_tree(area.root)
        finally:
            if area.slot is not None:
                self._slots.release(area.slot)

    def launch(self, area: Area, command: str, env: dict[str, str], network: bool) -> Launch:
        tier, reason = self._resolve()
        if tier == UNAVAILABLE:
            raise CodyError(f"not run: no sandbox works here ({reason})", kind="sandbox")
        if tier == "bwrap":
            return bwrap_launch(area, command, env, network, self._disable_userns)
        if tier == "uid":
            return uid_launch(area, command, env, network, self._landlock_abi)
        return reaper_launch(area, command, env)

    def _slotted(self) -> bool:
        return self.tier in ("bwrap", "uid") and os.geteuid() == 0

    def _resolve(self) -> tuple[str, str]:
        with self._lock:
            if self._resolved is None:
                self._resolved = self._choose()
            return self._resolved

    def _choose(self) -> tuple[str, str]:
        if self.mode == "none":
            return "none", ""
        reasons = []
        for tier in ("bwrap", "uid") if self.mode == "auto" else (self.mode,):
            reason = self._probe(tier)
            if reason is None:
                return tier, ""
            reasons.append(f"{tier}: {reason}")
        return UNAVAILABLE, "; ".join(reasons)

    def _probe(self, tier: str) -> str | None:
        """None when `tier` runs a command here, else why not."""
        if tier == "bwrap" and shutil.which("bwrap") is None:
            return "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
        try:
            program(False)
            if tier == "uid" or os.geteuid() == 0:
                self._slots.check()
        except (SeccompUnavailable, SlotsUnavailable) as exc:
            return str(exc)
        if tier == "uid":
            self._landlock_abi = confine.landlock_abi()
        failure = self._try(tier)
        if failure and tier == "bwrap" and "disable-userns" in failure:
            self._disable_userns = False  # an older bubblewrap
            failure = self._try(tier)
        return failure

    def _try(self, tier: str) -> str | None:
        """Run `true` exactly as a job's command would run, in a scratch area of TEMP_DIR."""
        temp_root = self._temp_root or Path(os.environ.get("TMPDIR", "/tmp"))
        slotted = tier == "uid" or os.geteuid() == 0
        closed = _unsearchable(temp_root) if slotted else None
        if closed is not None:
            return (
                f"TEMP_DIR {temp_root} is out of the sandbox uids' reach: {closed} is not "
                "searchable by other users (chmod o+x it, or set TEMP_DIR elsewhere)"
            )
        slot = None
        try:
            if slotted:
                slot = self._slots.acquire(tier == "uid")
            area = make_area(temp_root, slot)
        except (OSError, CodyError) as exc:
            if slot is not None:
                self._slots.release(slot)
            return f"cannot make a checkout directory in {temp_root}: {exc}"
        try:
            make_work_tree(area)
            if tier == "bwrap":
                launch = bwrap_launch(
                    area, "true", {"PATH": "/usr/bin:/bin"}, False, self._disable_userns
                )
            else:
                launch = uid_launch(
                    area, "true", {"PATH": "/usr/bin:/bin"}, False, self._landlock_abi
                )
            return _run_probe(launch, temp_root)
        finally:
            remove_tree(area.root)
            if slot is not None:
                self._slots.release(slot)


def _run_probe(launch: Launch, temp_root: Path) -> str | None:
    try:
        process = launch.start()
    except OSError as exc:
        return f"cannot start it in {temp_root}: {exc.strerror}"
    try:
        output, _ = process.communicate(timeout=_PROBE_SECONDS)
    except subprocess.TimeoutExpired:
        launch.stop(process)
        process.communicate()
        return f"it did not start within {_PROBE_SECONDS}s"
    text = output.decode(errors="replace")
    failure = launch.failure(False, text)
    if failure or process.returncode != 0:
        detail = (failure or text).strip().splitlines()
        return detail[-1] if detail else f"exit code {process.returncode}"
    return None


def _unsearchable(path: Path) -> Path | None:
    """The first directory on the way to `path` that other uids may not pass through."""
    for directory in reversed([path, *path.parents]):
        try:
            mode = directory.stat().st_mode
        except FileNotFoundError:
            return None  # made by cody, with the default mode
        if not mode & 0o001:
            return directory
    return None
