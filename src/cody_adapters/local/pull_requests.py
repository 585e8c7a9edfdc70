"""Pull requests for local repositories, kept as JSON files: the forge of the demo and the tests."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cody_adapters.local.merges import LocalRepository, finished_merge, merge_plan
from cody_adapters.shared.files import replace_atomically, write_temporary
from cody_core.errors import CodyError, NotFoundError
from cody_core.models import PullRequestState, format_timestamp
from cody_core.policies.references import RepositoryRef
from cody_core.ports import MergeMethod, PullRequest, PullRequestSpec, PullRequestStatus

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class LocalPullRequestHost:
    """One JSON file per head branch: root/<repository slug>/<branch slug>.json.

    `create` is atomic across processes: the record is written under a temporary name and
    hard-linked into place, which fails when the file exists, so readers never see half a
    record. When another process created the pull request first, `create` returns that one
    instead of failing, as opening a pull request that already exists is what was wanted.

    Merging moves the repository's base branch with git's plumbing (a fast-forward when `merge`
    allows one); closing records the state; there are no checks or reviews (both `none`).
    """

    def __init__(
        self,
        root: Path,
        author_name: str = "Cody Batch",
        author_email: str = "cody-batch@users.noreply.github.com",
    ):
        self._root = Path(root)
        self._author = (author_name, author_email)

    def check_repository(self, repository: RepositoryRef) -> None:
        """Every local repository that exists can take a pull request."""

    def find_open(self, repository: RepositoryRef, head: str) -> PullRequest | None:
        record = _read(self._file(repository, head))
        if record is None or record.get("state") != "open":
            return None
        return _pull_request(record)

    def create(self, repository: RepositoryRef, spec: PullRequestSpec) -> PullRequest:
        path = self._file(repository, spec.head)
        existing = _read(path)
        if existing is not None:
            return _pull_request(existing)
        path.parent.mkdir(parents=True, exist_ok=True)
        number = _claim_number(path.parent)
        record = {
            "title": spec.title,
            "body": spec.body,
            "head": spec.head,
            "base": spec.base,
            "url": f"file://{repository.name}#pull/{number}",
            "number": number,
            "state": "open",
            "draft": spec.draft,
            "labels": list(spec.labels),
            "createdAt": _now(),
        }
        temporary = write_temporary(path.parent, _json(record), prefix=".pull-")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _pull_request(_read(path) or record)
        finally:
            os.unlink(temporary)
        return _pull_request(record)

    def update(
        self, repository: RepositoryRef, pull_request: PullRequest, spec: PullRequestSpec
    ) -> PullRequest:
        path = self._file(repository, pull_request.head)
        record = _read(path)
        if record is None:
            raise NotFoundError(f"no pull request from {pull_request.head} in {repository}")
        record.update(
            title=spec.title,
            body=spec.body,
            draft=spec.draft,
            labels=list(spec.labels),
            updatedAt=_now(),
        )
        replace_atomically(path, _json(record), prefix=".pull-")
        return _pull_request(record)

    def status(
        self,
        repository: RepositoryRef,
        number: int,
        cache: Mapping[str, Any],
        details: bool = True,
    ) -> PullRequestStatus:
        """The recorded state; whether it can merge is worked out from the branches now."""
        _, record = self._numbered(repository, number)
        state = _state(record)
        repo = self._repository(repository)
        head = repo.sha(record["head"])
        mergeable = None
        if details and state in ("open", "draft"):
            mergeable = head is not None and merge_plan(repo, record, head, "merge") is not None
        return PullRequestStatus(state, mergeable=mergeable, head_sha=head)

    def merge(
        self, repository: RepositoryRef, number: int, method: MergeMethod, head_sha: str | None
    ) -> str:
        """Merge into the base branch, once: a merge cut short after the branch moved is
        recognised by the commit it recorded before moving it."""
        path, record = self._numbered(repository, number)
        repo = self._repository(repository)
        finished = finished_merge(repo, record)
        if finished is not None:
            return self._merged(path, record, finished)
        if _state(record) != "open":
            raise CodyError(f"pull request #{number} is {_state(record)}", kind="not-mergeable")
        if method == "rebase":
            raise CodyError("local pull requests merge with merge or squash", kind="unsupported")
        head, base = repo.sha(record["head"]), repo.sha(record["base"])
        if head is None or base is None:
            raise CodyError(f"branch {record['head']} is gone", kind="not-mergeable")
        if head_sha is not None and head != head_sha:
            raise CodyError(f"{record['head']} moved to {head[:12]}", kind="head-moved")
        if repo.checked_out(record["base"]):
            raise CodyError(
                f"{record['base']} is checked out in {repository}: merge it there with git",
                kind="unsupported",
            )
        plan = merge_plan(repo, record, head, method)
        if plan is None:
            raise CodyError(
                f"{record['head']} conflicts with {record['base']}: it is not a fast-forward "
                "and the merge has conflicts to resolve by hand",
                kind="not-mergeable",
            )
        commit = plan if isinstance(plan, str) else repo.commit(*plan)
        replace_atomically(path, _json({**record, "merging": {"commit": commit}}), ".pull-")
        if not repo.move(record["base"], commit, base):
            raise CodyError(f"{record['base']} moved while merging: run again", kind="conflict")
        return self._merged(path, record, commit)

    def close(self, repository: RepositoryRef, number: int) -> None:
        path, record = self._numbered(repository, number)
        if record.get("state", "open") == "open":
            record.update(state="closed", closedAt=_now())
            replace_atomically(path, _json(record), prefix=".pull-")

    def delete_branch(self, repository: RepositoryRef, branch: str) -> None:
        self._repository(repository).delete(branch)

    def has_comment(self, repository: RepositoryRef, number: int, body: str) -> bool:
        _, record = self._numbered(repository, number)
        return any(comment["body"] == body for comment in record.get("comments", ()))

    def comment(self, repository: RepositoryRef, number: int, body: str) -> None:
        path, record = self._numbered(repository, number)
        record["comments"] = [*record.get("comments", ()), {"body": body, "createdAt": _now()}]
        replace_atomically(path, _json(record), prefix=".pull-")

    def _merged(self, path: Path, record: dict[str, Any], commit: str) -> str:
        record.pop("merging", None)
        if record.get("state") != "merged":
            record.update(state="merged", mergedAt=_now(), mergeCommitSha=commit)
            replace_atomically(path, _json(record), prefix=".pull-")
        return commit

    def _numbered(self, repository: RepositoryRef, number: int) -> tuple[Path, dict[str, Any]]:
        for path in sorted(self._file(repository, "-").parent.glob("*.json")):
            record = _read(path)
            if record is not None and record.get("number") == number:
                return path, record
        raise NotFoundError(f"no pull request #{number} in {repository}")

    def _repository(self, repository: RepositoryRef) -> LocalRepository:
        return LocalRepository(Path(repository.name), *self._author)

    def _file(self, repository: RepositoryRef, head: str) -> Path:
        if not repository.is_local:
            raise CodyError(
                f"repository {repository}: local pull requests need a local repository",
                kind="unsupported",
            )
        return self._root / _slug(repository.name) / f"{_slug(head)}.json"


def _slug(text: str) -> str:
    """A file name that cannot climb out of its directory, unique by a hash of the full text."""
    readable = _UNSAFE.sub("-", text).strip("-.")[-60:]
    return f"{readable}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def _claim_number(directory: Path) -> int:
    """The next pull request number, claimed by creating its marker file exclusively."""
    numbers = directory / "numbers"
    numbers.mkdir(exist_ok=True)
    number = len(os.listdir(numbers)) + 1
    while True:
        try:
            os.close(os.open(numbers / str(number), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            number += 1
        else:
            return number


def _json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, indent=2, ensure_ascii=False).encode()


def _read(path: Path) -> dict[str, Any] | None:
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return record


def _pull_request(record: dict[str, Any]) -> PullRequest:
    return PullRequest(
        url=record["url"],
        head=record["head"],
        base=record["base"],
        title=record["title"],
        body=record["body"],
        number=record["number"],
    )


def _state(record: dict[str, Any]) -> PullRequestState:
    state = record.get("state", "open")
    if state in ("merged", "closed"):
        return state  # type: ignore[no-any-return]
    return "draft" if record.get("draft") else "open"


def _now() -> str:
    return format_timestamp(datetime.now(UTC))
