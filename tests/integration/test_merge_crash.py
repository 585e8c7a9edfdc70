"""`cody job merge` over 20 pull requests SIGKILLed in the middle, then run again: every pull
request is merged exactly once, on GitHub and on local bare repositories."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cli_support import cody, create, pull_request_files, runs_of
from cody_adapters.local.sample_forge import make_bare_repo
from forge import git
from worker_support import reaped

COUNT, KILL_AFTER = 20, 7


def start_merge(job_id: str, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cody_cli", "job", "merge", job_id, *options],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_merged_once(final, runs: dict[str, dict], logs: dict[str, list[str]]) -> None:
    assert final.exit_code == 0, final.output
    total, _, counts = final.stdout.splitlines()[-1].partition(": ")
    assert total == f"{COUNT} pull requests"
    assert set(counts.split(", ")) == {
        f"{COUNT - KILL_AFTER} merged",
        f"{KILL_AFTER} already merged",
    }
    assert {run["pullRequestState"] for run in runs.values()} == {"merged"}
    for repository, log in logs.items():  # the initial commit and one squash, never two
        assert log == ["Cody: rename (#1)", "Initial commit"], repository


@pytest.mark.slow
def test_a_killed_merge_on_github_then_a_second_merges_each_exactly_once(fleet):
    repositories = [fleet.add(f"app-{index:02d}") for index in range(COUNT)]
    job_id = create(repositories)
    cody("job", "run", job_id, "0", "--concurrency", "4")
    for repository in repositories:
        fleet.green(repository)
    reached, dead = threading.Event(), threading.Event()
    merged = []

    def after_each_merge(repository, pull) -> None:
        merged.append(pull)
        if len(merged) == KILL_AFTER:
            reached.set()
            dead.wait(30)  # GitHub merged it; the answer leaves only once the worker is dead

    fleet.fake.on_merge.append(after_each_merge)
    with reaped([start_merge(job_id)]) as (worker,):
        try:
            assert reached.wait(120), f"{len(merged)} merged, the worker {worker.poll()}"
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(10) == -signal.SIGKILL
        finally:
            dead.set()
    fleet.fake.on_merge.clear()

    final = cody("job", "merge", job_id)

    assert [fleet.merges(r) for r in repositories] == [[200]] * COUNT
    logs = {r: fleet.main_log(r) for r in repositories}
    assert_merged_once(final, runs_of(job_id), logs)


def merged_records(env) -> int:
    total = 0
    for path in pull_request_files(env):
        try:
            total += json.loads(path.read_text()).get("state") == "merged"
        except (OSError, ValueError):  # being replaced this very moment
            continue
    return total


@pytest.mark.slow
def test_a_killed_merge_on_local_repositories_then_a_second_merges_each_exactly_once(tmp_path, env):
    repos = [
        str(make_bare_repo(tmp_path / "forge", f"repo-{i:02d}", {"app.py": "x = old_call()\n"}))
        for i in range(COUNT)
    ]
    job_id = create(repos)
    cody("job", "run", job_id, "0", "--concurrency", "4")
    for repo in repos:  # the base moves on, so that each merge is a commit of its own
        git("branch", "-f", "main", "main", cwd=Path(repo))

    with reaped([start_merge(job_id, "--no-require-checks", "--method", "squash")]) as (worker,):
        deadline = time.monotonic() + 120
        while merged_records(env) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.002)
        worker.send_signal(signal.SIGKILL)  # somewhere in the next merge, or between two
        assert worker.wait(10) == -signal.SIGKILL
    done = merged_records(env)
    assert KILL_AFTER <= done < COUNT

    final = cody("job", "merge", job_id, "--no-require-checks", "--method", "squash")

    logs = {repo: git("log", "--format=%s", "main", cwd=Path(repo)).splitlines() for repo in repos}
    runs = runs_of(job_id)
    assert {run["pullRequestState"] for run in runs.values()} == {"merged"}
    assert final.exit_code == 0, final.output
    assert all(log == ["Cody: rename (#1)", "Initial commit"] for log in logs.values()), logs
    counts = final.stdout.splitlines()[-1]
    assert counts.startswith(f"{COUNT} pull requests: ") and "already merged" in counts
    assert merged_records(env) == COUNT


@pytest.mark.slow
def test_a_merge_stopped_by_sigterm_ends_between_pull_requests_exits_3_and_resumes(fleet):
    repositories = [fleet.add(f"app-{index}") for index in range(4)]
    job_id = create(repositories)
    cody("job", "run", job_id, "0")
    for repository in repositories:
        fleet.green(repository)
    reached, go_on = threading.Event(), threading.Event()

    def hold_the_first_answer(repository, pull) -> None:
        if not reached.is_set():
            reached.set()
            go_on.wait(30)

    fleet.fake.on_merge.append(hold_the_first_answer)
    with reaped([start_merge(job_id)]) as (worker,):
        try:
            assert reached.wait(120), f"nothing merged, the worker {worker.poll()}"
            worker.send_signal(signal.SIGTERM)
            time.sleep(0.2)  # the signal is in before the answer arrives
        finally:
            go_on.set()
        output, _ = worker.communicate(timeout=60)

    assert worker.returncode == 3, output
    assert sum(fleet.merges(r) == [200] for r in repositories) == 1
    assert output.splitlines()[-1] == "1 pull request: 1 merged"
    resumed = cody("job", "merge", job_id)
    assert resumed.stdout.splitlines()[-1] == "4 pull requests: 1 already merged, 3 merged"
    assert [fleet.merges(r) for r in repositories] == [[200]] * 4
