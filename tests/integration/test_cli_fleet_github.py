"""The fleet commands through `cody` on GitHub repositories: git over smart HTTP and the REST
fake on loopback, every REST answer checked against GitHub's OpenAPI description."""

from __future__ import annotations

import json

from cli_support import cody, create, runs_of
from fleet_support import CHANGED, UNCHANGED, by_repository, prs
from forge import branch_sha, git, push_commit
from github_fake import Canned
from github_fake_lifecycle import FakeCheckRun

MERGE = "/repos/{owner}/{repo}/pulls/{pull_number}/merge"


def organisation(fleet) -> None:
    fleet.fake.add_organization("acme")
    fleet.add("api", owner="acme", topics=["python", "service"])
    fleet.add("web", owner="acme", topics=["javascript"])
    fleet.add("api-fork", owner="acme", fork=True, topics=["python", "service"])
    fleet.add("old", owner="acme", archived=True, topics=["python"])
    fleet.add("legacy-tool", owner="acme", topics=["python"])
    fleet.fake.add_repository("elsewhere/lib", topics=["python"])


def test_repos_list_shows_what_a_selection_would_take(fleet, monkeypatch):
    organisation(fleet)
    monkeypatch.setenv("ALLOWED_REPOSITORIES", "acme/api,acme/api-fork,acme/old,acme/legacy-tool")

    listed = cody("repos", "list", "--org", "acme", "--json")
    every = cody(
        "repos", "list", "--org", "acme", "--include-forks", "--include-archived",
        "--topic", "python", "--exclude", "acme/legacy-*", "--json",
    )  # fmt: skip
    table = cody("repos", "list", "--search", "api", "--topic", "service")

    assert [r["repositoryName"] for r in json.loads(listed.stdout)] == [
        "acme/api",
        "acme/legacy-tool",
    ]
    assert "1 repository outside ALLOWED_REPOSITORIES left out" in listed.stderr  # acme/web
    found = json.loads(every.stdout)
    assert [r["repositoryName"] for r in found] == ["acme/api", "acme/api-fork", "acme/old"]
    assert found[1] == {
        "repositoryName": "acme/api-fork",
        "fork": True,
        "archived": False,
        "topics": ["python", "service"],
    }
    assert "acme/api" in table.stdout and "api-fork" not in table.stdout
    (search,) = fleet.fake.requests("GET", "/search/repositories")
    assert search.query["q"] == ["api topic:service"]


def test_a_job_is_created_from_an_organisation_and_an_empty_selection_is_refused(fleet):
    organisation(fleet)

    created = cody(
        "job", "create", "--name", "n", "--prompt", "p", "--command", "true",
        "--org", "acme", "--topic", "python", "--exclude", "*/legacy-*",
    )  # fmt: skip
    empty = cody(
        "job", "create", "--name", "n", "--prompt", "p", "--command", "true",
        "--search", "nothing-like-this", ok=False,
    )  # fmt: skip
    lonely = cody(
        "job", "create", "--name", "n", "--prompt", "p", "--command", "true",
        "--topic", "python", ok=False,
    )  # fmt: skip

    assert list(runs_of(created.stdout.strip())) == ["acme/api"]
    for refused in (empty, lonely):
        assert refused.exit_code == 2
        (line,) = refused.output.strip().splitlines()
        assert line.startswith("error: ")
    assert "matched no repository" in empty.output and "--org" in lonely.output
    assert len(json.loads(cody("job", "list", "--json").stdout)) == 1


def opened(fleet, count: int, *extra: str, files=CHANGED) -> tuple[str, list[str]]:
    repositories = [fleet.add(f"app-{index}", files) for index in range(count)]
    job_id = create(repositories, *extra)
    cody("job", "run", job_id, "0")
    return job_id, repositories


