"""Running a command on a pseudo-terminal and reading the screen it leaves (pyte emulates it)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Mapping, Sequence

import pyte


def run_on_terminal(
    command: Sequence[str], env: Mapping[str, str], columns: int = 80, rows: int = 60,
    timeout: float = 120,
) -> tuple[int, list[str], str]:  # fmt: skip
    """(exit code, the screen's lines without trailing blanks, everything written)."""
    leader, follower = pty.openpty()
    os.set_blocking(leader, False)
    # The window size the program asks the terminal for: TIOCSWINSZ through stty.
    subprocess.run(["stty", "cols", str(columns), "rows", str(rows)], stdin=follower, check=True)
    environment = {**env, "TERM": "xterm-256color", "COLUMNS": str(columns)}
    process = subprocess.Popen(
        list(command), stdin=follower, stdout=follower, stderr=follower, env=environment
    )
    os.close(follower)
    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    written = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        chunk = b""
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                chunk = b""
        if chunk:
            written += chunk
            stream.feed(chunk)
        elif process.poll() is not None:
            break
    else:
        process.kill()
        raise AssertionError(f"{command} took longer than {timeout}s")
    os.close(leader)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return process.wait(), lines, written.decode("utf-8", "replace")
