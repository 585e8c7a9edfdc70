"""The sandbox's exec shim: confines itself, then runs `/bin/sh -c COMMAND`.

Run as `python -E -s -S confine.py MODE ...` so that nothing from site-packages, the
environment or cody's own package runs before the command: standard library only.

- `confine STATUS_FD UID GID SECCOMP_FD LANDLOCK_ABI NETWORK WORK GIT HOME TMP COMMAND`
  (the uid tier, started as root): no new privileges, a Landlock domain that may write only
  WORK, HOME and TMP and read little else, every group dropped, UID and GID, the seccomp
  program read from SECCOMP_FD, then exec.
- `reap STATUS_FD COMMAND` (the none tier): a child subreaper that runs the command and, when
  it ends or on SIGTERM, kills every process it left behind, setsid and double forks included.

A set-up failure is written to STATUS_FD (close-on-exec, so an exec'd command closes it
unwritten) and the shim exits 125: the runner then refuses the run instead of running it.
"""

# Not `signal`: its enums would double the shim's start-up. Typeshed has no stub for `_signal`.
import _signal  # type: ignore[import-not-found]
import ctypes
import os
import struct
import sys
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_SECCOMP = 22
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_MODE_FILTER = 2
_SETUP_FAILED = 125
_SIGKILL, _SIGTERM = 9, 15

# Landlock's syscalls have the same numbers on every architecture.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1, 2, 4, 8
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_RIGHTS = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV
_READ = _EXECUTE | _READ_FILE | _READ_DIR
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2

# What repository code may read (and run) besides its own directories.
READABLE = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/proc", "/sys")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class SetupError(Exception):
    """The sandbox could not be set up: the command must not run."""


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(errno)}")
    return result


def prctl(option: int, value: int = 0, pointer: object = None) -> None:
    """prctl(2) with the unused arguments zero, as the kernel demands for most options."""
    third = ctypes.c_ulong(0) if pointer is None else pointer
    zero = ctypes.c_ulong(0)
    result = _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(value), third, zero, zero)
    _check(result, f"prctl({option})")


def make_undumpable() -> None:
    """PR_SET_DUMPABLE 0 for the calling process (cody's worker): processes of the same uid that
    are not root can no longer read its /proc/<pid>/environ or mem."""
    prctl(_PR_SET_DUMPABLE, 0)


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers, 0 when it has none (or it is disabled)."""
    version = _libc.syscall(
        _CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
    )
    return max(int(version), 0)


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: execute .. make_sym
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    if abi >= 5:
        rights |= _IOCTL_DEV
    return rights


def restrict_paths(abi: int, network: bool, writable: list[str], readable: list[str]) -> None:
    """A Landlock domain: write only under `writable`, read only `readable` and the system."""
    handled = _handled_fs(abi)
    attributes = struct.pack("=Q", handled)
    if abi >= 4:
        attributes += struct.pack("=Q", 0 if network else _NET_BIND_TCP | _NET_CONNECT_TCP)
    if abi >= 6:
        attributes += struct.pack("=Q", _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL)
    buffer = ctypes.create_string_buffer(attributes, len(attributes))
    ruleset = _check(
        _libc.syscall(
            _CREATE_RULESET, buffer, ctypes.c_size_t(len(attributes)), ctypes.c_uint32(0)
        ),
        "landlock_create_ruleset",
    )
    try:
        rules = [(path, handled) for path in writable]
        rules += [(path, _READ) for path in (*READABLE, *readable)]
        rules += [(path, _READ_FILE | _WRITE_FILE | _TRUNCATE | _IOCTL_DEV) for path in DEVICES]
        for path, rights in rules:
            _allow(ruleset, path, rights & handled)
        _check(_libc.syscall(_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        descriptor = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return  # /lib32 and friends exist on some systems only
    try:
        if not os.path.isdir(path):
            rights &= _FILE_RIGHTS
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, descriptor), 12)
        _check(
            _libc.syscall(_ADD_RULE, ruleset, ctypes.c_int(_RULE_PATH_BENEATH), rule, 0),
            f"landlock_add_rule({path})",
        )
    finally:
        os.close(descriptor)


class _Program(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def install_seccomp(program: bytes) -> None:
    """Load a BPF program (what libseccomp exports: 8-byte instructions)."""
    if not program or len(program) % 8:
        raise SetupError("the seccomp program is empty or malformed")
    code = ctypes.create_string_buffer(program, len(program))
    fprog = _Program(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
    prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog))


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while chunk := os.read(descriptor, 65536):
        chunks.append(chunk)
    os.close(descriptor)
    return b"".join(chunks)


def confine(arguments: list[str]) -> None:
    uid, gid, seccomp_fd, abi, network = (int(a) for a in arguments[:5])
    work, git_dir, home, tmp, command = arguments[5:10]
    if uid <= 0 or gid <= 0:
        raise SetupError("refusing to run repository code as root")
    program = _read_all(seccomp_fd)
    prctl(_PR_SET_NO_NEW_PRIVS, 1)
    if abi > 0:
        restrict_paths(abi, bool(network), [work, home, tmp], [git_dir])
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SetupError(f"could not become uid {uid}")
    prctl(_PR_SET_PDEATHSIG, _SIGKILL)
    install_seccomp(program)
    os.chdir(work)
    os.execv("/bin/sh", ["/bin/sh", "-c", command])


def reap(command: str) -> int:
    """Run the command as a child subreaper; every descendant is killed before returning."""
    prctl(_PR_SET_CHILD_SUBREAPER, 1)
    child = os.fork()
    if child == 0:
        try:
            os.execv("/bin/sh", ["/bin/sh", "-c", command])
        finally:
            os._exit(127)
    terminated: list[int] = []

    def on_term(signum: int, _frame: object) -> None:
        terminated.append(signum)
        _kill_children()

    _signal.signal(_SIGTERM, on_term)
    status = 0
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            break
        except InterruptedError:
            continue
    _kill_descendants()
    if terminated:
        return 128 + terminated[0]
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code  # killed by a signal: as a shell reports it


def _children() -> list[int]:
    pid = os.getpid()
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(p) for p in listing.read().split()]
    except OSError:  # a kernel without CONFIG_PROC_CHILDREN: scan every process's parent
        found = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as stat:
                        if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                            found.append(int(name))
                except (OSError, IndexError, ValueError):
                    continue
        return found


def _kill_children() -> None:
    for pid in _children():
        try:  # noqa: SIM105 - contextlib would cost the shim's start-up a millisecond
            os.kill(pid, _SIGKILL)
        except ProcessLookupError:
            pass


def _kill_descendants() -> None:
    """Orphans are re-parented to this subreaper: kill and reap until none is left."""
    while True:
        _kill_children()
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.001)


def main(argv: list[str]) -> int:
    mode, status_fd = argv[1], int(argv[2])
    os.set_inheritable(status_fd, False)
    try:
        if mode == "confine":
            confine(argv[3:])
        elif mode == "reap":
            os.close(status_fd)
            return reap(argv[3])
        raise SetupError(f"unknown mode {mode!r}")
    except (SetupError, OSError) as error:
        try:  # noqa: SIM105
            os.write(status_fd, f"{error}".encode())
        except OSError:
            pass
        return _SETUP_FAILED
    return 0  # pragma: no cover - confine execs or raises


if __name__ == "__main__":
    sys.exit(main(sys.argv))