def test_prs_shows_and_stores_each_pull_request_and_a_repeat_costs_no_rate_limit(fleet):
    job_id, (green, pending, draft) = opened(fleet, 3, "--reviewer", "alice")
    fleet.green(green)
    fleet.fake.add_review(green, 1, "alice", "APPROVED")
    fleet.fake.add_checks(pending, 1, runs=(FakeCheckRun("ci", "queued", None),))
    fleet.fake.pull(draft, 1).draft = True
    fleet.fake.pull(draft, 1).mergeable = None  # GitHub is still working it out

    report = prs(job_id)
    counted = fleet.fake.counted()
    repeat = prs(job_id)

    assert report["jobId"] == job_id
    assert report["summary"] == {"open": 2, "draft": 1, "merged": 0, "closed": 0}
    entries = by_repository(report)
    assert {k: entries[green][k] for k in ("pullRequestState", "checks", "reviewDecision")} == {
        "pullRequestState": "open",
        "checks": "success",
        "reviewDecision": "approved",
    }
    assert entries[green]["mergeable"] is True
    assert entries[green]["pullRequestUrl"] == runs_of(job_id)[green]["pullRequestUrl"]
    assert (entries[pending]["checks"], entries[pending]["reviewDecision"]) == (
        "pending",
        "review_required",
    )
    assert (entries[draft]["pullRequestState"], entries[draft]["mergeable"]) == ("draft", None)
    assert repeat == report
    assert fleet.fake.counted() == counted  # every request of the repeat was answered 304
    stored = runs_of(job_id)[pending]
    assert (stored["pullRequestState"], stored["checks"]) == ("open", "pending")
    table = cody("job", "prs", job_id).stdout
    assert "2 pull requests: 2 open" not in table and "3 pull requests: 2 open, 1 draft" in table


def test_merge_merges_what_is_green_says_why_not_for_the_rest_and_a_second_run_is_a_no_op(fleet):
    job_id, (green, pending, bare_ci) = opened(fleet, 3)
    fleet.green(green)
    fleet.fake.add_checks(pending, 1, runs=(FakeCheckRun("ci", "in_progress", None),))

    dry = cody("job", "merge", job_id, "--dry-run")
    assert fleet.fake.requests("PUT") == [] and "would merge" in dry.stdout
    first = cody("job", "merge", job_id, "--delete-branch")
    second = cody("job", "merge", job_id, "--delete-branch")

    assert [fleet.merges(r) for r in (green, pending, bare_ci)] == [[200], [], []]
    assert fleet.main_log(green)[0] == "Cody: rename (#1)"  # squashed into main
    assert git("show", "main:app.py", cwd=fleet.bare(green)) == "x = new_call()"
    assert branch_sha(fleet.bare(green), f"cody/{job_id}") is None
    lines = first.stdout.splitlines()
    assert any(line.startswith("merged") and green in line for line in lines)
    assert any(pending in line and "checks pending" in line for line in lines)
    assert any(bare_ci in line and "--no-require-checks" in line for line in lines)
    assert lines[-1] == "3 pull requests: 1 merged, 2 not merged"
    assert second.stdout.splitlines()[-1] == "3 pull requests: 1 already merged, 2 not merged"
    assert len(fleet.fake.requests("DELETE")) == 1
    assert runs_of(job_id)[green]["pullRequestState"] == "merged"


def test_merge_can_require_approval_do_without_checks_and_says_so_when_github_refuses(fleet):
    job_id, (approved, unreviewed, refused) = opened(fleet, 3)
    fleet.fake.add_review(approved, 1, "alice", "APPROVED")
    fleet.fake.add_review(refused, 1, "alice", "APPROVED")
    fleet.fake.answer_next(
        "PUT", MERGE, Canned(405, {"message": "Repository rule violations found"})
    )

    result = cody(
        "job", "merge", job_id, "--no-require-checks", "--require-approval", "--method", "merge",
        ok=False,
    )  # fmt: skip

    assert result.exit_code == 1  # an action failed
    merged = [r for r in (approved, unreviewed, refused) if fleet.merges(r) == [200]]
    assert len(merged) == 1 and unreviewed not in merged
    assert "review none" in result.stdout and "Repository rule violations" in result.stdout
    assert len(fleet.main_log(merged[0])) == 3  # a merge commit over both
    assert fleet.main_log(merged[0])[0].startswith("Merge pull request #1")


def test_close_comments_closes_drafts_too_deletes_branches_and_is_done_once(fleet):
    job_id, repositories = opened(fleet, 2, "--draft")

    cody("job", "close", job_id, "--comment", "Superseded by the platform team", "--delete-branch")
    again = cody("job", "close", job_id, "--comment", "Superseded by the platform team")

    for repository in repositories:
        (pull,) = fleet.pulls(repository)
        assert pull.state == "closed" and not pull.merged
        assert [c.body for c in pull.comments] == ["Superseded by the platform team"]
        assert branch_sha(fleet.bare(repository), f"cody/{job_id}") is None
    assert "2 already closed" in again.stdout
    assert prs(job_id)["summary"]["closed"] == 2


