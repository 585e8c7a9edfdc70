"""GitHubForge and GitHubRepositoryFinder through PyGithub against the GitHub fake on loopback:
listings and search, refreshes with ETags, merges into a real bare repository, closing,
branches, comments. Every answer is checked against GitHub's OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import github_fake_lifecycle as lifecycle
import github_fake_listings as listings
from cody_adapters.github.lifecycle import GitHubForge
from cody_adapters.github.pull_requests import github_client
from cody_adapters.github.repositories import GitHubRepositoryFinder
from cody_core.errors import CodyError, InputError
from cody_core.policies.references import RepositoryRef
from forge import branch_sha, git, make_bare_repo, push_commit
from github_fake import GitHubFake, OpenApi
from github_fake_lifecycle import FakeCheckRun, FakeStatus

TOKEN = "ghp_" + "Fake0Token1" * 3 + "xyz"
APP = RepositoryRef(kind="github", name="octo/app")


@pytest.fixture
def fake(openapi: OpenApi) -> Iterator[GitHubFake]:
    github = GitHubFake(TOKEN)
    with github.running():
        yield github
    assert openapi.undocumented(github) == []


def client(fake: GitHubFake):
    return github_client(
        TOKEN, fake.url, retries=0, seconds_between_requests=0, seconds_between_writes=0
    )


@pytest.fixture
def forge(fake: GitHubFake) -> GitHubForge:
    return GitHubForge(client(fake))


@pytest.fixture
def finder(fake: GitHubFake) -> GitHubRepositoryFinder:
    return GitHubRepositoryFinder(client(fake))


def with_pull(fake: GitHubFake, tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    """octo/app backed by a bare repository, and pull request #1 from cody/x changing it."""
    bare = make_bare_repo(tmp_path, "app.git", {"app.py": "x = old_call()\n", "README.md": "hi\n"})
    fake.add_repository("Octo/App", bare=bare)
    push_commit(bare, "cody/x", files or {"app.py": "x = new_call()\n"}, "Rename old_call")
    fake.open_pull("Octo/App", "cody/x", title="Rename")
    return bare


def test_an_organisation_is_listed_a_hundred_at_a_time_private_ones_included(finder, fake):
    fake.add_organization("acme")
    for index in range(150):
        fake.add_repository(f"acme/svc-{index:03d}", topics=["python"], private=index % 2 == 0)

    found = list(finder.owned_by("acme"))

    assert len(found) == 150 and found[0].topics == ("python",)
    pages = fake.requests("GET", "/orgs/{org}/repos")
    assert [e.query.get("page", ["1"])[0] for e in pages] == ["1", "2"]
    assert pages[0].query["type"] == ["all"] and 'rel="next"' in pages[0].headers["Link"]


def test_the_tokens_own_user_is_listed_with_its_private_repositories(finder, fake):
    fake.add_repository("cody-bot/secret", private=True)
    fake.add_repository("someone/public-one", private=False)
    fake.add_repository("someone/private-one", private=True)

    mine = [r.name for r in finder.owned_by("Cody-Bot")]
    theirs = [r.name for r in finder.owned_by("someone")]

    assert mine == ["cody-bot/secret"] and theirs == ["someone/public-one"]
    assert fake.requests("GET", "/user/repos")[0].query["affiliation"] == ["owner"]
    assert fake.requests("GET", "/users/{username}/repos")[0].query["type"] == ["owner"]


def test_search_qualifiers_are_answered_and_forks_need_fork_true(finder, fake):
    fake.add_organization("acme")
    fake.add_repository("acme/api", topics=["python", "service"])
    fake.add_repository("acme/api-fork", fork=True, topics=["python", "service"])
    fake.add_repository("acme/web", topics=["javascript"])
    fake.add_repository("other/api", topics=["python", "service"])
    fake.add_repository("acme/old-api", archived=True, topics=["python", "service"])

    plain = [r.name for r in finder.search("api org:acme topic:service")]
    forks = [r.name for r in finder.search("api user:acme topic:python fork:true archived:false")]

    assert plain == ["acme/api", "acme/old-api"]
    assert forks == ["acme/api", "acme/api-fork"]


