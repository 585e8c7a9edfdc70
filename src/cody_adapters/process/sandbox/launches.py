"""How each tier starts a command, stops it, and tells a sandbox failure from the command's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from cody_adapters.process.sandbox import bwrap, confine
from cody_adapters.process.sandbox.areas import Area, clear_private_dirs, fresh_private_dirs
from cody_adapters.process.sandbox.seccomp_filter import program
from cody_adapters.process.sandbox.slots import as_slot, kill_all

CONFINE = Path(confine.__file__)
_REAPER_GRACE = 2.0  # seconds the none tier's reaper gets to kill what the command left


@dataclass
class Launch:
    """One command about to start: what to pass to Popen, and what to do once it has ended."""

    tier: str
    area: Area
    argv: list[str]
    env: dict[str, str]
    pass_fds: tuple[int, ...] = ()
    status: int = -1  # read end of the pipe the sandbox reports a set-up failure on
    _child_ends: list[int] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        """The command's process: its output (stderr merged) on a pipe, in a session of its
        own; this process's copies of what only the child needs are closed either way."""
        try:
            return subprocess.Popen(
                self.argv,
                cwd=self.area.work,
                env=self.env,
                pass_fds=self.pass_fds,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            for descriptor in self._child_ends:
                with suppress(OSError):
                    os.close(descriptor)
            self._child_ends.clear()

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """Kill the command and everything it started, whichever way it ends."""
        if self.tier == "none" and process.poll() is None:
            # The reaper kills what escaped the process group, then exits.
            with suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                process.wait(_REAPER_GRACE)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if self.tier == "uid" and self.area.slot is not None:
            kill_all(self.area.slot.uid)

    def failure(self, killed: bool, output: str) -> str | None:
        """Why the sandbox did not run the command, or None when it ran."""
        report = _read_available(self.status)
        clear_private_dirs(self.area)
        if self.tier == "bwrap":  # bwrap reports the exit code of a command that ran
            if killed or b'"exit-code"' in report:
                return None
            return output.strip()[-500:] or "bwrap exited before starting the command"
        return report.decode(errors="replace") or None


def bwrap_launch(
    area: Area, command: str, env: dict[str, str], network: bool, disable_userns: bool
) -> Launch:
    seccomp = _pipe_holding(program(network))
    status_read, status_write = os.pipe()
    argv = bwrap.bwrap_argv(
        work=area.work,
        git_dir=area.git_dir if area.git_dir.exists() else None,
        network=network,
        seccomp_fd=seccomp,
        status_fd=status_write,
        disable_userns=disable_userns,
        command=command,
    )
    if area.slot is not None:  # bwrap itself runs as the slot uid, with no group of root's
        argv = [*as_slot(area.slot), *argv]
    return Launch(
        "bwrap",
        area,
        argv,
        {**env, "HOME": bwrap.HOME, "TMPDIR": bwrap.TMPDIR},
        pass_fds=(seccomp, status_write),
        status=status_read,
        _child_ends=[seccomp, status_write],
    )


def uid_launch(
    area: Area, command: str, env: dict[str, str], network: bool, landlock_abi: int
) -> Launch:
    slot = area.slot
    if slot is None:
        raise ValueError("the uid tier runs commands in areas that have a slot")
    fresh_private_dirs(area)
    seccomp = _pipe_holding(program(network))
    status_read, status_write = os.pipe()
    arguments = [slot.uid, slot.gid, seccomp, landlock_abi, int(network)]
    paths = [area.work, area.git_dir, area.home, area.tmp]
    argv = [*_shim("confine", status_write), *map(str, arguments), *map(str, paths), command]
    return Launch(
        "uid",
        area,
        argv,
        {**env, "HOME": str(area.home), "TMPDIR": str(area.tmp)},
        pass_fds=(seccomp, status_write),
        status=status_read,
        _child_ends=[seccomp, status_write],
    )


def reaper_launch(area: Area, command: str, env: dict[str, str]) -> Launch:
    fresh_private_dirs(area)
    status_read, status_write = os.pipe()
    return Launch(
        "none",
        area,
        [*_shim("reap", status_write), command],
        {**env, "HOME": str(area.home), "TMPDIR": str(area.tmp)},
        pass_fds=(status_write,),
        status=status_read,
        _child_ends=[status_write],
    )


def _shim(mode: str, status_fd: int) -> list[str]:
    # -E -s -S: no PYTHON* variables, user site or site-packages (where a .pth could hide).
    return [sys.executable, "-E", "-s", "-S", str(CONFINE), mode, str(status_fd)]


def _pipe_holding(data: bytes) -> int:
    """The read end of a pipe that holds `data` and is closed for writing (a seccomp program
    is a few hundred bytes, well within a pipe's buffer)."""
    read, write = os.pipe()
    try:
        os.write(write, data)
    finally:
        os.close(write)
    return read


def _read_available(descriptor: int) -> bytes:
    """What the pipe holds now, without waiting for writers a command may have kept open."""
    if descriptor < 0:
        return b""
    os.set_blocking(descriptor, False)
    chunks = []
    try:
        while chunk := os.read(descriptor, 65_536):
            chunks.append(chunk)
    except BlockingIOError:
        pass
    finally:
        os.close(descriptor)
    return b"".join(chunks)
