"""One PullRequestHost over two: local repositories to the local host, GitHub ones to GitHub."""

from __future__ import annotations

from collections.abc import Callable

from cody_core.errors import InputError
from cody_core.policies.references import RepositoryRef
from cody_core.ports import PullRequest, PullRequestHost, PullRequestSpec


class RoutingPullRequestHost:
    """Sends each call to the host for the repository's kind.

    `github` builds the GitHub host on first use (None without a token): PyGithub costs half a
    second to import, which jobs over local repositories need not pay.
    """

    def __init__(
        self, local: PullRequestHost, github: Callable[[], PullRequestHost | None] = lambda: None
    ):
        self._local = local
        self._make_github = github
        self._github: PullRequestHost | None = None

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

    def _host(self, repository: RepositoryRef) -> PullRequestHost:
        if repository.is_local:
            return self._local
        if self._github is None:
            self._github = self._make_github()
        if self._github is None:
            raise InputError(
                f"GITHUB_TOKEN is not set: it is needed to open pull requests in {repository}"
            )
        return self._github
