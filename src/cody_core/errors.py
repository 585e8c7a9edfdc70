"""Errors the domain understands; adapters raise these so services can decide what to do."""

from __future__ import annotations


class CodyError(Exception):
    """A failure with a kind the pipeline records and a flag for whether retrying may help."""

    kind = "internal"
    transient = False

    def __init__(self, message: str, *, kind: str | None = None, transient: bool | None = None):
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        if transient is not None:
            self.transient = transient


class InputError(CodyError):
    """Bad input from a user: reported in one line, and nothing is changed."""

    kind = "invalid-input"


class NotAllowedError(CodyError):
    kind = "not-allowed"


class NotFoundError(CodyError):
    kind = "not-found"


class GuardrailError(CodyError):
    kind = "guardrail"


class TransientError(CodyError):
    """Network trouble, throttling, a 5xx or a timeout: worth another attempt."""

    kind = "network"
    transient = True


class LeaseLostError(CodyError):
    """Another worker took this run over; its result is theirs to write."""

    kind = "lease-lost"
    transient = True


class CancelledError(CodyError):
    kind = "cancelled"


class SkippedError(CodyError):
    """Not worth doing, and not a failure: an archived repository, a spent token budget."""

    kind = "skipped"


class StoppedError(CodyError):
    """The worker is stopping (SIGTERM, cancellation, a lost lease): hand the run back."""

    kind = "interrupted"
    transient = True
