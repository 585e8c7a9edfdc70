"""Choosing repositories by owner, topic or search: what `--org`, `--topic` and `--search` find."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

from cody_core.errors import InputError
from cody_core.policies.allowlist import Allowlist
from cody_core.policies.references import parse_reference
from cody_core.ports import FoundRepository, RepositoryFinder


@dataclass(frozen=True)
class Selection:
    owner: str | None = None  # an organisation or a user
    topics: tuple[str, ...] = ()  # every one must be present
    search: str | None = None  # GitHub's repository search syntax
    excludes: tuple[str, ...] = ()  # globs on owner/name
    include_forks: bool = False
    include_archived: bool = False

    @property
    def given(self) -> bool:
        return bool(self.owner or self.search or self.topics or self.excludes)

    def query(self) -> str:
        """The search query: the user's, with the qualifiers the other options stand for."""
        words = [self.search or ""]
        words += [f"topic:{topic}" for topic in self.topics]
        if self.owner:
            words.append(f"user:{self.owner}")
        if self.include_forks:  # GitHub's search leaves forks out unless asked
            words.append("fork:true")
        return " ".join(word for word in words if word)


@dataclass(frozen=True)
class Selected:
    repositories: list[FoundRepository]
    outside_allowlist: int  # found, and left out because ALLOWED_REPOSITORIES does not allow them


class RepositorySelector:
    """Finds the repositories a selection describes and keeps those the allowlist allows."""

    def __init__(self, finder: RepositoryFinder | None, allowlist: Allowlist):
        self._finder = finder
        self._allowlist = allowlist

    def select(self, selection: Selection) -> Selected:
        if not (selection.owner or selection.search):
            raise InputError(
                "--topic and --exclude narrow a selection: also give --org ORG or --search QUERY"
            )
        if self._finder is None:
            raise InputError("GITHUB_TOKEN is not set: it is needed to list repositories on GitHub")
        if selection.owner:
            parse_reference(f"{selection.owner}/x")  # says what is wrong with an owner
        found = (
            self._finder.search(selection.query())
            if selection.search
            else self._finder.owned_by(selection.owner or "")
        )
        kept: dict[str, FoundRepository] = {}
        outside = 0
        for repository in found:
            name = parse_reference(repository.name).name
            if name in kept or not _wanted(repository, name, selection):
                continue
            if not self._allowlist.allows(parse_reference(name)):
                outside += 1
                continue
            kept[name] = replace(repository, name=name)  # as the job stores it
        return Selected(sorted(kept.values(), key=lambda r: r.name), outside)


def _wanted(repository: FoundRepository, name: str, selection: Selection) -> bool:
    if repository.fork and not selection.include_forks:
        return False
    if repository.archived and not selection.include_archived:
        return False
    topics = {topic.lower() for topic in repository.topics}
    if any(topic.lower() not in topics for topic in selection.topics):
        return False
    return not any(fnmatchcase(name, pattern.lower()) for pattern in selection.excludes)
