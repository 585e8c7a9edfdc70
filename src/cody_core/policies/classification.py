"""Turn any exception into the RunError a run records, with whether retrying may help."""

from __future__ import annotations

import socket

from cody_core.errors import CodyError
from cody_core.models import RunError

TRANSIENT_KINDS = frozenset({"network", "throttled", "server-error", "timeout", "lease-lost"})


def classify(exc: BaseException) -> RunError:
    """CodyErrors keep their own kind; standard library errors map to network, timeout or io."""
    if isinstance(exc, CodyError):
        return RunError(kind=exc.kind, message=str(exc), transient=exc.transient)
    # TimeoutError and socket.timeout are OSErrors too, so they are tested first.
    if isinstance(exc, TimeoutError):
        return RunError(kind="timeout", message=_describe(exc), transient=True)
    if isinstance(exc, ConnectionError | socket.gaierror | socket.herror):
        return RunError(kind="network", message=_describe(exc), transient=True)
    if isinstance(exc, OSError):
        return RunError(kind="io", message=_describe(exc), transient=True)
    return RunError(kind="internal", message=_describe(exc), transient=False)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
