"""One PullRequestHost over two: local repositories to the local host, GitHub ones to GitHub."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cody_core.errors import InputError
from cody_core.policies.references import RepositoryRef
from cody_core.ports import (
    MergeMethod,
    PullRequest,
    PullRequestForge,
    PullRequestSpec,
    PullRequestStatus,
)


class RoutingPullRequestHost:
    """Sends each call to the host for the repository's kind.

    `github` builds the GitHub host on first use (None without a token): PyGithub costs half a
    second to import, which jobs over local repositories need not pay.
    """

    def __init__(
        self, local: PullRequestForge, github: Callable[[], PullRequestForge | None] = lambda: None
    ):
        self._local = local
        self._make_github = github
        self._github: PullRequestForge | None = None

    def check_repository(self, repository: RepositoryRef) -> None:
        self._host(repository).check_repository(repository)

    def find_open(self, repository: RepositoryRef, head: str) -> PullRequest | None:
        return self._host(repository).find_open(repository, head)

    def create(self, repository: RepositoryRef, spec: PullRequestSpec) -> PullRequest:
        return self._host(repository).create(repository, spec)

    def update(
        self, repository: RepositoryRef, pull_request: PullRequest, spec: PullRequestSpec
    ) -> PullRequest:
        return self._host(repository).update(repository, pull_request, spec)

    def status(
        self,
        repository: RepositoryRef,
        number: int,
        cache: Mapping[str, Any],
        details: bool = True,
    ) -> PullRequestStatus:
        return self._host(repository).status(repository, number, cache, details)

    def merge(
        self, repository: RepositoryRef, number: int, method: MergeMethod, head_sha: str | None
    ) -> str:
        return self._host(repository).merge(repository, number, method, head_sha)

    def close(self, repository: RepositoryRef, number: int) -> None:
        self._host(repository).close(repository, number)

    def delete_branch(self, repository: RepositoryRef, branch: str) -> None:
        self._host(repository).delete_branch(repository, branch)

    def has_comment(self, repository: RepositoryRef, number: int, body: str) -> bool:
        return self._host(repository).has_comment(repository, number, body)

    def comment(self, repository: RepositoryRef, number: int, body: str) -> None:
        self._host(repository).comment(repository, number, body)

    def _host(self, repository: RepositoryRef) -> PullRequestForge:
        if repository.is_local:
            return self._local
        if self._github is None:
            self._github = self._make_github()
        if self._github is None:
            raise InputError(
                f"GITHUB_TOKEN is not set: it is needed for the pull requests of {repository}"
            )
        return self._github
