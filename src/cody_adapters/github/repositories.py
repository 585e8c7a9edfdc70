"""Repositories on GitHub through PyGithub: an owner's, a page of 100 at a time, or a search's."""

from __future__ import annotations

from collections.abc import Iterator

from github import Github
from github.Repository import Repository

from cody_adapters.github.pull_requests import _answers as answers
from cody_core.errors import InputError
from cody_core.ports import FoundRepository

SEARCH_LIMIT = 1_000  # GitHub's search returns no result past the thousandth


class GitHubRepositoryFinder:
    """Lists what an organisation or user owns (private repositories included, when the token
    may see them) or what GitHub's repository search finds, following the Link headers."""

    def __init__(self, github: Github):
        self._github = github if github.requester.is_lazy else github.withLazy(True)

    def owned_by(self, owner: str) -> Iterator[FoundRepository]:
        with answers(f"listing the repositories of {owner}"):
            user = self._github.get_user(owner)
            if user.type == "Organization":
                repositories = self._github.get_organization(owner).get_repos(type="all")
            elif self._github.get_user().login.lower() == owner.lower():
                # Only this listing has the token's own private repositories.
                repositories = self._github.get_user().get_repos(affiliation="owner")
            else:
                repositories = user.get_repos(type="owner")
            yield from map(_found, repositories)

    def search(self, query: str) -> Iterator[FoundRepository]:
        with answers(f"searching GitHub for {query!r}"):
            results = self._github.search_repositories(query)
            found = iter(results)
            first = next(found, None)  # the first page carries the count: no request of its own
            if results.totalCount > SEARCH_LIMIT:
                raise InputError(
                    f"the search {query!r} matches {results.totalCount} repositories and GitHub "
                    f"returns at most {SEARCH_LIMIT:,}: narrow it (a topic:, org: or language: "
                    "qualifier, or --topic)"
                )
            if first is not None:
                yield _found(first)
                yield from map(_found, found)


def _found(repository: Repository) -> FoundRepository:
    return FoundRepository(
        name=repository.full_name,
        fork=repository.fork,
        archived=repository.archived,
        topics=tuple(repository.topics or ()),
    )
