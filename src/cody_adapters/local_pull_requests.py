"""Pull requests for local repositories, kept as JSON files: the forge of the demo and the tests."""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cody_adapters.files import replace_atomically, write_temporary
from cody_core.errors import CodyError, NotFoundError
from cody_core.models import format_timestamp
from cody_core.policies.references import RepositoryRef
from cody_core.ports import PullRequest, PullRequestSpec

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class LocalPullRequestHost:
    """One JSON file per head branch: root/<repository slug>/<branch slug>.json.

    `create` is atomic across processes: the record is written under a temporary name and
    hard-linked into place, which fails when the file exists, so readers never see half a
    record. When another process created the pull request first, `create` returns that one
    instead of failing, as opening a pull request that already exists is what was wanted.
    """

    def __init__(self, root: Path):
        self._root = Path(root)

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
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _pull_request(record: dict[str, Any]) -> PullRequest:
    return PullRequest(
        url=record["url"],
        head=record["head"],
        base=record["base"],
        title=record["title"],
        body=record["body"],
        number=record["number"],
    )


def _now() -> str:
    return format_timestamp(datetime.now(UTC))