def test_a_search_github_would_cut_at_a_thousand_results_is_refused(finder, fake):
    for index in range(1001):
        fake.add_repository(f"many/r{index}")

    with pytest.raises(InputError, match="returns at most 1,000"):
        list(finder.search("user:many"))


def test_a_refresh_reads_state_checks_reviews_and_mergeable(forge, fake, tmp_path):
    with_pull(fake, tmp_path)
    fake.add_checks(
        "octo/app", 1, runs=(FakeCheckRun("test"), FakeCheckRun("lint", "in_progress", None))
    )
    fake.add_review("octo/app", 1, "alice", "APPROVED")

    status = forge.status(APP, 1, {})

    assert (status.state, status.checks, status.review_decision) == ("open", "pending", "approved")
    assert status.mergeable is True and status.head_sha == branch_sha(
        tmp_path / "app.git", "cody/x"
    )


@pytest.mark.parametrize(
    ("runs", "statuses", "checks"),
    [
        ((), (), "none"),
        ((FakeCheckRun("t"),), (FakeStatus("ci"),), "success"),
        ((FakeCheckRun("t", conclusion="timed_out"),), (FakeStatus("ci", "pending"),), "failure"),
        ((FakeCheckRun("t"),), (FakeStatus("ci", "error"),), "failure"),
        ((), (FakeStatus("ci", "pending"),), "pending"),
        ((FakeCheckRun("t", conclusion="neutral"),), (), "success"),
    ],
)
def test_checks_combine_check_runs_and_commit_statuses(
    forge, fake, tmp_path, runs, statuses, checks
):
    with_pull(fake, tmp_path)
    fake.add_checks("octo/app", 1, runs=runs, statuses=statuses)

    assert forge.status(APP, 1, {}).checks == checks


def test_the_latest_review_of_each_reviewer_decides_and_requests_or_protection_require_one(
    forge, fake, tmp_path
):
    with_pull(fake, tmp_path)
    repository = fake.repositories["octo/app"]
    assert forge.status(APP, 1, {}).review_decision == "none"
    repository.required_approvals = 2
    assert forge.status(APP, 1, {}).review_decision == "review_required"
    repository.required_approvals = None
    fake.pull("octo/app", 1).reviewers = ["bob"]
    assert forge.status(APP, 1, {}).review_decision == "review_required"
    fake.add_review("octo/app", 1, "bob", "CHANGES_REQUESTED")
    fake.add_review("octo/app", 1, "carol", "APPROVED")
    assert forge.status(APP, 1, {}).review_decision == "changes_requested"
    fake.add_review("octo/app", 1, "bob", "COMMENTED")  # a comment decides nothing
    assert forge.status(APP, 1, {}).review_decision == "changes_requested"
    fake.add_review("octo/app", 1, "bob", "APPROVED")
    assert forge.status(APP, 1, {}).review_decision == "approved"


def test_a_repeated_refresh_is_answered_304_and_costs_nothing_against_the_limit(
    forge, fake, tmp_path
):
    with_pull(fake, tmp_path)
    fake.add_checks("octo/app", 1, runs=(FakeCheckRun("test"),))
    first = forge.status(APP, 1, {})
    counted = fake.counted()

    again = forge.status(APP, 1, first.cache)

    assert again == first
    assert fake.counted() == counted  # all four requests were answered 304
    assert {e.status for e in fake.exchanges[-4:]} == {304}
    fake.add_review("octo/app", 1, "alice", "APPROVED")
    changed = forge.status(APP, 1, again.cache)
    assert changed.review_decision == "approved" and fake.counted() == counted + 1


def test_mergeable_is_null_while_github_works_it_out_and_false_on_a_conflict(forge, fake, tmp_path):
    bare = with_pull(fake, tmp_path)
    fake.pull("octo/app", 1).mergeable = None
    assert forge.status(APP, 1, {}).mergeable is None
    fake.pull("octo/app", 1).mergeable = "auto"
    push_commit(bare, "main", {"app.py": "x = their_call()\n"}, "Theirs")
    assert forge.status(APP, 1, {}).mergeable is False


