"""The fleet commands through `cody` on local bare repositories: the embedded default."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import CREATE_WITHOUT_REPO, cody, create, forge, pull_request_files, runs_of
from cody_cli.job_commands import container
from forge import branch_sha, git, push_commit


def records(env) -> dict[str, dict]:
    """The local pull-request records by head branch and repository directory."""
    return {str(path.parent.name): json.loads(path.read_text()) for path in pull_request_files(env)}


def test_branch_templates_take_the_job_name_and_names_git_refuses_are_refused(tmp_path, env):
    repos = forge(tmp_path, 1)
    job_id = create(repos, "--name", "Drop Py2 (now)", "--branch", "fleet/{jobName}")
    cody("job", "run", job_id)
    assert branch_sha(Path(repos[0]), "fleet/drop-py2-now-") is not None

    for branch in ("my branch/{jobId}", "a..b", "x~1", "x.lock", "-x", "cody/{jobName}.lock"):
        refused = cody(*CREATE_WITHOUT_REPO, "--repo", repos[0], "--branch", branch, ok=False)
        assert refused.exit_code == 2, branch
        (line,) = refused.output.strip().splitlines()
        assert line.startswith("error: branch ") and "--branch" in line
    assert len(json.loads(cody("job", "list", "--json").stdout)) == 1


def test_prs_merge_and_close_on_local_bare_repositories(tmp_path, env):
    repos = forge(tmp_path, 3)
    job_id = create(repos)
    cody("job", "run", job_id, "0")
    push_commit(Path(repos[2]), "main", {"app.py": "x = other_call()\n"}, "Upstream")  # conflicts

    report = json.loads(cody("job", "prs", job_id, "--json").stdout)
    refused = cody("job", "merge", job_id)
    merged = cody("job", "merge", job_id, "--no-require-checks", "--method", "merge")
    closed = cody("job", "close", job_id, "--delete-branch", "--comment", "Not this way")

    entries = {e["repositoryName"]: e for e in report["repositories"]}
    assert report["summary"] == {"open": 3, "draft": 0, "merged": 0, "closed": 0}
    assert {(e["checks"], e["reviewDecision"]) for e in entries.values()} == {("none", "none")}
    assert [entries[r]["mergeable"] for r in repos] == [True, True, False]
    assert refused.stdout.count("--no-require-checks") == 2  # the conflicting one says so
    assert "3 pull requests: 3 not merged" in refused.stdout
    for repo in repos[:2]:
        assert branch_sha(Path(repo), "main") == branch_sha(Path(repo), f"cody/{job_id}")  # ff
        assert git("show", "main:app.py", cwd=Path(repo)) == "x = new_call()"
    assert (
        "conflicts with its base branch" in merged.stdout
        and "2 merged, 1 not merged" in merged.stdout
    )
    assert "2 not closed, 1 closed" in closed.stdout.splitlines()[-1]
    assert branch_sha(Path(repos[2]), f"cody/{job_id}") is None
    assert branch_sha(Path(repos[0]), f"cody/{job_id}") is not None  # merged: not closed
    states = sorted(record["state"] for record in records(env).values())
    assert states == ["closed", "merged", "merged"]
    (closing,) = [r for r in records(env).values() if r["state"] == "closed"]
    assert [c["body"] for c in closing["comments"]] == ["Not this way"]
    final = json.loads(cody("job", "prs", job_id, "--json").stdout)
    assert final["summary"] == {"open": 0, "draft": 0, "merged": 2, "closed": 1}


def test_a_dry_run_prints_what_it_would_do_and_changes_nothing(tmp_path, env):
    repos = forge(tmp_path, 2)
    job_id = create(repos)
    cody("job", "run", job_id, "0")
    before = (runs_of(job_id), [p.read_text() for p in pull_request_files(env)])
    heads = [branch_sha(Path(repo), "main") for repo in repos]

    merged = cody("job", "merge", job_id, "--no-require-checks", "--delete-branch", "--dry-run")
    closed = cody("job", "close", job_id, "--comment", "bye", "--dry-run")
    commented = cody("job", "comment", job_id, "hello", "--dry-run")

    for result, action in ((merged, "merge"), (closed, "close"), (commented, "comment")):
        assert result.stdout.splitlines()[-1] == f"2 pull requests: 2 would {action}"
    assert (runs_of(job_id), [p.read_text() for p in pull_request_files(env)]) == before
    assert [branch_sha(Path(repo), "main") for repo in repos] == heads


def test_update_then_run_updates_local_pull_requests_in_place_and_closes_the_unneeded(
    tmp_path, env
):
    repos = forge(tmp_path, 3)
    job_id = create(repos)
    cody("job", "run", job_id, "0")
    push_commit(Path(repos[0]), "main", {"app.py": "x = 1\n"}, "Dropped old_call upstream")

    cody("job", "update", job_id, "--prompt", "rename old_call to newest_call", "--command",
         "sed -i 's/old_call/newest_call/g' app.py")  # fmt: skip
    cody("job", "run", job_id, "0")

    runs = runs_of(job_id)
    assert [runs[r]["pullRequestNumber"] for r in repos] == [1, 1, 1]
    assert len(pull_request_files(env)) == 3
    closed, *kept = (json.loads(p.read_text()) for p in sorted(pull_request_files(env)))
    by_state = sorted(r["state"] for r in (closed, *kept))
    assert by_state == ["closed", "open", "open"]
    assert runs[repos[0]]["pullRequestState"] == "closed"
    assert branch_sha(Path(repos[0]), f"cody/{job_id}") is None
    assert git("show", f"cody/{job_id}:app.py", cwd=Path(repos[1])) == "x = newest_call()"


def test_publish_on_local_repositories_opens_the_pull_requests_the_preview_found(tmp_path, env):
    repos = forge(tmp_path, 2)
    job_id = create(repos, "--no-create-prs")
    cody("job", "run", job_id, "0")
    assert pull_request_files(env) == []

    cody("job", "publish", job_id, "--repo", repos[1])

    runs = runs_of(job_id)
    assert runs[repos[0]].get("pullRequestUrl") is None
    assert runs[repos[1]]["pullRequestUrl"] and len(pull_request_files(env)) == 1
    assert git("show", f"cody/{job_id}:app.py", cwd=Path(repos[1])) == "x = new_call()"
    refused = cody("job", "publish", job_id, "--repo", repos[1], ok=False)
    assert refused.exit_code == 2 and "has a pull request already" in refused.output


def test_the_demo_ends_by_tracking_and_merging_its_pull_requests(env, monkeypatch):
    monkeypatch.delenv("CLAUDE_API_KEY")  # the demo's command assistant, not Claude
    container.reset_singletons()
    env_home = Path(env["CODY_HOME"])

    result = cody("demo", "--concurrency", "2")

    assert "$ cody job prs" in result.output and "5 pull requests: 5 open" in result.output
    assert "5 of 5 pull requests merged into their default branch" in result.output
    for bare in sorted((env_home / "demo-forge").glob("*.git")):
        shown = git("log", "-1", "--format=%s", "main", cwd=bare)
        expected = "Initial commit" if bare.name == "docs.git" else "Cody: demo: assertEquals"
        assert shown.startswith(expected), (bare, shown)


def test_the_pull_request_fields_live_on_the_dynamodb_run_items_in_camel_case(
    tmp_path, env, dynamo, dynalite
):
    import boto3

    repos = forge(tmp_path, 2)
    job_id = create(repos)
    cody("job", "run", job_id, "0")

    cody("job", "prs", job_id)
    cody("job", "comment", job_id, "Merging these today")
    cody("job", "merge", job_id, "--no-require-checks", "--delete-branch")

    client = boto3.client("dynamodb", endpoint_url=dynalite, region_name="us-east-1")
    key = {"jobId": {"S": job_id}, "repositoryName": {"S": repos[0]}}
    item = client.get_item(TableName=f"{dynamo}-repositories", Key=key)["Item"]
    assert item["pullRequestState"] == {"S": "merged"}
    assert item["pullRequestNumber"] == {"N": "1"} and item["branchDeleted"] == {"BOOL": True}
    assert (item["checks"], item["reviewDecision"]) == ({"S": "none"}, {"S": "none"})
    assert len(item["commentsPosted"]["L"]) == 1 and item["pushedSha"] == item["commitSha"]
    assert {run["pullRequestState"] for run in runs_of(job_id).values()} == {"merged"}


def test_prs_of_a_job_that_opened_none_says_so_without_an_empty_table(tmp_path, env):
    job_id = create(forge(tmp_path, 2, changed=0))  # nothing to change: no pull request
    cody("job", "run", job_id, "0")

    shown = cody("job", "prs", job_id)

    assert shown.stdout.splitlines() == [f"pull requests of {job_id}", "no pull requests"]
