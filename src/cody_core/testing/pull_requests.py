"""Pull requests kept in a dict, keyed by repository and head branch, with what befalls them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cody_core.errors import CodyError, NotFoundError
from cody_core.policies.references import RepositoryRef
from cody_core.ports import MergeMethod, PullRequest, PullRequestSpec, PullRequestStatus


@dataclass
class FakeState:
    """What the host says about one pull request; tests set it as a person would act."""

    state: str = "open"
    checks: str = "success"
    review_decision: str = "none"
    mergeable: bool | None = True
    head_sha: str = "h" * 40
    comments: list[str] = field(default_factory=list)


class FakePullRequestHost:
    def __init__(self) -> None:
        self.pulls: dict[tuple[str, str], PullRequest] = {}
        self.created: list[tuple[str, PullRequestSpec]] = []
        self.updated: list[tuple[str, PullRequestSpec]] = []
        self.states: dict[tuple[str, int], FakeState] = {}
        self.merged: list[tuple[str, int, str]] = []  # (repository, number, method)
        self.closed: list[tuple[str, int]] = []
        self.deleted: list[tuple[str, str]] = []
        self.reads: list[tuple[str, int, bool]] = []  # (repository, number, details)
        self.refuse_merge: dict[tuple[str, int], CodyError] = {}

    def state(self, repository: str, number: int) -> FakeState:
        return self.states.setdefault((repository, number), FakeState())

    def check_repository(self, repository: RepositoryRef) -> None:
        """Every local repository that exists can take a pull request."""

    def find_open(self, repository: RepositoryRef, head: str) -> PullRequest | None:
        pull = self.pulls.get((repository.name, head))
        if pull is None or self.state(repository.name, pull.number or 0).state != "open":
            return None
        return pull

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
        self.state(repository.name, number).state = "draft" if spec.draft else "open"
        return pull

    def update(
        self, repository: RepositoryRef, pull_request: PullRequest, spec: PullRequestSpec
    ) -> PullRequest:
        self.updated.append((repository.name, spec))
        pull = replace(pull_request, title=spec.title, body=spec.body)
        self.pulls[(repository.name, spec.head)] = pull
        return pull

    def status(
        self,
        repository: RepositoryRef,
        number: int,
        cache: Mapping[str, Any],
        details: bool = True,
    ) -> PullRequestStatus:
        self.reads.append((repository.name, number, details))
        if (repository.name, number) not in self.states:
            raise NotFoundError(f"no pull request #{number} in {repository}")
        found = self.state(repository.name, number)
        return PullRequestStatus(
            found.state,  # type: ignore[arg-type]
            checks=found.checks,  # type: ignore[arg-type]
            review_decision=found.review_decision,  # type: ignore[arg-type]
            mergeable=found.mergeable,
            head_sha=found.head_sha,
            cache={"reads": int(cache.get("reads", 0)) + 1},
        )

    def merge(
        self, repository: RepositoryRef, number: int, method: MergeMethod, head_sha: str | None
    ) -> str:
        refusal = self.refuse_merge.pop((repository.name, number), None)
        if refusal is not None:
            raise refusal
        found = self.state(repository.name, number)
        if found.state != "open":
            raise CodyError(f"#{number} is {found.state}", kind="not-mergeable")
        if head_sha != found.head_sha:
            raise CodyError("head moved", kind="head-moved")
        found.state = "merged"
        self.merged.append((repository.name, number, method))
        return "m" * 40

    def close(self, repository: RepositoryRef, number: int) -> None:
        self.state(repository.name, number).state = "closed"
        self.closed.append((repository.name, number))

    def delete_branch(self, repository: RepositoryRef, branch: str) -> None:
        self.deleted.append((repository.name, branch))

    def has_comment(self, repository: RepositoryRef, number: int, body: str) -> bool:
        return body in self.state(repository.name, number).comments

    def comment(self, repository: RepositoryRef, number: int, body: str) -> None:
        self.state(repository.name, number).comments.append(body)
