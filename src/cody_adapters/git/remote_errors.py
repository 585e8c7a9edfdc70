"""What git's error text says about a failure to reach a remote, as a domain error."""

from __future__ import annotations

from cody_core.errors import CodyError, NotFoundError, SkippedError, TransientError

# What git prints when the server refused our credentials (it would prompt, but may not).
_AUTH_FAILURES = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "returned error: 401",
    "returned error: 403",
    "permission to",
)
_NETWORK_FAILURES = (
    "could not resolve host",
    "failed to connect",
    "connection refused",
    "connection timed out",
    "operation timed out",
    "connection reset",
    "rpc failed",
    "early eof",
    "returned error: 5",
    "the remote end hung up unexpectedly",
    "empty reply from server",  # curl: the connection closed before any answer
)


def remote_error(action: str, detail: str) -> CodyError:
    """The error for git failing to reach a remote, by what its (redacted) text says."""
    lowered = detail.lower()
    if "archived" in lowered and "read-only" in lowered:
        return SkippedError(
            f"{action} refused: the repository is archived: {detail}", kind="archived"
        )
    if any(sign in lowered for sign in _AUTH_FAILURES):
        return CodyError(
            f"{action} was refused: check that GITHUB_TOKEN is valid and may read and push "
            f"the repository: {detail}",
            kind="auth",
        )
    if "does not appear to be a git repository" in lowered or "not found" in lowered:
        return NotFoundError(f"{action} failed: repository not found: {detail}")
    if any(sign in lowered for sign in _NETWORK_FAILURES):
        return TransientError(f"{action} failed: {detail}")
    return CodyError(f"{action} failed: {detail}", kind="git")
