"""SIGTERM (AWS Batch's, before its SIGKILL 30 s later) and SIGINT ask a command to stop."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[list[int]]:
    """Call `stop` on SIGTERM or SIGINT while inside; yields the signals received."""
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
