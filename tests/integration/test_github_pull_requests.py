"""GitHubPullRequestHost through PyGithub against a GitHub fake on loopback.

Every answer the fake gives in these tests is checked against GitHub's OpenAPI description.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from github import GithubRetry

from cody_adapters.github.pull_requests import GitHubPullRequestHost, github_client
from cody_cli.pull_request_router import RoutingPullRequestHost
from cody_core.errors import CodyError, InputError, NotFoundError, TransientError
from cody_core.policies.references import RepositoryRef
from cody_core.ports import PullRequest, PullRequestSpec
from cody_core.testing.pull_requests import FakePullRequestHost
from github_fake import OPENING_ROUTES, Canned, GitHubFake, OpenApi, rate_limited

TOKEN = "ghp_" + "Fake0Token1" * 3 + "xyz"
DEMO = RepositoryRef(kind="github", name="octo/demo")  # references are lower-cased
REPO = "/repos/{owner}/{repo}"
PULLS = "/repos/{owner}/{repo}/pulls"
SPEC_OF = PullRequestSpec(head="cody/job-1", base="main", title="Rename x", body="Why")


@pytest.fixture
def fake(openapi: OpenApi) -> Iterator[GitHubFake]:
    github = GitHubFake(TOKEN)
    github.add_repository("Octo/Demo")
    with github.running():
        yield github
    assert openapi.undocumented(github) == []


def host_for(fake: GitHubFake, token: str = TOKEN, **options) -> GitHubPullRequestHost:
    settings = dict(
        retries=2,
        backoff_factor=0,
        secondary_rate_wait=0,
        max_rate_limit_wait=5,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    return GitHubPullRequestHost(github_client(token, fake.url, **{**settings, **options}))


@pytest.fixture
def host(fake: GitHubFake) -> GitHubPullRequestHost:
    return host_for(fake)


def test_create_opens_a_draft_pull_request_with_labels_against_the_base(host, fake):
    spec = PullRequestSpec("cody/job-1", "main", "Rename x", "Why", draft=True, labels=("a", "b"))

    pull = host.create(DEMO, spec)

    assert pull == PullRequest(
        f"{fake.url}/Octo/Demo/pull/1", "cody/job-1", "main", "Rename x", "Why", 1
    )
    stored = fake.repositories["octo/demo"].pulls[0]
    assert (stored.draft, stored.labels, stored.base) == (True, ["a", "b"], "main")
    (created,) = fake.requests("POST", PULLS)
    assert created.body == {
        "base": "main", "head": "cody/job-1", "title": "Rename x", "body": "Why", "draft": True
    }  # fmt: skip
    assert all(e.authorization == f"token {TOKEN}" for e in fake.exchanges)


def test_an_open_pull_request_from_the_branch_is_found_and_updated_not_opened_again(host, fake):
    fake.open_pull("Octo/Demo", "cody/job-1", title="Old title")

    found = host.find_open(DEMO, "cody/job-1")
    updated = host.update(DEMO, found, SPEC_OF)

    assert found is not None and found.number == 1 and found.title == "Old title"
    assert (updated.number, updated.title, updated.body) == (1, "Rename x", "Why")
    assert fake.repositories["octo/demo"].pulls[0].title == "Rename x"
    assert fake.requests("POST", PULLS) == []
    (listed,) = fake.requests("GET", PULLS)
    assert (listed.query["head"], listed.query["state"]) == (["Octo:cody/job-1"], ["open"])


def test_find_open_ignores_other_branches_and_closed_pull_requests(host, fake):
    fake.open_pull("Octo/Demo", "someone/else")
    fake.open_pull("Octo/Demo", "cody/job-1").state = "closed"

    assert host.find_open(DEMO, "cody/job-1") is None


def test_create_answered_already_exists_returns_the_open_one_updated(host, fake):
    fake.open_pull("Octo/Demo", "cody/job-1", title="Opened by a racing worker")

    pull = host.create(DEMO, SPEC_OF)

    assert (pull.number, pull.title) == (1, "Rename x")
    assert [e.status for e in fake.requests("POST", PULLS)] == [422]
    assert len(fake.repositories["octo/demo"].pulls) == 1


def test_update_adds_the_labels(host, fake):
    fake.open_pull("Octo/Demo", "cody/job-1")
    found = host.find_open(DEMO, "cody/job-1")

    host.update(DEMO, found, PullRequestSpec("cody/job-1", "main", "T", "B", labels=("cody",)))

    assert fake.repositories["octo/demo"].pulls[0].labels == ["cody"]


def test_a_403_with_retry_after_is_waited_for_and_retried(host, fake):
    fake.answer_next("GET", REPO, rate_limited(retry_after=1))
    started = time.monotonic()

    assert host.find_open(DEMO, "cody/job-1") is None

    assert time.monotonic() - started >= 1
    assert [e.status for e in fake.requests("GET", REPO)] == [403, 200]


def test_the_primary_rate_limit_is_waited_for_until_its_reset(host, fake):
    fake.answer_next("POST", PULLS, rate_limited(primary_reset_in=1))
    started = time.monotonic()

    host.create(DEMO, SPEC_OF)

    assert time.monotonic() - started >= 1
    assert [e.status for e in fake.requests("POST", PULLS)] == [403, 201]


def test_a_repository_still_rate_limited_after_every_retry_fails_as_throttled(host, fake):
    fake.answer_next("GET", REPO, *[rate_limited(retry_after=0)] * 3)

    with pytest.raises(TransientError) as raised:
        host.find_open(DEMO, "cody/job-1")

    assert (raised.value.kind, raised.value.transient) == ("throttled", True)
    assert len(fake.requests("GET", REPO)) == 3


def test_a_rate_limit_reset_too_far_away_fails_as_throttled_without_waiting(host, fake):
    fake.answer_next("GET", REPO, rate_limited(primary_reset_in=3600))
    started = time.monotonic()

    with pytest.raises(TransientError) as raised:
        host.check_repository(DEMO)

    assert raised.value.kind == "throttled"
    assert time.monotonic() - started < 5


def test_server_errors_are_retried_then_transient(host, fake):
    fake.answer_next("GET", REPO, *[Canned(502, {"message": "Server Error"})] * 3)

    with pytest.raises(TransientError) as raised:
        host.find_open(DEMO, "cody/job-1")

    assert raised.value.kind == "server-error"
    assert len(fake.requests("GET", REPO)) == 3


def test_a_bad_token_is_an_auth_error_that_does_not_quote_it(fake):
    wrong = "ghp_" + "Wrong0Token" * 3 + "abc"

    with pytest.raises(CodyError) as raised:
        host_for(fake, wrong).find_open(DEMO, "cody/job-1")

    assert raised.value.kind == "auth" and not raised.value.transient
    assert "GITHUB_TOKEN" in str(raised.value)
    assert wrong not in str(raised.value)


def test_a_forbidden_write_is_an_auth_error(host, fake):
    forbidden = Canned(403, {"message": "Resource not accessible by personal access token"})
    fake.answer_next("POST", PULLS, forbidden)

    with pytest.raises(CodyError) as raised:
        host.create(DEMO, SPEC_OF)

    assert raised.value.kind == "auth"
    assert "Resource not accessible" in str(raised.value)


def test_a_missing_repository_is_not_found(host):
    with pytest.raises(NotFoundError):
        host.find_open(RepositoryRef(kind="github", name="octo/missing"), "cody/job-1")


def test_an_archived_repository_is_reported_as_archived(host, fake):
    fake.repositories["octo/demo"].archived = True

    for attempt in (
        lambda: host.check_repository(DEMO),
        lambda: host.find_open(DEMO, "cody/job-1"),
        lambda: host.create(DEMO, SPEC_OF),
    ):
        with pytest.raises(CodyError) as raised:
            attempt()
        assert raised.value.kind == "archived"


def test_writes_are_spaced_by_seconds_between_writes(fake):
    host = host_for(fake, seconds_between_writes=0.3)

    host.create(DEMO, PullRequestSpec("cody/job-1", "main", "T", "B", labels=("cody",)))

    writes = [e.at for e in fake.exchanges if e.method != "GET"]
    assert len(writes) == 2
    assert writes[1] - writes[0] >= 0.25


def test_the_client_is_configured_for_production_by_default():
    client = github_client(TOKEN)

    settings = client.requester.kwargs
    assert isinstance(settings["retry"], GithubRetry)
    assert settings["retry"].total == 5
    assert (settings["seconds_between_requests"], settings["seconds_between_writes"]) == (0.25, 1.0)
    assert settings["base_url"] == "https://api.github.com"


def test_debug_logs_never_show_the_token(host, fake, caplog):
    for name in (None, "github", "urllib3"):  # other tests may have quietened them
        caplog.set_level(logging.DEBUG, logger=name)

    host.create(DEMO, PullRequestSpec("cody/job-1", "main", "T", "B", labels=("cody",)))

    assert any(record.name.startswith("github") for record in caplog.records)
    assert TOKEN not in caplog.text


def test_every_answer_of_the_fake_follows_githubs_openapi_description(host, fake, openapi):
    fake.add_repository("Octo/Old", archived=True)
    fake.open_pull("Octo/Demo", "cody/job-0")
    spec = PullRequestSpec("cody/job-1", "main", "T", "B", labels=("x", "y"), reviewers=("al",))
    host.create(DEMO, spec)
    host.create(DEMO, PullRequestSpec("cody/job-0", "main", "T", "B"))  # 422, then found
    fake.serve("PATCH", "/repos/Octo/Demo/pulls/1", f"token {TOKEN}", {"title": "T2"})
    fake.serve("GET", "/repos/Octo/Demo/pulls/2", f"token {TOKEN}", None)
    fake.serve("GET", "/repos/octo/missing", f"token {TOKEN}", None)
    fake.serve("GET", "/repos/Octo/Demo", "token wrong", None)
    fake.serve("POST", "/repos/Octo/Old/pulls", f"token {TOKEN}", {"head": "a", "base": "b"})

    statuses = {(e.method, e.route, e.status) for e in fake.exchanges}

    assert {s for _, _, s in statuses} >= {200, 201, 401, 403, 404, 422}
    assert {route for _, route, _ in statuses} == {route for _, route in OPENING_ROUTES}
    assert openapi.undocumented(fake) == []


def test_the_description_check_catches_a_body_github_would_not_send(fake, openapi):
    pull = fake.open_pull("Octo/Demo", "cody/job-1")
    body = fake.pull_body(fake.repositories["octo/demo"], pull)
    body["number"] = "1"
    del body["head"]
    body["titel"] = "typo"
    body["user"]["site_admin"] = None
    body["state"] = "merged"
    schema = openapi.response_schema("GET", f"{PULLS}/{{pull_number}}", 200)

    errors = openapi.errors(body, schema)

    assert sorted(errors) == sorted([
        "$.number: str where integer is expected",
        "$: missing 'head'",
        "$: 'titel' is not in GitHub's description",
        "$.user.site_admin: null where it may not be",
        "$.state: 'merged' is not one of ['open', 'closed']",
    ])  # fmt: skip


def test_the_router_sends_github_repositories_to_github_and_local_ones_to_the_local_host(
    host, fake
):
    local = FakePullRequestHost()
    router = RoutingPullRequestHost(local, lambda: host)
    here = RepositoryRef(kind="local", name="/srv/repo")

    on_github = router.create(DEMO, SPEC_OF)
    on_disk = router.create(here, SPEC_OF)
    router.check_repository(DEMO)
    router.check_repository(here)

    assert on_github.url == f"{fake.url}/Octo/Demo/pull/1"
    assert router.find_open(DEMO, "cody/job-1") == on_github
    assert local.created == [("/srv/repo", SPEC_OF)]
    assert router.find_open(here, "cody/job-1") == on_disk


def test_the_router_without_github_refuses_github_repositories_only():
    router = RoutingPullRequestHost(FakePullRequestHost())

    with pytest.raises(InputError, match="GITHUB_TOKEN is not set"):
        router.find_open(DEMO, "cody/job-1")
    assert router.find_open(RepositoryRef(kind="local", name="/srv/repo"), "x") is None


def test_reviewers_are_requested_on_create_and_again_on_update_without_duplicates(host, fake):
    spec = PullRequestSpec("cody/job-1", "main", "T", "B", reviewers=("alice", "bob"))

    opened = host.create(DEMO, spec)
    host.update(DEMO, opened, spec)

    pull = fake.repositories["octo/demo"].pulls[0]
    assert pull.reviewers == ["alice", "bob"]
    asked = [e for e in fake.exchanges if e.path.endswith("/requested_reviewers")]
    assert len(asked) == 2 and all(e.status == 201 for e in asked)
