"""Faults on the way through a job: a killed worker, a failure at each port, Batch, a done job.

The store is dynalite (DynamoDB, which the Batch containers share), except SQLite where a
worker is killed (see below) and beside moto's Batch; the repositories are local bare ones and
the assistant is the command assistant running a one-line codemod.
"""

from __future__ import annotations

import functools
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from aws_batch_support import DEFINITION, QUEUE, REGION, moto_batch
from cli_support import cody, create, runs_of, status
from cody_adapters.process.command_assistant import CommandAssistant
from cody_cli.job_commands import container
from cody_core.errors import NotFoundError, TransientError
from cody_core.models import RepositoryRun
from cody_core.policies.references import RepositoryRef
from cody_core.ports import AssistantRequest, Checkout
from forge import git
from worker_support import (
    branch_heads,
    leftover_checkouts,
    pull_request_numbers_claimed,
    pull_requests_by_repository,
    reaped,
    start_worker,
)
from worker_support import forge_copies as forge

EXIT_INPUT = 2


def assert_one_pull_request_per_change(env, job_id: str, runs: dict[str, dict[str, Any]]) -> None:
    """Each changed repository: its branch where the run says, and one pull request from it."""
    changed = {name for name, run in runs.items() if run.get("wereChangesNecessary")}
    pulls = pull_requests_by_repository(env["CODY_HOME"])
    assert len(pulls) == len(changed) and all(len(p) == 1 for p in pulls.values()), pulls
    urls = sorted(records[0]["url"] for records in pulls.values())
    assert urls == sorted(runs[name]["pullRequestUrl"] for name in changed)
    for name, run in runs.items():
        heads = branch_heads(name)
        if name in changed:
            assert heads == {"main": heads["main"], f"cody/{job_id}": run["commitSha"]}, name
        else:
            assert set(heads) == {"main"}, name


# --- a. a worker killed at a random moment ----------------------------------------------------
#
# On SQLite, what several `cody job run` processes on one machine share (the OS drops a killed
# writer's locks and its transaction rolls back), and on dynalite, what Batch containers share (a
# killed worker's half-sent request is dropped: tests/dynalite_preload.js keeps dynalite up).

KILL_CASES = [*(("sqlite", seed) for seed in range(10)), *(("dynalite", s) for s in range(10, 15))]
KILL_REPOSITORIES = 24
LEASE_SECONDS = "2"  # renewed every 0.67 s; the dead worker's run is free 2 s after the kill


class Watched:
    """A worker whose JSON log is read while it runs, so that a test can act at a moment of it."""

    def __init__(self, process: subprocess.Popen[str]):
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def finished_runs(self) -> int:
        return sum('"event": "run.' in line for line in list(self.lines))

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout)
        self._reader.join(timeout=10)
        return code

    def _read(self) -> None:
        for line in self.process.stderr or ():
            self.lines.append(line)


