"""An in-memory GitWorkspace: repositories are dicts of file contents."""

from __future__ import annotations

import difflib
import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from cody_core.errors import CodyError, NotFoundError
from cody_core.policies.references import RepositoryRef
from cody_core.ports import Checkout, Diff, FileChange


@dataclass
class FakeRepository:
    files: dict[str, str]
    default_branch: str = "main"
    branches: dict[str, str] = field(default_factory=dict)  # branch -> commit sha


class FakeWorkspace:
    def __init__(self, repositories: dict[str, dict[str, str]] | None = None):
        self.repositories = {
            name: FakeRepository(dict(files)) for name, files in (repositories or {}).items()
        }
        self.trees: dict[Path, dict[str, str]] = {}  # the working tree of each live checkout
        self.base: dict[Path, dict[str, str]] = {}
        self.cloned: list[str] = []
        self.pushed: list[tuple[str, str, str]] = []  # (repository, branch, sha)
        self.cleaned: list[Path] = []
        self.fail_on: dict[str, Exception] = {}  # step name -> exception to raise once
        self.patches: list[tuple[str, bytes]] = []
        self.commits: dict[Path, str] = {}  # each checkout's HEAD after `commit`
        self._ids = itertools.count(1)

    def add(self, name: str, files: dict[str, str]) -> None:
        self.repositories[name] = FakeRepository(dict(files))

    def files(self, checkout: Checkout) -> dict[str, str]:
        """The live working tree a fake assistant edits."""
        return self.trees[checkout.path]

    @property
    def live(self) -> list[Path]:
        return list(self.trees)

    def _maybe_fail(self, step: str) -> None:
        if step in self.fail_on:
            raise self.fail_on.pop(step)

    def clone(self, repository: RepositoryRef) -> Checkout:
        self._maybe_fail("clone")
        repo = self.repositories.get(repository.name)
        if repo is None:
            raise NotFoundError(f"repository {repository} not found")
        self.cloned.append(repository.name)
        path = Path(f"/fake/checkout-{next(self._ids)}")
        self.trees[path] = dict(repo.files)
        self.base[path] = dict(repo.files)
        return Checkout(repository, path, repo.default_branch, "0" * 40)

    def remote_branch_sha(self, checkout: Checkout, branch: str) -> str | None:
        return self.repositories[checkout.repository.name].branches.get(branch)

    def diff(self, checkout: Checkout) -> Diff:
        before, after = self.base[checkout.path], self.trees[checkout.path]
        changes, patch = [], []
        for path in sorted(before.keys() | after.keys()):
            old, new = before.get(path), after.get(path)
            if old == new:
                continue
            lines = list(
                difflib.unified_diff(
                    (old or "").splitlines(), (new or "").splitlines(), f"a/{path}", f"b/{path}"
                )
            )
            added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
            removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
            changes.append(FileChange(path, added, removed))
            patch += [f"diff --git a/{path} b/{path}", *lines]
        return Diff(tuple(changes), "\n".join(patch) + ("\n" if patch else ""))

    def commit(self, checkout: Checkout, message: str) -> str:
        self._maybe_fail("commit")
        content = repr(sorted(self.trees[checkout.path].items())) + message
        self.commits[checkout.path] = hashlib.sha1(content.encode()).hexdigest()
        return self.commits[checkout.path]

    def push(self, checkout: Checkout, branch: str, expected_remote_sha: str | None) -> None:
        self._maybe_fail("push")
        repo = self.repositories[checkout.repository.name]
        if repo.branches.get(branch) != expected_remote_sha:
            raise CodyError("remote branch moved", kind="conflict")
        sha = self.commits[checkout.path]  # what `commit` made: HEAD is what is pushed
        repo.branches[branch] = sha
        self.pushed.append((checkout.repository.name, branch, sha))

    def apply_patch(self, checkout: Checkout, patch: bytes) -> None:
        """Patches here are this fake's own diffs of small files: one hunk, the whole file."""
        self.patches.append((checkout.repository.name, patch))
        tree = self.trees[checkout.path]
        for section in patch.decode().split("diff --git a/")[1:]:
            path = section.split(" ", 1)[0]
            hunk = [line for line in section.split("@@")[-1].splitlines()[1:] if line]
            old = [line[1:] for line in hunk if line[0] in " -"]
            if old != tree.get(path, "").splitlines():
                raise CodyError(f"{path} changed since the diff was made", kind="conflict")
            tree[path] = "".join(line[1:] + "\n" for line in hunk if line[0] in " +")

    def cleanup(self, checkout: Checkout) -> None:
        self.trees.pop(checkout.path, None)
        self.base.pop(checkout.path, None)
        self.cleaned.append(checkout.path)
