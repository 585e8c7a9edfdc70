"""`cody job run`: the MAX_REPOS convention, pre-flight, failures that show, counts that agree."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from cli_support import CODEMOD, cody, create, forge, runs_of, status
from cody_adapters.local.sqlite_store import SqliteJobStore
from cody_cli.job_commands import container
from cody_core.models import JobStatus, RunStatus
from cody_core.testing.pipeline import Pipeline


def statuses(job_id: str) -> Counter[str]:
    return Counter(run["status"] for run in runs_of(job_id).values())


def test_max_repos_has_one_meaning_and_a_later_run_finishes_the_job(tmp_path, env):
    repos = forge(tmp_path, 7)
    job_id = create(repos)

    first = cody("job", "run", job_id)  # the default: 5
    assert statuses(job_id) == {"completed": 5, "skipped": 2}
    assert f"2 repositories left past MAX_REPOS: `cody job run {job_id} 0`" in first.stdout
    skipped = [r for r in runs_of(job_id).values() if r["status"] == "skipped"]
    assert {r["error"]["kind"] for r in skipped} == {"max-repositories"}

    cody("job", "run", job_id, "6")
    assert statuses(job_id) == {"completed": 6, "skipped": 1}
    last = cody("job", "run", job_id, "0")  # the command the closing line gave
    assert statuses(job_id) == {"completed": 7}
    assert "left" not in last.stdout
    report = status(job_id)
    assert (report["status"], report["completedCount"], report["skippedCount"]) == (
        "completed",
        7,
        0,
    )


def test_a_limit_set_at_create_is_the_jobs_own_and_0_means_all(tmp_path, env):
    repos = forge(tmp_path, 7)
    one = create(repos[:3], "--max-repos", "1")
    every = create(repos, "--max-repos", "0")

    cody("job", "run", one)
    cody("job", "run", every)

    assert statuses(one) == {"completed": 1, "skipped": 2}
    assert statuses(every) == {"completed": 7}


@pytest.mark.parametrize(
    "branch", ["my branch/{jobId}", "a..b/{jobId}", "x~1/{jobId}", "{jobId}.lock", "-x{jobId}"]
)
def test_an_invalid_branch_is_refused_at_create(tmp_path, env, branch):
    result = cody(*create_args(forge(tmp_path, 1)), "--branch", branch, ok=False)

    assert result.exit_code == 2 and "is not a valid git branch name" in result.output
    assert json.loads(cody("job", "list", "--json").stdout) == []


def create_args(repos: list[str]) -> list[str]:
    args = ["job", "create", "--name", "n", "--prompt", "p", "--command", CODEMOD]
    return args + [arg for repo in repos for arg in ("--repo", repo)]


def test_a_temp_dir_that_is_a_file_is_found_once_at_create_and_at_run(tmp_path, env, monkeypatch):
    repos = forge(tmp_path, 3)
    job_id = create(repos)
    not_a_directory = tmp_path / "temp-file"
    not_a_directory.write_text("")
    monkeypatch.setenv("TEMP_DIR", str(not_a_directory))
    container.reset_singletons()

    refused = cody(*create_args(repos), ok=False)
    result = cody("job", "run", job_id, "0", ok=False)

    for outcome in (refused, result):
        lines = outcome.output.strip().splitlines()
        assert outcome.exit_code == 2 and len(lines) == 1, outcome.output
        assert f"TEMP_DIR {not_a_directory} is not a directory" in lines[0]
    report = status(job_id)
    assert report["status"] == "pending"
    assert {(r["status"], r["attempt"]) for r in report["repositories"]} == {("pending", 0)}


def test_github_repositories_without_a_token_are_refused_before_any_work(env, dynamo, monkeypatch):
    # On DynamoDB the job may be made on a laptop for containers that hold the token: the
    # token is asked for when the job runs, not when it is created.
    monkeypatch.setenv("ALLOWED_REPOSITORIES", "acme/*")
    monkeypatch.delenv("GITHUB_TOKEN")
    container.reset_singletons()
    job_id = cody("job", "create", "--name", "n", "--prompt", "p", "--command", "true",
                  "--repo", "acme/one", "--repo", "acme/two").stdout.strip()  # fmt: skip

    result = cody("job", "run", job_id, "0", ok=False)

    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and "GITHUB_TOKEN is not set" in lines[0]
    report = status(job_id)
    assert report["status"] == "pending"
    assert {(r["status"], r["attempt"]) for r in report["repositories"]} == {("pending", 0)}


def test_github_repositories_without_a_token_are_refused_at_create_on_sqlite(env, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("ALLOWED_REPOSITORIES", "acme/*")
    container.reset_singletons()

    result = cody("job", "create", "--name", "n", "--prompt", "p", "--command", "true",
                  "--repo", "acme/app", ok=False)  # fmt: skip

    assert result.exit_code == 2 and "GITHUB_TOKEN is not set" in result.output
    assert not Path(env["CODY_HOME"]).exists()


def test_failures_are_warnings_with_their_kind_and_the_exit_code_says_so(tmp_path, env):
    repos = forge(tmp_path, 2)
    job_id = create(repos, "--command", "exit 3")  # the last --command counts

    result = cody("job", "run", job_id, "0", "--log-format", "json", code=1)

    events = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    failed = {e["repository"]: e for e in events if e["event"] == "run.failed"}
    assert sorted(failed) == sorted(repos)
    for name, run in runs_of(job_id).items():
        error = run["error"]
        assert failed[name]["level"] == "warning"
        assert f"failed {name}: {error['kind']}: {error['message'][:40]}" in failed[name]["message"]
    assert f"see why with `cody job status {job_id}`" in result.stdout


@pytest.fixture(params=["sqlite", "dynamodb"])
def real_store(request, tmp_path, env):
    if request.param == "dynamodb":
        request.getfixturevalue("dynamo")
        return container.store()
    return SqliteJobStore(tmp_path / "cody.db")


@pytest.mark.parametrize("when", ["before", "while"])
def test_a_cancelled_jobs_counts_agree_with_its_runs_on_both_stores(real_store, when):
    p = Pipeline(store=real_store)
    names = p.repos(4)
    job_id = p.create(names)
    jobs = p.jobs

    def cancel_during_the_second(name, files):
        if name == names[1]:
            jobs.cancel(job_id)
        files["app.py"] = "changed\n"

    if when == "before":
        jobs.cancel(job_id)
    p.assistant._edit = cancel_during_the_second
    p.processor().run(job_id, max_repositories=None)

    job = p.jobs.get(job_id)
    runs = Counter(run.status for run in real_store.iter_runs(job_id))
    assert job.status == JobStatus.CANCELLED
    assert (job.completed_count, job.failed_count, job.skipped_count) == (
        runs[RunStatus.COMPLETED],
        runs[RunStatus.FAILED],
        runs[RunStatus.SKIPPED] + runs[RunStatus.CANCELLED],
    )
    assert job.skipped_count == (4 if when == "before" else 2)


def test_job_run_reports_a_cancelled_jobs_counts(tmp_path, env):
    job_id = create(forge(tmp_path, 3))
    cody("job", "cancel", job_id)

    result = cody("job", "run", job_id)

    assert f"{job_id} cancelled: 0 completed, 0 failed, 3 skipped or cancelled" in result.stdout
    assert status(job_id)["skippedCount"] == 3