def test_comment_posts_on_every_open_pull_request_once(fleet):
    job_id, (first, second) = opened(fleet, 2)
    fleet.fake.pull(second, 1).state = "closed"

    cody("job", "comment", job_id, "Please review by Friday")
    again = cody("job", "comment", job_id, "Please review by Friday")

    assert [c.body for c in fleet.pulls(first)[0].comments] == ["Please review by Friday"]
    assert fleet.pulls(second)[0].comments == []
    assert again.stdout.splitlines()[-1] == "2 pull requests: 1 already commented, 1 not commented"
    posts = fleet.fake.requests("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    assert len(posts) == 1


def test_update_then_run_keeps_every_pull_request_updates_them_and_closes_the_unneeded(fleet):
    job_id, repositories = opened(fleet, 10)
    numbers = {r: runs_of(job_id)[r]["pullRequestNumber"] for r in repositories}
    # Upstream, two repositories no longer have the call; someone merged another's request.
    for repository in repositories[:2]:
        push_commit(fleet.bare(repository), "main", {"app.py": "x = 1\n"}, "Dropped old_call")
    fleet.green(repositories[9])
    cody("job", "merge", job_id)  # merges repositories[9] only: the others have no checks
    creates = len(fleet.fake.requests("POST", "/repos/{owner}/{repo}/pulls"))

    updated = cody(
        "job", "update", job_id, "--name", "rename, again",
        "--command", "sed -i 's/old_call/newer_call/g' app.py",
    )  # fmt: skip
    cody("job", "run", job_id, "0")

    assert "10 repositories back to pending" in updated.stdout
    assert len(fleet.fake.requests("POST", "/repos/{owner}/{repo}/pulls")) == creates == 10
    runs = runs_of(job_id)
    assert {r: runs[r]["pullRequestNumber"] for r in repositories} == numbers
    for repository in repositories[2:9]:
        (pull,) = fleet.pulls(repository)
        assert (pull.state, pull.title) == ("open", "Cody: rename, again")
        shown = git("show", f"cody/{job_id}:app.py", cwd=fleet.bare(repository))
        assert shown == "x = newer_call()"
        assert runs[repository]["status"] == "completed"
    for repository in repositories[:2]:
        (pull,) = fleet.pulls(repository)
        assert pull.state == "closed" and "made no difference" in pull.comments[0].body
        assert branch_sha(fleet.bare(repository), f"cody/{job_id}") is None
        assert (runs[repository]["wereChangesNecessary"], runs[repository]["pullRequestState"]) == (
            False,
            "closed",
        )
    assert runs[repositories[9]]["pullRequestState"] == "merged"  # left as it is
    assert fleet.pulls(repositories[9])[0].title == "Cody: rename"
    assert prs(job_id)["summary"] == {"open": 7, "draft": 0, "merged": 1, "closed": 2}


def test_publish_pushes_the_stored_changes_of_a_preview_onto_the_default_branch_as_it_is(fleet):
    moved, conflicting, still = (fleet.add(name) for name in ("moved", "conflicting", "still"))
    fleet.add("clean", UNCHANGED)
    job_id = create([moved, conflicting, still, "octo/clean"], "--no-create-prs")
    cody("job", "run", job_id, "0")
    assert fleet.fake.requests("POST", "/repos/{owner}/{repo}/pulls") == []
    news = push_commit(fleet.bare(moved), "main", {"NEWS": "news\n"}, "Upstream news")
    push_commit(fleet.bare(conflicting), "main", {"app.py": "x = other_call()\n"}, "Upstream")

    result = cody("job", "publish", job_id, code=1)  # like `job run`: a repository failed
    again = cody("job", "publish", job_id)

    runs = runs_of(job_id)
    assert [fleet.pulls(r)[0].state for r in (moved, still)] == ["open", "open"]
    assert fleet.pulls(conflicting) == []
    assert (runs[conflicting]["status"], runs[conflicting]["error"]["kind"]) == (
        "failed",
        "conflict",
    )
    branch = f"cody/{job_id}"
    assert git("rev-parse", f"{branch}~1", cwd=fleet.bare(moved)) == news  # on the new tip
    assert git("show", f"{branch}:app.py", cwd=fleet.bare(moved)) == "x = new_call()"
    assert "publishing 3 stored changes" in result.stderr
    assert result.stdout.startswith(f"{job_id} completed: 3 completed, 1 failed, 0 skipped")
    assert "nothing to publish" in again.stderr
    logs = cody("job", "logs", job_id, moved).stdout
    assert logs.count("assistant finished") == 1  # the preview's: publishing ran no assistant
