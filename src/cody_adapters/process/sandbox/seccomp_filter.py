"""The seccomp program repository code runs under, compiled by libseccomp (pyseccomp)."""

from __future__ import annotations

import errno
import socket
import tempfile
from functools import cache

# Reading or steering another process, io_uring (which opens sockets without socket(2)) and the
# kernel keyrings (which outlive a process and would carry data from one job to the next).
DENIED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "add_key",
    "keyctl",
    "request_key",
)
_FAMILY_LIMIT = 64  # above every address family Linux has
_NETWORK_FAMILIES = frozenset({socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK})


class SeccompUnavailable(Exception):
    """libseccomp could not be loaded or refused the filter."""


@cache
def program(network: bool) -> bytes:
    """The BPF program: the calls above fail with EPERM, and so does a socket of any family but
    AF_UNIX (with `network`: also IPv4, IPv6 and netlink, which name resolution uses)."""
    try:
        import pyseccomp as seccomp  # type: ignore[import-untyped]  # it ships no types
    except (ImportError, OSError, RuntimeError) as exc:  # no libseccomp.so on this machine
        raise SeccompUnavailable(f"libseccomp is not available: {exc}") from exc
    denied = seccomp.ERRNO(errno.EPERM)
    try:
        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in DENIED:
            rules.add_rule(denied, name)
        rules.add_rule(denied, "socketpair", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
        if network:
            for family in range(_FAMILY_LIMIT):
                if family not in _NETWORK_FAMILIES:
                    rules.add_rule(denied, "socket", seccomp.Arg(0, seccomp.EQ, family))
            rules.add_rule(denied, "socket", seccomp.Arg(0, seccomp.GE, _FAMILY_LIMIT))
        else:
            rules.add_rule(denied, "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
        with tempfile.TemporaryFile() as exported:
            rules.export_bpf(exported)
            exported.seek(0)
            return exported.read()
    except OSError as exc:
        raise SeccompUnavailable(f"libseccomp refused the filter: {exc}") from exc
