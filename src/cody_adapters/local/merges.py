"""Merging one branch into another inside a local repository, with git's plumbing only: no
working tree is touched, and a branch moves only from the commit it was read at."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from cody_adapters.shared.environment import scrubbed_environ
from cody_core.errors import CodyError

_TIMEOUT = 120


class LocalRepository:
    """Branches of a repository on this machine (bare, or one whose branch is not checked out)."""

    def __init__(self, path: Path, author_name: str, author_email: str):
        self.path = path
        self._env = {
            **scrubbed_environ(drop_prefixes=("GIT_",)),  # no caller's GIT_DIR or config
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": author_name,
            "GIT_AUTHOR_EMAIL": author_email,
            "GIT_COMMITTER_NAME": author_name,
            "GIT_COMMITTER_EMAIL": author_email,
            "LC_ALL": "C",
        }

    def sha(self, branch: str) -> str | None:
        result = self._git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
        return result.stdout.strip() or None if result.returncode == 0 else None

    def contains(self, descendant: str, ancestor: str) -> bool:
        return self._git("merge-base", "--is-ancestor", ancestor, descendant).returncode == 0

    def merged_tree(self, base: str, head: str) -> str | None:
        """The tree of `head` merged into `base`, or None when they conflict."""
        result = self._git("merge-tree", "--write-tree", "--no-messages", base, head)
        if result.returncode == 1:
            return None
        self._check(result, "merge-tree")
        return result.stdout.split()[0]

    def commit(self, tree: str, parents: list[str], message: str) -> str:
        args = [arg for parent in parents for arg in ("-p", parent)]
        result = self._git("commit-tree", tree, *args, "-m", message)
        self._check(result, "commit-tree")
        return result.stdout.strip()

    def move(self, branch: str, new: str, old: str) -> bool:
        """Point `branch` at `new` if it is still at `old`."""
        return self._git("update-ref", f"refs/heads/{branch}", new, old).returncode == 0

    def delete(self, branch: str) -> None:
        if self.sha(branch) is not None:
            self._check(self._git("update-ref", "-d", f"refs/heads/{branch}"), "update-ref -d")

    def checked_out(self, branch: str) -> bool:
        """Whether a working tree of this repository has `branch` checked out."""
        bare = self._git("rev-parse", "--is-bare-repository").stdout.strip() == "true"
        head = self._git("symbolic-ref", "--quiet", "HEAD").stdout.strip()
        return not bare and head == f"refs/heads/{branch}"

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-c", "core.hooksPath=/dev/null", *args],
            cwd=self.path,
            env=self._env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
        )

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()[-500:]
            raise CodyError(f"git {what} in {self.path} failed: {detail}", kind="git")


Plan = str | tuple[str, list[str], str]


def merge_plan(
    repo: LocalRepository, record: dict[str, Any], head: str, method: str
) -> Plan | None:
    """How a pull request record's head goes into its base: the commit to fast-forward to, or
    what to commit (tree, parents, message); None when the two conflict."""
    base = repo.sha(record["base"])
    if base is None:
        return None
    if method == "merge" and repo.contains(head, base):
        return head
    tree = repo.merged_tree(base, head)
    if tree is None:
        return None
    number, title = record["number"], record["title"]
    if method == "squash":
        return tree, [base], f"{title} (#{number})"
    return tree, [base, head], f"Merge pull request #{number} from {record['head']}\n\n{title}"


def finished_merge(repo: LocalRepository, record: dict[str, Any]) -> str | None:
    """The merge commit when the record says merged, or when a merge moved the base branch and
    its process died before it said so (the commit it noted first is on the base now)."""
    if record.get("state") == "merged":
        return str(record.get("mergeCommitSha") or "")
    commit = (record.get("merging") or {}).get("commit")
    base = repo.sha(record["base"])
    if commit and base is not None and repo.contains(base, commit):
        return str(commit)
    return None
