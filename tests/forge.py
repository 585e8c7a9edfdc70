"""Real git repositories for tests: bare "remotes" built with the plain git command."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

AUTHOR = ("-c", "user.name=Forge", "-c", "user.email=forge@example.com")


def git_env() -> dict[str, str]:
    """The environment without the caller's git settings, so a developer's config cannot leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0")
    return env


def git(*args: str | Path, cwd: Path | None = None) -> str:
    """Run git and return its stripped stdout; raise with stderr when it fails."""
    result = subprocess.run(
        ["git", *map(str, args)], cwd=cwd, env=git_env(), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(map(str, args))} failed: {result.stderr}")
    return result.stdout.strip()


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_bare_repo(
    root: Path, name: str, files: Mapping[str, str | bytes], default_branch: str = "main"
) -> Path:
    """A bare repository at root/name whose default branch holds one commit of `files`."""
    bare = root / name
    initial = ("-c", f"init.defaultBranch={default_branch}")
    git(*initial, "init", "--quiet", "--bare", bare)
    with tempfile.TemporaryDirectory(prefix="forge-") as work:
        git(*initial, "init", "--quiet", work)
        write_files(Path(work), files)
        git("add", "-A", cwd=Path(work))
        git(*AUTHOR, "commit", "--quiet", "--allow-empty", "-m", "Initial commit", cwd=Path(work))
        git("push", "--quiet", bare, f"HEAD:refs/heads/{default_branch}", cwd=Path(work))
    return bare


def push_commit(
    bare: Path, branch: str, files: Mapping[str, str | bytes], message: str = "More"
) -> str:
    """Commit `files` on top of `branch` (or a new branch from the default) and return its sha."""
    with tempfile.TemporaryDirectory(prefix="forge-") as work:
        git("clone", "--quiet", bare, work)
        if branch_sha(bare, branch) is not None:
            git("checkout", "--quiet", branch, cwd=Path(work))
        else:
            git("checkout", "--quiet", "-b", branch, cwd=Path(work))
        write_files(Path(work), files)
        git("add", "-A", cwd=Path(work))
        git(*AUTHOR, "commit", "--quiet", "--allow-empty", "-m", message, cwd=Path(work))
        git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=Path(work))
        return git("rev-parse", "HEAD", cwd=Path(work))


def branch_sha(bare: Path, branch: str) -> str | None:
    """The commit a branch of the bare repository points at, or None when it has no such branch."""
    for line in git("ls-remote", bare, f"refs/heads/{branch}").splitlines():
        sha, ref = line.split("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None
