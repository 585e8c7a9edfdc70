"""Shell commands in a checkout: scrubbed environment, bounded redacted output, whole-group kill."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO

from cody_adapters.environment import scrubbed_environ
from cody_core.policies.secrets import redact
from cody_core.ports import CommandResult

# An inherited GIT_DIR (say, when cody itself runs from a git hook) would point the command's
# git at some other repository instead of the checkout.
_REPOSITORY_LOCATION = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
    }
)
_POLL_SECONDS = 0.2  # how often a running command checks whether the worker is stopping
_DRAIN_SECONDS = 5.0  # how long to wait for output from a process that escaped the group


class SubprocessCommandRunner:
    """Runs `/bin/sh -c command` in its own process group, killed whole when it ends or times out.

    Processes the command leaves running in the background are killed when it exits, so
    nothing keeps changing the checkout after the command has returned.
    """

    def __init__(self, secret_values: Sequence[str] = (), output_limit: int = 20_000):
        self._secrets = sorted({s for s in secret_values if s.strip()}, key=len, reverse=True)
        self._output_limit = output_limit
        self._longest_secret = max((len(s) for s in self._secrets), default=1)

    def run(
        self,
        command: str,
        cwd: Path,
        timeout: float,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> CommandResult:
        process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=cwd,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert process.stdout is not None
        tail = _Tail(4 * (self._output_limit + self._longest_secret))  # up to 4 bytes a character
        reader = threading.Thread(target=tail.consume, args=(process.stdout,), daemon=True)
        reader.start()
        # Popen.wait(timeout) sleeps in steps of up to 50 ms, which every command would pay
        # after it exits; a thread blocked in waitpid wakes this one at once instead.
        exited = threading.Event()
        waiter = threading.Thread(target=_wait_then_set, args=(process, exited), daemon=True)
        waiter.start()
        timed_out = stopped = False
        deadline = time.monotonic() + timeout
        try:
            while not exited.is_set():
                if should_stop():
                    stopped = True
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                exited.wait(min(remaining, _POLL_SECONDS))
        finally:
            _kill_group(process.pid)
            process.wait()
        reader.join(_DRAIN_SECONDS)
        return CommandResult(process.returncode, self._render(tail), timed_out, stopped)

    def _environment(self) -> dict[str, str]:
        env = scrubbed_environ(
            self._secrets, drop_names=_REPOSITORY_LOCATION, drop_prefixes=("GIT_CONFIG",)
        )
        env["GIT_TERMINAL_PROMPT"] = "0"
        return env

    def _render(self, tail: _Tail) -> str:
        text = redact(bytes(tail.data).decode("utf-8", errors="replace"), self._secrets)
        if tail.truncated:
            # The cut may have left the end of a secret at the start, too short to be recognised.
            text = text[max(self._longest_secret, 4) - 1 :]
        return text[-self._output_limit :]


class _Tail:
    """The last `limit` bytes read from a stream."""

    def __init__(self, limit: int):
        self.limit = limit
        self.data = bytearray()
        self.truncated = False

    def consume(self, stream: IO[bytes]) -> None:
        with stream:
            while chunk := stream.read1(65_536):  # type: ignore[attr-defined]
                self.data += chunk
                if len(self.data) > 2 * self.limit:
                    del self.data[: len(self.data) - self.limit]
                    self.truncated = True
        if len(self.data) > self.limit:
            del self.data[: len(self.data) - self.limit]
            self.truncated = True


def _wait_then_set(process: subprocess.Popen[bytes], exited: threading.Event) -> None:
    process.wait()
    exited.set()


def _kill_group(group: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
