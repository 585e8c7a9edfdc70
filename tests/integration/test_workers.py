"""Four `cody job run` processes on one job of 200 repositories, like a Batch array job of four."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cli_support import create, status
from worker_support import (
    branch_heads,
    leftover_checkouts,
    log_events,
    pull_request_numbers_claimed,
    pull_requests_by_repository,
    reaped,
    start_worker,
)
from worker_support import forge_copies as forge

WORKERS = 4
REPOSITORIES = 200


def changed(index: int) -> bool:
    return index % 2 == 0  # every other repository: both kinds are spread over the whole job


@pytest.mark.slow
def test_four_workers_process_each_of_two_hundred_repositories_exactly_once(tmp_path, env, dynamo):
    repos = forge(tmp_path, REPOSITORIES, changed)
    job_id = create(repos)
    temp_dirs = [Path(env["TEMP_DIR"]) / f"worker-{index}" for index in range(WORKERS)]

    started = [
        start_worker(job_id, index, temp_dir, "--concurrency", "2")
        for index, temp_dir in enumerate(temp_dirs)
    ]
    with reaped(started) as workers:
        outputs = [worker.communicate(timeout=240) for worker in workers]

    assert [w.returncode for w in workers] == [0] * WORKERS, [err[-2000:] for _, err in outputs]
    report = status(job_id)
    runs = {run["repositoryName"]: run for run in report["repositories"]}
    assert sorted(runs) == sorted(repos)
    assert report["status"] == "completed"
    assert (report["completedCount"], report["failedCount"], report["skippedCount"]) == (
        REPOSITORIES,
        0,
        0,
    )
    # The final transition came after the last repository finished, not before.
    assert report["completedAt"] >= max(run["completedAt"] for run in runs.values())

    for name, run in runs.items():
        cloned = [entry for entry in run["logs"] if entry["message"].startswith("cloned ")]
        assert (run["status"], run["attempt"], len(cloned)) == ("completed", 1, 1), name

    events = [log_events(err) for _, err in outputs]
    assert [{e.get("batchArrayIndex") for e in log} for log in events] == [
        {str(index)} for index in range(WORKERS)
    ]
    done_by = [[e["repository"] for e in log if e["event"] == "run.completed"] for log in events]
    assert sorted(name for names in done_by for name in names) == sorted(repos)
    print("repositories per worker:", [len(names) for names in done_by])
    assert all(done_by), "every worker got some of the work"

    expected_changes = {repo for index, repo in enumerate(repos) if changed(index)}
    assert {name for name, run in runs.items() if run["wereChangesNecessary"]} == expected_changes
    pulls = pull_requests_by_repository(env["CODY_HOME"])
    assert len(pulls) == len(expected_changes) and all(len(p) == 1 for p in pulls.values())
    assert set(pull_request_numbers_claimed(env["CODY_HOME"]).values()) == {1}
    urls = Counter(pull["url"] for records in pulls.values() for pull in records)
    assert urls == Counter(
        run["pullRequestUrl"] for run in runs.values() if "pullRequestUrl" in run
    )
    branch = f"cody/{job_id}"
    for repo in repos:
        heads = branch_heads(repo)
        if repo in expected_changes:
            assert set(heads) == {"main", branch} and heads[branch] == runs[repo]["commitSha"]
        else:
            assert set(heads) == {"main"}

    assert [leftover_checkouts(temp_dir) for temp_dir in temp_dirs] == [[]] * WORKERS
    assert not list(Path(env["TEMP_DIR"]).glob("cody-*"))