def first_to_finish(workers: list[Watched], runs: int, timeout: float) -> Watched | None:
    """The first worker whose log says it has finished `runs` runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.finished_runs >= runs:
                return worker
        time.sleep(0.005)
    return None


@pytest.mark.slow
@pytest.mark.parametrize(
    ("store", "seed"), KILL_CASES, ids=[f"{s}-seed-{n}" for s, n in KILL_CASES]
)
def test_a_worker_killed_at_a_random_moment_is_taken_over_and_leaves_no_trace(
    tmp_path, env, request, store, seed
):
    if store == "dynalite":
        request.getfixturevalue("dynamo")
    rng = random.Random(seed)
    runs_first, delay = rng.randint(1, 4), rng.uniform(0, 0.5)
    # The first worker to get there rather than a chosen one: on a busy machine a worker that
    # starts late can find the work already done.
    plan = f"seed {seed}: SIGKILL the first worker to finish {runs_first} runs {delay:.3f}s later"
    print(plan)  # replay one case with: pytest -k STORE-seed-N
    repos = forge(tmp_path, KILL_REPOSITORIES, lambda index: index % 3 != 0)
    job_id = create(repos)
    temp_dirs = [Path(env["TEMP_DIR"]) / f"worker-{index}" for index in range(3)]
    started = [
        start_worker(job_id, index, temp_dir, CODY_LEASE_SECONDS=LEASE_SECONDS)
        for index, temp_dir in enumerate(temp_dirs)
    ]
    with reaped(started):
        workers = [Watched(process) for process in started]
        victim = first_to_finish(workers, runs_first, timeout=60)
        assert victim is not None, plan
        time.sleep(delay)
        victim.process.send_signal(signal.SIGKILL)
        survivors = [worker for worker in workers if worker is not victim]
        codes = sorted(worker.wait(timeout=120) for worker in survivors)
        assert victim.wait(timeout=10) == -signal.SIGKILL, plan

    killed = workers.index(victim)
    plan += f" (worker {killed})"
    # Both survivors wake when the dead worker's lease ends and race for its run: the loser
    # waits for the winner (test_a_worker_that_loses_the_race_for_the_last_run_waits_for_it).
    assert codes == [0, 0], (plan, ["".join(worker.lines[-10:]) for worker in survivors])
    report = status(job_id)
    runs = {run["repositoryName"]: run for run in report["repositories"]}
    outcomes = Counter((r["status"], r.get("error", {}).get("message")) for r in runs.values())
    assert outcomes == {("completed", None): KILL_REPOSITORIES}, (plan, outcomes)
    assert (report["status"], report["completedCount"]) == ("completed", KILL_REPOSITORIES), plan
    # Only the one run the dead worker held (concurrency 1) was done a second time.
    again = sorted(name for name, run in runs.items() if run["attempt"] != 1)
    for name in again:  # what the dead worker had stored of it, then the survivor's steps
        steps = [entry["message"].split(" ")[0] for entry in runs[name]["logs"]]
        print(f"{plan}: took over {Path(name).name}: {' '.join(steps)}")
    assert len(again) <= 1 and all(runs[name]["attempt"] == 2 for name in again), plan
    assert not [
        entry
        for run in runs.values()
        for entry in run["logs"]
        if "conflict" in entry["message"] or entry["level"] == "error"
    ], plan
    assert_one_pull_request_per_change(env, job_id, runs)
    left_by_victim = leftover_checkouts(temp_dirs[killed])
    print(f"{plan}: the killed worker left {len(left_by_victim)} checkouts")
    assert [leftover_checkouts(temp_dirs[i]) for i in range(3) if i != killed] == [[], []], plan

    # Batch retrying the killed container: the job is done, so the retry changes nothing.
    before = (status(job_id), pull_requests_by_repository(env["CODY_HOME"]))
    cody("job", "run", job_id, "0")
    assert (status(job_id), pull_requests_by_repository(env["CODY_HOME"])) == before
    assert leftover_checkouts(Path(env["TEMP_DIR"])) == []


class ClaimedFirstByAnother:
    """The real store, except that another worker claims `repository` (under a lease of
    `lease_seconds`) just before this worker's first claim of it, which so fails."""

    def __init__(self, real: Any, repository: str, lease_seconds: float):
        self._real = real
        self._repository = repository
        self._lease = timedelta(seconds=lease_seconds)
        self.raced = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def claim_run(self, job_id, repository_name, owner, now, lease_until):
        if repository_name == self._repository and not self.raced:
            self.raced = True
            other = self._real.claim_run(job_id, repository_name, "other", now, now + self._lease)
            assert other is not None
        return self._real.claim_run(job_id, repository_name, owner, now, lease_until)


def test_a_worker_that_loses_the_race_for_the_last_run_waits_for_it(tmp_path, env, dynamo):
    # What happens to one of two survivors that both wake when a dead worker's lease ends.
    [repo] = forge(tmp_path, 1, lambda index: True)
    job_id = create([repo])
    store = ClaimedFirstByAnother(container.store(), repo, lease_seconds=1)
    container.store.override(store)

    result = cody("job", "run", job_id, "0", ok=False)

    assert store.raced
    # The other worker died holding the run: this one waits out its lease and takes it over.
    assert result.exit_code == 0, result.output
    run = runs_of(job_id)[repo]
    assert (run["status"], run["attempt"]) == ("completed", 2)


