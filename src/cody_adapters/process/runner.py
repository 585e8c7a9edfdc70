"""Shell commands in a checkout, confined by the sandbox: bounded redacted output, nothing left
running afterwards."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from cody_adapters.process.sandbox import Sandbox
from cody_adapters.shared.environment import command_environ
from cody_core.errors import CodyError
from cody_core.policies.secrets import redact
from cody_core.ports import CommandResult

_POLL_SECONDS = 0.2  # how often a running command checks whether the worker is stopping
_DRAIN_SECONDS = 5.0  # how long to wait for output from a process that escaped the group


class SubprocessCommandRunner:
    """Runs `/bin/sh -c command` in a checkout the sandbox made, under the sandbox's tier.

    Whatever the command starts is killed when it exits, times out or the worker stops, so
    nothing keeps changing the checkout, or waits for a later one, after it has returned.
    """

    def __init__(
        self, sandbox: Sandbox, secret_values: Sequence[str] = (), output_limit: int = 20_000
    ):
        self._sandbox = sandbox
        self._secrets = sorted({s for s in secret_values if s.strip()}, key=len, reverse=True)
        self._output_limit = output_limit
        self._longest_secret = max((len(s) for s in self._secrets), default=1)

    @property
    def sandbox(self) -> str:
        return self._sandbox.tier

    def run(
        self,
        command: str,
        cwd: Path,
        timeout: float,
        should_stop: Callable[[], bool] = lambda: False,
        *,
        env: Mapping[str, str] | None = None,
        network: bool = False,
    ) -> CommandResult:
        area = self._sandbox.area_for(cwd)
        if area is None:
            raise CodyError(f"{cwd} is not a checkout this process made", kind="sandbox")
        launch = self._sandbox.launch(
            area, command, command_environ(self._secrets, env or {}), network
        )
        try:
            process = launch.start()
        except OSError as exc:  # bwrap or the shim cannot even be started
            raise CodyError(
                f"the {launch.tier} sandbox could not start `{command}`: {exc}", kind="sandbox"
            ) from exc
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
            launch.stop(process)
            process.wait()
        reader.join(_DRAIN_SECONDS)
        output = self._render(tail)
        failure = launch.failure(timed_out or stopped, output)
        if failure:
            raise CodyError(
                f"the {launch.tier} sandbox could not start `{command}`: {self._redact(failure)}",
                kind="sandbox",
            )
        return CommandResult(process.returncode, output, timed_out, stopped)

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _render(self, tail: _Tail) -> str:
        text = self._redact(bytes(tail.data).decode("utf-8", errors="replace"))
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
