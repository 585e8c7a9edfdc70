"""Choosing repositories by owner, topic and search: filters, the allowlist, the query sent."""

from __future__ import annotations

import pytest

from cody_core.errors import InputError
from cody_core.policies.allowlist import Allowlist
from cody_core.ports import FoundRepository
from cody_core.services.selection import RepositorySelector, Selection
from cody_core.testing.repositories import FakeRepositoryFinder

FLEET = [
    FoundRepository("Acme/api", topics=("python", "service")),
    FoundRepository("acme/web", topics=("javascript",)),
    FoundRepository("acme/old", archived=True, topics=("python",)),
    FoundRepository("acme/api-fork", fork=True, topics=("python", "service")),
    FoundRepository("acme/legacy-tool", topics=("python",)),
    FoundRepository("other/lib", topics=("python",)),
]


def names(selection: Selection, allow: str = "acme/*,other/*") -> list[str]:
    selector = RepositorySelector(FakeRepositoryFinder(FLEET), Allowlist.parse(allow))
    return [r.name for r in selector.select(selection).repositories]


def test_an_owner_gives_its_repositories_without_forks_or_archived_ones():
    assert names(Selection(owner="acme")) == ["acme/api", "acme/legacy-tool", "acme/web"]


def test_forks_and_archived_repositories_are_kept_when_asked():
    chosen = Selection(owner="acme", include_forks=True, include_archived=True)
    assert names(chosen) == [
        "acme/api",
        "acme/api-fork",
        "acme/legacy-tool",
        "acme/old",
        "acme/web",
    ]


def test_repeated_topics_all_have_to_be_present():
    assert names(Selection(owner="acme", topics=("python",))) == ["acme/api", "acme/legacy-tool"]
    assert names(Selection(owner="acme", topics=("python", "service"))) == ["acme/api"]


def test_excluded_globs_leave_repositories_out_whatever_their_case():
    assert names(Selection(owner="acme", excludes=("ACME/legacy-*", "*/web"))) == ["acme/api"]


def test_repositories_outside_the_allowlist_are_left_out_and_counted():
    finder = FakeRepositoryFinder(FLEET)
    selected = RepositorySelector(finder, Allowlist.parse("acme/api")).select(
        Selection(owner="acme")
    )
    assert [r.name for r in selected.repositories] == ["acme/api"]
    assert selected.outside_allowlist == 2  # legacy-tool and web; the fork and archived are not


def test_a_search_sends_the_topics_the_owner_and_fork_true_as_qualifiers():
    finder = FakeRepositoryFinder(FLEET)
    selector = RepositorySelector(finder, Allowlist.parse("*/*"))
    chosen = Selection(owner="acme", search="api in:name", topics=("service",), include_forks=True)

    found = [r.name for r in selector.select(chosen).repositories]

    assert finder.asked == [("search", "api in:name topic:service user:acme fork:true")]
    assert found == ["acme/api", "acme/api-fork"]


def test_a_search_filters_archived_results_unless_asked():
    assert names(Selection(search="topic:python")) == ["acme/api", "acme/legacy-tool", "other/lib"]
    assert "acme/old" in names(Selection(search="topic:python", include_archived=True))


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (Selection(topics=("python",)), "also give --org ORG or --search QUERY"),
        (Selection(excludes=("x/*",)), "also give --org ORG or --search QUERY"),
        (Selection(owner="bad owner!"), "bad owner!"),
    ],
)
def test_a_selection_that_cannot_be_looked_up_is_refused(selection, message):
    with pytest.raises(InputError, match=message.replace("!", "")):
        names(selection)


def test_without_a_finder_the_token_is_asked_for():
    with pytest.raises(InputError, match="GITHUB_TOKEN"):
        RepositorySelector(None, Allowlist.parse("*/*")).select(Selection(owner="acme"))