# --- b. a fault at each port, injected once -----------------------------------------------------


def repository_of(argument: Any) -> str:
    """The repository a port call is about, from the call's first argument."""
    if isinstance(argument, RepositoryRef):
        return argument.name
    if isinstance(argument, Checkout):
        return argument.repository.name
    if isinstance(argument, RepositoryRun):
        return argument.repository_name
    if isinstance(argument, AssistantRequest):
        return argument.checkout.repository.name
    raise TypeError(f"no repository in {argument!r}")


class FailsOnce:
    """A real adapter whose `method` raises `error` on its first call for `repository`: before
    delegating, or with `after` once the real call has had its effect (the answer was lost).
    Every other call is delegated; `calls` records which repository each call of `method` was for.
    """

    def __init__(self, real: Any, method: str, repository: str, error: Exception, after=False):
        self._real = real
        self._method = method
        self._repository = repository
        self._error = error
        self._after = after
        self._lock = threading.Lock()
        self.fired = False
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        return functools.partial(self._call, attribute) if name == self._method else attribute

    def _call(self, real_method, *args: Any, **kwargs: Any) -> Any:
        repository = repository_of(args[0])
        with self._lock:
            self.calls.append(repository)
            fire = repository == self._repository and not self.fired
            self.fired = self.fired or fire
        if fire and not self._after:
            raise self._error
        result = real_method(*args, **kwargs)
        if fire:
            raise self._error
        return result


def real_adapter(port: str) -> Any:
    if port == "assistant":
        return CommandAssistant(container.runner())
    return getattr(container, port)()


def inject(port: str, *args: Any, **kwargs: Any) -> FailsOnce:
    """Put a FailsOnce around the real adapter of `port` into the container the CLI uses."""
    wrapper = FailsOnce(real_adapter(port), *args, **kwargs)
    getattr(container, port).override(wrapper)
    return wrapper


TRANSIENT_FAULTS = {
    "clone-unreachable": (
        "workspace",
        "clone",
        TransientError("git clone failed: fatal: the remote end hung up unexpectedly"),
        False,
    ),
    "push-rejected": (
        "workspace",
        "push",
        TransientError("push failed: error: RPC failed; HTTP 503", kind="server-error"),
        False,
    ),
    "push-landed-but-the-answer-was-lost": (
        "workspace",
        "push",
        TransientError("push failed: connection reset by peer"),
        True,
    ),
    "pull-request-host-5xx": (
        "pull_requests",
        "create",
        TransientError("502 Bad Gateway", kind="server-error"),
        False,
    ),
    "pull-request-opened-but-the-answer-was-lost": (
        "pull_requests",
        "create",
        TransientError("504 Gateway Timeout", kind="server-error"),
        True,
    ),
    "store-throttled": (
        "store",
        "save_run",
        TransientError("DynamoDB throttled update_item", kind="throttled"),
        False,
    ),
    "assistant-timeout": (
        "assistant",
        "change",
        TransientError("the command did not finish within 600s", kind="timeout"),
        False,
    ),
}


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS, ids=str)
def test_a_transient_fault_at_a_port_costs_the_repository_one_retry_and_no_one_else_anything(
    tmp_path, env, dynamo, fault
):
    port, method, error, after = TRANSIENT_FAULTS[fault]
    repos = forge(tmp_path, 3, lambda index: True)
    job_id = create(repos)
    affected, others = repos[1], [repos[0], repos[2]]
    wrapper = inject(port, method, affected, error, after=after)

    cody("job", "run", job_id, "0")

    assert wrapper.fired
    runs = runs_of(job_id)
    assert {name: (r["status"], r["attempt"]) for name, r in runs.items()} == {
        repos[0]: ("completed", 1),
        affected: ("completed", 2),
        repos[2]: ("completed", 1),
    }
    assert "error" not in runs[affected]
    retried = [e["message"] for e in runs[affected]["logs"] if e["message"].startswith("will")]
    assert retried == [f"will retry: {error.kind}: {error}"]
    assert not [e for name in others for e in runs[name]["logs"] if e["level"] != "info"]
    if port == "pull_requests" and after:  # the retry found the one the lost answer opened
        assert sorted(wrapper.calls) == sorted(repos)
        pulls = pull_requests_by_repository(env["CODY_HOME"]).values()
        [opened] = [p for ps in pulls for p in ps if p["url"] == runs[affected]["pullRequestUrl"]]
        assert "updatedAt" in opened
    elif port != "store":  # the store is called at every step; the other ports once a pass
        assert sorted(wrapper.calls) == sorted([*repos, affected])
    assert_one_pull_request_per_change(env, job_id, runs)
    assert set(pull_request_numbers_claimed(env["CODY_HOME"]).values()) == {1}
    assert status(job_id)["status"] == "completed"
    assert leftover_checkouts(Path(env["TEMP_DIR"])) == []


