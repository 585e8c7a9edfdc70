"""A RepositoryFinder over a list of repositories, recording what it was asked."""

from __future__ import annotations

from collections.abc import Iterator

from cody_core.errors import InputError
from cody_core.ports import FoundRepository


class FakeRepositoryFinder:
    def __init__(self, repositories: list[FoundRepository], search_limit: int = 1_000) -> None:
        self.repositories = repositories
        self.search_limit = search_limit
        self.asked: list[tuple[str, str]] = []  # ("owner", name) or ("search", query)

    def owned_by(self, owner: str) -> Iterator[FoundRepository]:
        self.asked.append(("owner", owner))
        return (r for r in self.repositories if r.name.split("/")[0].lower() == owner.lower())

    def search(self, query: str) -> Iterator[FoundRepository]:
        """Understands `user:` and `topic:` and GitHub's hiding of forks without `fork:true`."""
        self.asked.append(("search", query))
        words = query.split()
        users = [w.removeprefix("user:").lower() for w in words if w.startswith("user:")]
        topics = [w.removeprefix("topic:") for w in words if w.startswith("topic:")]
        found = [
            r
            for r in self.repositories
            if (not users or r.name.split("/")[0].lower() in users)
            and all(topic in r.topics for topic in topics)
            and (not r.fork or "fork:true" in words)
        ]
        if len(found) > self.search_limit:
            raise InputError(f"the search {query!r} matches too many repositories")
        return iter(found)
