"""LocalPullRequestHost writing real JSON files, raced by real processes."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from cody_adapters.local import pull_requests as local_pull_requests
from cody_adapters.local.pull_requests import LocalPullRequestHost
from cody_core.errors import CodyError, NotFoundError
from cody_core.policies.references import RepositoryRef
from cody_core.ports import PullRequest, PullRequestSpec

REPO = RepositoryRef(kind="local", name="/srv/repos/demo service.git")
SPEC = PullRequestSpec(head="cody/job-1", base="main", title="Cody: demo", body="Does things")


def records(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"))


def test_find_create_update_round_trip(tmp_path):
    host = LocalPullRequestHost(tmp_path)
    assert host.find_open(REPO, "cody/job-1") is None

    created = host.create(REPO, SPEC)
    found = host.find_open(REPO, "cody/job-1")
    updated = host.update(REPO, created, PullRequestSpec("cody/job-1", "main", "New", "Newer"))

    assert created == PullRequest(
        url=f"file://{REPO.name}#pull/1",
        head="cody/job-1",
        base="main",
        title="Cody: demo",
        body="Does things",
        number=1,
    )
    assert found == created
    assert (updated.title, updated.body, updated.url, updated.number) == (
        "New",
        "Newer",
        created.url,
        1,
    )
    assert host.find_open(REPO, "cody/job-1") == updated


def test_the_record_is_json_with_the_fields_the_dashboard_reads(tmp_path):
    LocalPullRequestHost(tmp_path).create(REPO, SPEC)

    [path] = records(tmp_path)
    record = json.loads(path.read_text())

    assert record["state"] == "open"
    assert record["createdAt"].endswith("Z")
    assert {"title", "body", "head", "base", "url", "number"} <= set(record)


def test_creating_twice_returns_the_first_pull_request(tmp_path):
    host = LocalPullRequestHost(tmp_path)

    first = host.create(REPO, SPEC)
    second = host.create(REPO, PullRequestSpec("cody/job-1", "main", "Other title", "Other"))

    assert second == first
    assert len(records(tmp_path)) == 1


def test_numbers_count_up_within_a_repository_and_start_again_in_another(tmp_path):
    host = LocalPullRequestHost(tmp_path)
    other = RepositoryRef(kind="local", name="/srv/repos/other.git")

    numbers = [
        host.create(REPO, PullRequestSpec("cody/a", "main", "A", "")).number,
        host.create(REPO, PullRequestSpec("cody/b", "main", "B", "")).number,
        host.create(other, PullRequestSpec("cody/a", "main", "A", "")).number,
    ]

    assert numbers == [1, 2, 1]


def test_branch_names_cannot_escape_the_root_or_collide(tmp_path):
    root = tmp_path / "prs"
    host = LocalPullRequestHost(root)

    for head in ("../../escape", "cody/a", "cody-a"):
        host.create(REPO, PullRequestSpec(head, "main", head, ""))

    assert len(records(root)) == 3
    assert not list(tmp_path.glob("*.json"))
    assert host.find_open(REPO, "cody-a").title == "cody-a"


def test_updating_a_pull_request_that_does_not_exist_is_not_found(tmp_path):
    host = LocalPullRequestHost(tmp_path)
    ghost = PullRequest(url="file:///x#pull/9", head="cody/none", base="main", title="", body="")

    with pytest.raises(NotFoundError):
        host.update(REPO, ghost, SPEC)


def test_github_repositories_are_not_supported(tmp_path):
    with pytest.raises(CodyError) as raised:
        LocalPullRequestHost(tmp_path).find_open(RepositoryRef("github", "octo/demo"), "x")
    assert raised.value.kind == "unsupported"


def test_losing_the_race_after_checking_returns_the_winners_pull_request(tmp_path, monkeypatch):
    host, rival = LocalPullRequestHost(tmp_path), LocalPullRequestHost(tmp_path)
    claim = local_pull_requests._claim_number
    winner: list[PullRequest] = []

    def rival_creates_first(directory: Path) -> int:
        monkeypatch.setattr(local_pull_requests, "_claim_number", claim)
        winner.append(rival.create(REPO, PullRequestSpec("cody/job-1", "main", "Rival", "")))
        return claim(directory)

    monkeypatch.setattr(local_pull_requests, "_claim_number", rival_creates_first)

    created = host.create(REPO, SPEC)

    assert created == winner[0]
    assert created.title == "Rival"
    assert len(records(tmp_path)) == 1


def _create_when_released(root: str, start, results) -> None:  # type: ignore[no-untyped-def]
    start.wait()
    results.put(LocalPullRequestHost(Path(root)).create(REPO, SPEC).url)


def test_processes_racing_to_create_leave_one_pull_request(tmp_path):
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    racers = [
        context.Process(target=_create_when_released, args=(str(tmp_path), start, results))
        for _ in range(8)
    ]
    for racer in racers:
        racer.start()
    start.set()
    urls = [results.get(timeout=60) for _ in racers]
    for racer in racers:
        racer.join(timeout=60)

    assert all(racer.exitcode == 0 for racer in racers)
    assert len(set(urls)) == 1
    assert len(records(tmp_path)) == 1
    assert not list(tmp_path.rglob("*.tmp"))
