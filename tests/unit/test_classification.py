"""Classifying exceptions into the RunError a run records."""

from __future__ import annotations

import socket

import pytest

from cody_core.errors import (
    CancelledError,
    CodyError,
    GuardrailError,
    InputError,
    LeaseLostError,
    NotAllowedError,
    TransientError,
)
from cody_core.models import RunError
from cody_core.policies.classification import TRANSIENT_KINDS, classify


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (InputError("bad ref"), RunError(kind="invalid-input", message="bad ref")),
        (NotAllowedError("nope"), RunError(kind="not-allowed", message="nope")),
        (GuardrailError("too big"), RunError(kind="guardrail", message="too big")),
        (CancelledError("stop"), RunError(kind="cancelled", message="stop")),
        (TransientError("503"), RunError(kind="network", message="503", transient=True)),
        (LeaseLostError("taken"), RunError(kind="lease-lost", message="taken", transient=True)),
        (
            TransientError("slow down", kind="throttled"),
            RunError(kind="throttled", message="slow down", transient=True),
        ),
        (
            CodyError("odd", kind="custom", transient=True),
            RunError(kind="custom", message="odd", transient=True),
        ),
    ],
)
def test_cody_errors_keep_their_kind_transience_and_message(exc, expected) -> None:
    assert classify(exc) == expected


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TimeoutError("timed out"), "timeout"),
        (ConnectionRefusedError("refused"), "network"),
        (ConnectionResetError("reset"), "network"),
        (BrokenPipeError("pipe"), "network"),
        (socket.gaierror("name resolution"), "network"),
        (socket.herror("host"), "network"),
        (FileNotFoundError("no such file"), "io"),
        (PermissionError("denied"), "io"),
        (OSError("disk full"), "io"),
    ],
)
def test_standard_library_failures_are_transient(exc: BaseException, kind: str) -> None:
    error = classify(exc)
    assert (error.kind, error.transient) == (kind, True)
    assert error.message == f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (ValueError("bad value"), "ValueError: bad value"),
        (KeyError("job"), "KeyError: 'job'"),
        (RuntimeError(), "RuntimeError"),
        (KeyboardInterrupt(), "KeyboardInterrupt"),
    ],
)
def test_anything_else_is_an_internal_error_not_worth_retrying(exc, message: str) -> None:
    assert classify(exc) == RunError(kind="internal", message=message, transient=False)


def test_transient_kinds_cover_every_kind_classify_marks_transient() -> None:
    assert {"network", "throttled", "server-error", "timeout", "lease-lost"} <= TRANSIENT_KINDS
    assert {"invalid-input", "not-allowed", "guardrail", "internal"}.isdisjoint(TRANSIENT_KINDS)
    for exc in (TimeoutError(), ConnectionError(), TransientError("x"), LeaseLostError("x")):
        assert classify(exc).kind in TRANSIENT_KINDS