@pytest.mark.parametrize("method", ["merge", "squash", "rebase"])
def test_a_merge_really_merges_into_the_bare_repository(forge, fake, tmp_path, method):
    bare = with_pull(fake, tmp_path)
    head = branch_sha(bare, "cody/x")

    sha = forge.merge(APP, 1, method, head)

    assert branch_sha(bare, "main") == sha
    assert git("show", "main:app.py", cwd=bare) == "x = new_call()"
    parents = git("log", "-1", "--format=%P", "main", cwd=bare).split()
    assert len(parents) == (2 if method == "merge" else 1)
    assert forge.status(APP, 1, {}).state == "merged"
    with pytest.raises(CodyError) as again:  # merged: GitHub says 405 to a second merge
        forge.merge(APP, 1, method, head)
    assert again.value.kind == "not-mergeable"


def test_a_merge_is_refused_when_the_head_moved_or_it_conflicts(forge, fake, tmp_path):
    bare = with_pull(fake, tmp_path)
    checked = branch_sha(bare, "cody/x")
    push_commit(bare, "cody/x", {"late.txt": "late\n"}, "Late")

    with pytest.raises(CodyError) as moved:
        forge.merge(APP, 1, "squash", checked)
    push_commit(bare, "main", {"app.py": "x = their_call()\n"}, "Theirs")
    with pytest.raises(CodyError) as conflicting:
        forge.merge(APP, 1, "squash", branch_sha(bare, "cody/x"))

    assert (moved.value.kind, conflicting.value.kind) == ("head-moved", "not-mergeable")
    assert [e.status for e in fake.requests("PUT")] == [409, 405]
    assert git("show", "main:app.py", cwd=bare) == "x = their_call()"


def test_close_comments_and_branch_deletion_use_the_documented_paths(forge, fake, tmp_path):
    bare = with_pull(fake, tmp_path)

    assert not forge.has_comment(APP, 1, "Superseded")
    forge.comment(APP, 1, "Superseded")
    forge.close(APP, 1)
    forge.delete_branch(APP, "cody/x")
    forge.delete_branch(APP, "cody/x")  # gone already: fine

    assert forge.has_comment(APP, 1, "Superseded")
    assert forge.status(APP, 1, {}).state == "closed"
    assert branch_sha(bare, "cody/x") is None
    deletes = fake.requests("DELETE")
    assert [e.path for e in deletes] == ["/repos/octo/app/git/refs/heads/cody/x"] * 2
    assert [e.status for e in deletes] == [204, 422]


def test_comments_are_read_page_by_page(forge, fake, tmp_path):
    with_pull(fake, tmp_path)
    for index in range(150):
        forge.comment(APP, 1, f"note {index}")

    assert forge.has_comment(APP, 1, "note 149")
    pages = fake.requests("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    assert [e.query["page"] for e in pages] == [["1"], ["2"]]


def test_every_route_added_for_the_lifecycle_is_answered_and_checked(forge, finder, fake, tmp_path):
    with_pull(fake, tmp_path)
    fake.add_organization("acme")
    fake.add_repository("acme/x")
    list(finder.owned_by("acme"))  # /users/{username}, /orgs/{org}/repos
    list(finder.owned_by("cody-bot"))  # /user, /user/repos
    list(finder.owned_by("octo"))  # /users/{username}/repos
    list(finder.search("x"))
    fake.repositories["octo/app"].required_approvals = 1
    forge.status(APP, 1, {})  # the pull, its check runs, status, reviews, branch protection
    forge.has_comment(APP, 1, "x")
    forge.comment(APP, 1, "x")
    forge.merge(APP, 1, "squash", None)
    forge.delete_branch(APP, "cody/x")

    answered = {(e.method, e.route) for e in fake.exchanges}

    assert set(listings.ROUTES) | set(lifecycle.ROUTES) <= answered
