"""The cody command end to end: real git, the real SQLite file, the real command assistant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_support import (
    CLAUDE_KEY,
    CREATE_WITHOUT_REPO,
    GITHUB_TOKEN,
    cody,
    create,
    forge,
    pull_request_files,
    status,
)
from cody_adapters.local.sample_forge import make_bare_repo
from cody_cli.job_commands import container
from forge import git


def test_a_job_over_twenty_repositories_opens_one_pull_request_per_change_and_reruns_idle(
    tmp_path, env
):
    repos = forge(tmp_path, 20, changed=15)
    job_id = create(repos)

    cody("job", "run", job_id, "0", "--concurrency", "4")

    report = status(job_id)
    assert report["status"] == "completed"
    assert (report["completedCount"], report["failedCount"]) == (20, 0)
    runs = {Path(r["repositoryName"]).name: r for r in report["repositories"]}
    changed = {name for name, r in runs.items() if r["wereChangesNecessary"]}
    assert changed == {f"repo-{i:02d}.git" for i in range(15)}
    for repo in repos:
        branches = git("for-each-ref", "--format=%(refname:short)", "refs/heads", cwd=Path(repo))
        expected = {"main", f"cody/{job_id}"} if Path(repo).name in changed else {"main"}
        assert set(branches.split()) == expected
    assert len(pull_request_files(env)) == 15
    assert all(runs[name]["pullRequestUrl"] for name in changed)

    before = (status(job_id), [p.read_text() for p in pull_request_files(env)])
    rerun = cody("job", "run", job_id, "0")
    assert "completed" in rerun.stdout
    assert (status(job_id), [p.read_text() for p in pull_request_files(env)]) == before


def test_two_worker_processes_process_every_repository_exactly_once(tmp_path, env):
    repos = forge(tmp_path, 12)
    job_id = create(repos)
    command = [sys.executable, "-m", "cody_cli", "job", "run", job_id, "0", "--log-format", "json"]
    environment = {**os.environ, "CODY_LEASE_SECONDS": "30"}
    workers = [
        subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [worker.communicate(timeout=240) for worker in workers]

    assert [w.returncode for w in workers] == [0, 0], results
    report = status(job_id)
    assert report["status"] == "completed" and report["completedCount"] == 12
    assert all(run["attempt"] == 1 for run in report["repositories"])
    clones = [
        json.loads(line)
        for _, stderr in results
        for line in stderr.decode().splitlines()
        if line.startswith("{")
    ]
    completed = [entry["repository"] for entry in clones if entry["event"] == "run.completed"]
    assert sorted(completed) == sorted(repos)
    assert len(pull_request_files(env)) == 12


def test_a_repository_outside_the_allowlist_is_refused_at_create_and_before_clone(
    tmp_path, env, monkeypatch
):
    repos = forge(tmp_path, 2)
    outside = make_bare_repo(tmp_path / "elsewhere", "intruder", {"app.py": "old_call()\n"})

    refused = cody(*CREATE_WITHOUT_REPO, "--repo", repos[0], "--repo", str(outside), ok=False)
    assert refused.exit_code == 2 and "outside ALLOWED_REPOSITORIES" in refused.output
    assert cody("job", "list", "--json").stdout.strip() == "[]"

    job_id = create(repos)
    monkeypatch.setenv("ALLOWED_REPOSITORIES", repos[0])
    container.reset_singletons()
    cody("job", "run", job_id, "0", code=1)  # one repository failed

    runs = {r["repositoryName"]: r for r in status(job_id)["repositories"]}
    assert runs[repos[1]]["status"] == "failed"
    assert runs[repos[1]]["error"]["kind"] == "not-allowed"
    assert runs[repos[0]]["status"] == "completed"
    assert git("branch", "--list", f"cody/{job_id}", cwd=Path(repos[1])) == ""


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (
            "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/x.yml",
            ".github/workflows/x.yml",
        ),
        (f"echo 'token = \"ghp_{'Q' * 36}\"' >> app.py", "GitHub token"),
    ],
)
def test_guardrails_stop_a_change_and_nothing_is_pushed(tmp_path, env, command, reason):
    repos = forge(tmp_path, 1)
    result = cody(
        "job", "create", "--name", "n", "--prompt", "p", "--command", command, "--repo", repos[0]
    )
    job_id = result.stdout.strip()

    cody("job", "run", job_id, code=1)

    run = status(job_id)["repositories"][0]
    assert run["status"] == "failed" and run["error"]["kind"] == "guardrail"
    assert reason in run["error"]["message"] and "Q" * 36 not in run["error"]["message"]
    assert git("branch", "--list", f"cody/{job_id}", cwd=Path(repos[0])) == ""
    assert pull_request_files(env) == []


def test_the_diff_applies_with_git_apply_and_logs_are_readable(tmp_path, env):
    repos = forge(tmp_path, 1)
    job_id = create(repos, "--no-create-prs")
    cody("job", "run", job_id)

    patch = cody("job", "diff", job_id, "--repo", repos[0]).stdout
    checkout = tmp_path / "check"
    git("clone", "-q", repos[0], checkout)
    (tmp_path / "change.patch").write_text(patch)
    git("apply", "--check", tmp_path / "change.patch", cwd=checkout)
    assert "+x = new_call()" in patch
    assert git("branch", "--list", f"cody/{job_id}", cwd=Path(repos[0])) == ""

    logs = cody("job", "logs", job_id, repos[0]).stdout
    assert "cloned main" in logs and "assistant finished" in logs


def test_a_diff_with_bytes_that_are_not_utf8_comes_back_byte_for_byte(tmp_path, env):
    repos = forge(tmp_path, 1)
    job_id = create(repos, "--no-create-prs", "--command", r"printf 'caf\351\n' > latin1.txt")
    cody("job", "run", job_id)

    patch = cody("job", "diff", job_id, "--repo", repos[0]).stdout_bytes
    checkout = tmp_path / "check"
    git("clone", "-q", repos[0], checkout)
    (tmp_path / "change.patch").write_bytes(patch)
    git("apply", tmp_path / "change.patch", cwd=checkout)
    assert (checkout / "latin1.txt").read_bytes() == b"caf\xe9\n"


def test_secrets_appear_in_no_output_log_or_stored_byte(tmp_path, env):
    repos = forge(tmp_path, 2)
    leaky = 'env; echo "$GITHUB_TOKEN $CLAUDE_API_KEY"; sed -i s/old_call/new_call/ app.py'
    result = cody(
        "run",
        "--name",
        "leak",
        "--prompt",
        "p",
        "--command",
        leaky,
        "--repo",
        repos[0],
        "--repo",
        repos[1],
        "--log-format",
        "json",
    )
    job_id = json.loads(cody("job", "list", "--json").stdout)[0]["jobId"]
    outputs = [result.output, cody("job", "status", job_id, "--json").stdout]
    outputs += [cody("job", "logs", job_id, repo).stdout for repo in repos]

    assert "assistant finished" in outputs[2]
    stored = [p.read_bytes() for p in Path(env["CODY_HOME"]).rglob("*") if p.is_file()]
    for secret in (GITHUB_TOKEN, CLAUDE_KEY):
        assert all(secret not in text for text in outputs)
        assert all(secret.encode() not in blob for blob in stored)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["job", "status", "no-such-job"], "no job"),
        (
            [*CREATE_WITHOUT_REPO, "--repo", "https://gitlab.com/a/b"],
            "github.com",
        ),
        (["job", "create", "--name", "n", "--command", "true", "--repo", "acme/x"], "prompt"),
        (
            ["job", "create", "--name", "n", "--prompt-file", "/no/such/file", "--repo", "a/b"],
            "cannot read prompt file",
        ),
        (
            [*CREATE_WITHOUT_REPO, "--repo", "a/b;rm -rf /"],
            "a/b;rm",
        ),
    ],
)
def test_bad_input_is_one_line_exit_two_and_changes_nothing(env, args, message):
    result = cody(*args, ok=False)

    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not Path(env["CODY_HOME"], "cody.db").exists() or (
        cody("job", "list", "--json").stdout.strip() == "[]"
    )


def test_json_logs_go_to_stderr_and_stdout_carries_only_the_result(tmp_path, env):
    repos = forge(tmp_path, 1)
    job_id = create(repos)
    batch = {
        "AWS_BATCH_JOB_ID": "b-1:7",
        "AWS_BATCH_JOB_ATTEMPT": "2",
        "AWS_BATCH_JOB_ARRAY_INDEX": "7",
    }
    worker = subprocess.run(
        [sys.executable, "-m", "cody_cli", "job", "run", job_id, "--log-format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **batch},
    )

    assert worker.returncode == 0, worker.stderr
    assert worker.stdout.startswith(f"{job_id} completed")
    events = [json.loads(line) for line in worker.stderr.splitlines()]
    assert {"timestamp", "level", "event", "message"} <= set(events[0])
    assert any(e["event"] == "run.completed" and e["jobId"] == job_id for e in events)
    assert all(
        (e["batchJobId"], e["batchJobAttempt"], e["batchArrayIndex"]) == ("b-1:7", "2", "7")
        for e in events
    )