class BranchMovedBeforePush:
    """The real workspace, except that someone else creates the branch in `repository` just
    before Cody pushes it: git's --force-with-lease then really refuses the push."""

    def __init__(self, real: Any, repository: str):
        self._real = real
        self._repository = repository

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def push(self, checkout: Checkout, branch: str, expected_remote_sha: str | None) -> None:
        if checkout.repository.name == self._repository:
            git("branch", branch, "main", cwd=Path(self._repository))
        self._real.push(checkout, branch, expected_remote_sha)


@pytest.mark.parametrize("fault", ["clone-not-found", "branch-moved-before-the-push"])
def test_a_permanent_failure_fails_the_repository_without_a_retry(tmp_path, env, dynamo, fault):
    repos = forge(tmp_path, 3, lambda index: True)
    job_id = create(repos)
    affected, others = repos[1], [repos[0], repos[2]]
    if fault == "clone-not-found":
        missing = NotFoundError(f"git clone of {affected} failed: repository not found")
        clones = inject("workspace", "clone", affected, missing)
        kind = "not-found"
    else:
        container.workspace.override(BranchMovedBeforePush(container.workspace(), affected))
        kind = "conflict"

    cody("job", "run", job_id, "0", code=1)  # the affected repository failed

    runs = runs_of(job_id)
    assert (runs[affected]["status"], runs[affected]["attempt"]) == ("failed", 1)
    assert runs[affected]["error"]["kind"] == kind and not runs[affected]["error"]["transient"]
    assert not [e for e in runs[affected]["logs"] if e["message"].startswith("will retry")]
    assert [(runs[name]["status"], runs[name]["attempt"]) for name in others] == [
        ("completed", 1),
        ("completed", 1),
    ]
    if fault == "clone-not-found":
        assert sorted(clones.calls) == sorted(repos)  # one clone each: no second attempt
    heads = branch_heads(affected)  # a branch someone else made is left as it was
    assert heads.get(f"cody/{job_id}") == (None if kind == "not-found" else heads["main"])
    assert "pullRequestUrl" not in runs[affected]
    assert len(pull_requests_by_repository(env["CODY_HOME"])) == len(others)
    report = status(job_id)
    assert (report["status"], report["completedCount"], report["failedCount"]) == (
        "completed",
        2,
        1,
    )


# --- c. submitting to AWS Batch (moto) through the CLI ------------------------------------------


