"""Pull requests kept in a dict, keyed by repository and head branch."""

from __future__ import annotations

from dataclasses import replace

from cody_core.policies.references import RepositoryRef
from cody_core.ports import PullRequest, PullRequestSpec


class FakePullRequestHost:
    def __init__(self) -> None:
        self.pulls: dict[tuple[str, str], PullRequest] = {}
        self.created: list[tuple[str, PullRequestSpec]] = []
        self.updated: list[tuple[str, PullRequestSpec]] = []

    def check_repository(self, repository: RepositoryRef) -> None:
        """Every local repository that exists can take a pull request."""

    def find_open(self, repository: RepositoryRef, head: str) -> PullRequest | None:
        return self.pulls.get((repository.name, head))

    def create(self, repository: RepositoryRef, spec: PullRequestSpec) -> PullRequest:
        self.created.append((repository.name, spec))
        number = len(self.created)
        pull = PullRequest(
            f"https://example.test/{repository}/pull/{number}",
            spec.head,
            spec.base,
            spec.title,
            spec.body,
            number,
        )
        self.pulls[(repository.name, spec.head)] = pull
        return pull

    def update(
        self, repository: RepositoryRef, pull_request: PullRequest, spec: PullRequestSpec
    ) -> PullRequest:
        self.updated.append((repository.name, spec))
        pull = replace(pull_request, title=spec.title, body=spec.body)
        self.pulls[(repository.name, spec.head)] = pull
        return pull
