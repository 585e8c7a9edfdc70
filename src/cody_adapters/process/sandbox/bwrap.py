"""The bubblewrap command line: the namespaces, and the little of the filesystem it shows."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import cody_adapters

# Tmpfs of their own inside the sandbox, where no checkout is mounted (/tmp can hold the
# directories that lead to one).
HOME = "/sandbox/home"
TMPDIR = "/sandbox/tmp"
_SYSTEM = ("/usr", "/etc")
_MERGED = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_NAMESPACES = (
    "--unshare-user",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
)


@cache
def system_mounts() -> tuple[str, ...]:
    """The system directories, read-only; /bin and the like as the symlinks they are on a
    merged-/usr system. Cody's own packages are hidden when they live under those."""
    mounts: list[str] = []
    for path in _SYSTEM:
        mounts += ["--ro-bind", path, path]
    for path in _MERGED:
        if os.path.islink(path):
            mounts += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            mounts += ["--ro-bind", path, path]
    packages = Path(cody_adapters.__file__).resolve().parents[1]
    if any(packages.is_relative_to(root) for root in _SYSTEM):
        for name in ("cody_adapters", "cody_core", "cody_cli"):
            mounts += ["--tmpfs", str(packages / name)]
    return tuple(mounts)


def bwrap_argv(
    *,
    work: Path,
    git_dir: Path | None,
    network: bool,
    seccomp_fd: int,
    status_fd: int,
    disable_userns: bool,
    command: str,
) -> list[str]:
    args = ["bwrap", *_NAMESPACES]
    if not network:
        args.append("--unshare-net")
    if disable_userns:
        args.append("--disable-userns")
    args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox"]
    args += system_mounts()
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    args += ["--perms", "0700", "--tmpfs", HOME, "--perms", "0700", "--tmpfs", TMPDIR]
    if network:  # /etc/resolv.conf may point here
        args += ["--ro-bind-try", "/run/systemd/resolve", "/run/systemd/resolve"]
    if git_dir is not None:
        args += ["--ro-bind", str(git_dir), str(git_dir)]
    args += ["--bind", str(work), str(work), "--remount-ro", "/", "--chdir", str(work)]
    args += ["--seccomp", str(seccomp_fd), "--json-status-fd", str(status_fd)]
    return [*args, "--", "/bin/sh", "-c", command]