@pytest.fixture
def batch(env, monkeypatch):
    """moto's Batch with the queue and job definition of aws_batch_support; the store is moto's
    DynamoDB (Batch containers cannot read a laptop's SQLite store, so submit refuses it)."""
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("BATCH_JOB_QUEUE", QUEUE)
    monkeypatch.setenv("BATCH_JOB_DEFINITION", DEFINITION)
    monkeypatch.setenv("CODY_STORE", "dynamodb")
    for name in ("DYNAMODB_ENDPOINT", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with moto_batch(monkeypatch) as client:
        container.reset_singletons()
        cody("store", "init", "--create")
        yield client


def submitted(client) -> list[dict[str, Any]]:
    return [
        job
        for state in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED")
        for job in client.list_jobs(jobQueue=QUEUE, jobStatus=state)["jobSummaryList"]
    ]


def test_submit_starts_an_array_job_of_workers_and_records_its_id(tmp_path, batch):
    job_id = create(forge(tmp_path, 2, lambda index: True))

    result = cody("job", "submit", job_id, "--workers", "3", "--max-repos", "10")

    batch_job_id = result.stdout.strip()
    described = batch.describe_jobs(jobs=[batch_job_id])["jobs"][0]
    assert described["arrayProperties"]["size"] == 3
    assert described["parameters"] == {"jobId": job_id, "maxRepositories": "10"}
    report = status(job_id)
    assert (report["batchJobId"], report["status"]) == (batch_job_id, "pending")


def test_submit_with_no_workers_is_refused_and_submits_nothing(tmp_path, batch):
    job_id = create(forge(tmp_path, 1, lambda index: True))

    result = cody("job", "submit", job_id, "--workers", "0", ok=False)

    assert result.exit_code == EXIT_INPUT
    assert submitted(batch) == [] and "batchJobId" not in status(job_id)


def test_submit_without_a_queue_is_a_one_line_error(tmp_path, batch, monkeypatch):
    job_id = create(forge(tmp_path, 1, lambda index: True))
    monkeypatch.delenv("BATCH_JOB_QUEUE")
    container.reset_singletons()

    result = cody("job", "submit", job_id, "--workers", "3", ok=False)

    assert result.exit_code == EXIT_INPUT
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "BATCH_JOB_QUEUE" in lines[0], result.output
    assert submitted(batch) == [] and "batchJobId" not in status(job_id)


# --- d. a worker that starts after the job is over ---------------------------------------------


class Recorder:
    """The real store, noting the name of every method called on it."""

    def __init__(self, real: Any):
        self._real = real
        self.called: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("__"):  # the container asks for __IS_PROVIDER__
            self.called.append(name)
        return getattr(self._real, name)


def finished_job(tmp_path, how: str) -> str:
    repos = forge(tmp_path, 3, lambda index: index != 0)
    if how == "failed":  # every repository's command fails, and so the job
        repo_args = [arg for repo in repos for arg in ("--repo", repo)]
        job_id = cody(
            "job", "create", "--name", "n", "--prompt", "p", "--command", "exit 1", *repo_args
        ).stdout.strip()
    else:
        job_id = create(repos)
    if how == "cancelled":
        cody("job", "cancel", job_id)
    else:
        cody("job", "run", job_id, "0", code=1 if how == "failed" else 0)
    assert status(job_id)["status"] == how
    return job_id


@pytest.mark.parametrize("how", ["completed", "failed", "cancelled"])
def test_a_worker_that_finds_the_job_finished_exits_at_once_and_claims_nothing(
    tmp_path, env, dynamo, how
):
    job_id = finished_job(tmp_path, how)
    before = status(job_id)
    recorder = Recorder(container.store())
    container.store.override(recorder)

    started = time.monotonic()
    result = cody("job", "run", job_id, "0", code=1 if how == "failed" else 0)
    took = time.monotonic() - started

    print(f"a worker on a {how} job: exit {result.exit_code} after {took:.3f}s")
    assert result.stdout.startswith(f"{job_id} {how}:") and took < 2, took
    assert set(recorder.called) <= {"get_job", "iter_runs"}, recorder.called  # reads only
    after = status(job_id)
    versions = {r["repositoryName"]: r["version"] for r in after["repositories"]}
    assert versions == {r["repositoryName"]: r["version"] for r in before["repositories"]}
    assert after == before
