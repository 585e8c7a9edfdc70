"""The job and run lifecycle as a state machine: workers, crashes, expiry, cancel and retry."""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from cody_core.errors import InputError, TransientError
from cody_core.models import JobStatus, RepositoryRun, RunStatus
from cody_core.policies.references import RepositoryRef
from cody_core.ports import Checkout, PullRequest, PullRequestSpec
from cody_core.services.job_processor import JobProcessor, WorkerSettings
from cody_core.services.jobs import JobService
from cody_core.testing.assistant import FakeAssistant
from cody_core.testing.git import FakeWorkspace
from cody_core.testing.pipeline import SECRET, Pipeline, replace_all
from cody_core.testing.pull_requests import FakePullRequestHost
from cody_core.testing.store import FakeJobStore

LEASE = 60  # seconds: Heartbeat threads would first beat after 20 s of real time, so never do
OWNERS = st.sampled_from(["w1", "w2", "w3"])
# ok: a change; unchanged: nothing to do; missing: not found (permanent); leaky: adds the
# secret (guardrail, permanent); flaky-*: one transient failure; lost-pr: the pull request is
# opened but the answer is lost, once.
KINDS = ("ok", "unchanged", "missing", "leaky", "flaky-clone", "flaky-push", "lost-pr")
FINAL = (JobStatus.COMPLETED, JobStatus.FAILED)


class CountingStore(FakeJobStore):
    """Counts every write that leaves a run completed, by (job, repository)."""

    def __init__(self) -> None:
        super().__init__()
        self.completions: Counter[tuple[str, str]] = Counter()

    def _count(self, run: RepositoryRun | None) -> RepositoryRun | None:
        if run is not None and run.status == RunStatus.COMPLETED:
            self.completions[(run.job_id, run.repository_name)] += 1
        return run

    def save_run(self, run: RepositoryRun) -> RepositoryRun | None:
        return self._count(super().save_run(run))

    def transition_run(self, job_id, repository_name, allowed, changes) -> RepositoryRun | None:
        return self._count(super().transition_run(job_id, repository_name, allowed, changes))


class FlakyWorkspace(FakeWorkspace):
    """Fails one step of chosen repositories once, transiently, quoting the secret."""

    def __init__(self) -> None:
        super().__init__()
        self.flaky: dict[str, str] = {}  # repository -> "clone" or "push"

    def _fail_once(self, name: str, step: str) -> None:
        if self.flaky.get(name) == step:
            del self.flaky[name]
            raise TransientError(f"{step} of {name} timed out using {SECRET}")

    def clone(self, repository: RepositoryRef) -> Checkout:
        self._fail_once(repository.name, "clone")
        return super().clone(repository)

    def push(self, checkout: Checkout, branch: str, expected_remote_sha: str | None) -> None:
        self._fail_once(checkout.repository.name, "push")
        super().push(checkout, branch, expected_remote_sha)


class LossyPullRequestHost(FakePullRequestHost):
    """Opens the pull request but loses the answer, once, for chosen repositories."""

    def __init__(self) -> None:
        super().__init__()
        self.lose_answer: set[str] = set()

    def create(self, repository: RepositoryRef, spec: PullRequestSpec) -> PullRequest:
        pull = super().create(repository, spec)
        if repository.name in self.lose_answer:
            self.lose_answer.discard(repository.name)
            raise TransientError("502 Bad Gateway")
        return pull


def edit(name: str, files: dict[str, str]) -> None:
    if name.endswith("-leaky"):
        files["app.py"] += f"TOKEN = '{SECRET}'\n"
    else:
        replace_all("old_call", "new_call")(name, files)


@contextmanager
def watchdog(processor: JobProcessor, seconds: float = 5.0) -> Iterator[None]:
    """Stop a processor that would otherwise wait forever, so a bug fails instead of hanging."""
    timer = threading.Timer(seconds, processor.stop)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


class JobLifecycle(RuleBasedStateMachine):
    jobs = Bundle("jobs")

    def __init__(self) -> None:
        super().__init__()
        workspace = FlakyWorkspace()
        self.p = Pipeline(
            store=CountingStore(),
            workspace=workspace,
            pull_requests=LossyPullRequestHost(),
            assistant=FakeAssistant(workspace, edit, summary=f"done with {SECRET}"),
        )
        self.store: CountingStore = self.p.store
        ids = itertools.count(1)
        self.service = JobService(
            self.store, self.p.artifacts, self.p.clock, self.p.allowlist, lambda: f"j{next(ids)}"
        )
        self.finals_before: dict[str, int] = {}  # final transitions before this generation

    def finals(self, job_id: str) -> int:
        return sum(self.store.job_transitions(job_id, status) for status in FINAL)

    def runs(self, job_id: str) -> list[RepositoryRun]:
        return self.store.runs(job_id)

    def lease_held(self, job_id: str) -> bool:
        """A crashed worker's lease has not expired yet: a JobProcessor would wait for it."""
        now = self.p.clock.now()
        return any(
            run.status == RunStatus.IN_PROGRESS
            and (run.lease_expires_at is None or run.lease_expires_at >= now)
            for run in self.runs(job_id)
        )

    def claim(self, job_id: str, owner: str, pick: int) -> RepositoryRun | None:
        """What a worker does first: claim a pending or expired run of an unfinished job."""
        if self.store.get_job(job_id).status.terminal:
            return None
        now = self.p.clock.now()
        expired = [
            run
            for run in self.runs(job_id)
            if run.status == RunStatus.IN_PROGRESS and run.lease_expires_at < now
        ]
        pending = [run for run in self.runs(job_id) if run.status == RunStatus.PENDING]
        claimable = expired + pending  # takeovers first: `pick` shrinks towards them
        if not claimable:
            return None
        chosen = claimable[pick % len(claimable)]
        until = now + timedelta(seconds=LEASE)
        claimed = self.store.claim_run(job_id, chosen.repository_name, owner, now, until)
        assert claimed is not None, "a claimable run was refused with no other worker around"
        assert claimed.lease_owner == owner and claimed.attempt == chosen.attempt + 1
        return claimed

    @rule(
        target=jobs,
        kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=6),
        max_attempts=st.integers(1, 3),
    )
    def create_job(self, kinds: list[str], max_attempts: int) -> str:
        number = len(self.finals_before) + 1
        names = [f"acme/j{number}-r{i}-{kind}" for i, kind in enumerate(kinds)]
        for name, kind in zip(names, kinds, strict=True):
            if kind != "missing":
                text = "x = 1\n" if kind == "unchanged" else "x = old_call()\n"
                self.p.workspace.add(name, {"app.py": text})
            if kind.startswith("flaky-"):
                self.p.workspace.flaky[name] = kind.removeprefix("flaky-")
            if kind == "lost-pr":
                self.p.pull_requests.lose_answer.add(name)
        job = self.service.create(
            names,
            name="rename old_call",
            prompt="Rename old_call to new_call",
            command="sed -i s/old_call/new_call/g *.py",
            max_attempts=max_attempts,
        )
        self.finals_before[job.job_id] = 0
        return job.job_id

    @rule(job_id=jobs, owner=OWNERS, pick=st.integers(0, 5))
    def a_worker_processes_one_run(self, job_id: str, owner: str, pick: int) -> None:
        run = self.claim(job_id, owner, pick)
        if run is None:
            return
        job = self.store.get_job(job_id)
        done = self.p.repository_processor().process(job, run)
        assert done == self.store.get_run(job_id, run.repository_name)
        assert done.status != RunStatus.IN_PROGRESS, "a processed run is finished or handed back"

    @rule(job_id=jobs, owner=OWNERS, pick=st.integers(0, 5))
    def a_worker_claims_then_crashes(self, job_id: str, owner: str, pick: int) -> None:
        self.claim(job_id, owner, pick)

    @rule(seconds=st.sampled_from([1, 30, LEASE + 1]))
    def time_passes(self, seconds: int) -> None:
        self.p.clock.advance(seconds)

    @rule(job_id=jobs)
    def cancel(self, job_id: str) -> None:
        before = self.store.get_job(job_id)
        try:
            cancelled = self.service.cancel(job_id)
        except InputError:
            assert before.status.terminal
            return
        assert not before.status.terminal and cancelled.status == JobStatus.CANCELLED
        assert RunStatus.PENDING not in {run.status for run in self.runs(job_id)}

    @rule(job_id=jobs, include_skipped=st.booleans())
    def retry(self, job_id: str, include_skipped: bool) -> None:
        before = {run.repository_name: run.status for run in self.runs(job_id)}
        was = self.store.get_job(job_id).status
        count = self.service.retry(job_id, include_skipped=include_skipped)
        after = {run.repository_name: run.status for run in self.runs(job_id)}
        reset = [name for name, status in after.items() if status != before[name]]
        assert len(reset) == count
        assert all(after[name] == RunStatus.PENDING for name in reset)
        assert all(before[name] != RunStatus.COMPLETED for name in reset)
        assert all(self.store.get_run(job_id, name).attempt == 0 for name in reset)
        for name in reset:  # a new generation for each run put back
            self.store.completions[(job_id, name)] = 0
        if count and was.terminal:
            assert self.store.get_job(job_id).status == JobStatus.PENDING
            self.finals_before[job_id] = self.finals(job_id)

    @rule(job_id=jobs, owner=OWNERS)
    def a_job_processor_runs_the_job_to_the_end(self, job_id: str, owner: str) -> None:
        if self.lease_held(job_id):
            return  # it would wait for a lease the fake clock never lets expire
        was = self.store.get_job(job_id).status
        processor = self.p.processor(owner, lease_seconds=LEASE)
        with watchdog(processor):
            outcome = processor.run(job_id, max_repositories=None)
        assert outcome.job == self.store.get_job(job_id)
        if was != JobStatus.CANCELLED:
            assert all(run.status.terminal for run in self.runs(job_id))
            assert outcome.job.status.terminal

    @rule(job_id=jobs, owner=OWNERS, runs=st.integers(1, 3))
    def a_job_processor_stops_after_a_few_runs(self, job_id: str, owner: str, runs: int) -> None:
        if self.lease_held(job_id):
            return
        done: list[RepositoryRun] = []

        def on_run_done(run: RepositoryRun) -> None:
            done.append(run)
            if len(done) >= runs:
                processor.stop()

        settings_ = WorkerSettings(owner=owner, lease_seconds=LEASE, poll_seconds=0.01)
        repositories = self.p.repository_processor()
        processor = JobProcessor(self.store, repositories, self.p.clock, settings_, on_run_done)
        with watchdog(processor):
            outcome = processor.run(job_id, max_repositories=None)
        assert outcome.processed <= runs

    @invariant()
    def every_status_is_a_known_one(self) -> None:
        # The stored documents, not models: reading a model would already refuse a bad status.
        for job_id, document in self.store._jobs.items():
            assert document["status"] in set(JobStatus)
            runs = self.store._runs.get(job_id, {}).values()
            assert all(run["status"] in set(RunStatus) for run in runs)

    @invariant()
    def every_change_has_exactly_one_pull_request(self) -> None:
        created = Counter((name, spec.head) for name, spec in self.p.pull_requests.created)
        assert all(count == 1 for count in created.values()), created
        for job in self.store.list_jobs():
            for run in self.runs(job.job_id):
                if run.status == RunStatus.COMPLETED and run.were_changes_necessary:
                    key = (run.repository_name, job.branch_name())
                    assert created[key] == 1
                    assert run.pull_request_url == self.p.pull_requests.pulls[key].url

    @invariant()
    def no_run_completes_twice_in_a_generation(self) -> None:
        assert all(count <= 1 for count in self.store.completions.values())

    @invariant()
    def the_secret_is_never_stored(self) -> None:
        texts = [json.dumps(job.to_document()) for job in self.store.list_jobs()]
        for job in self.store.list_jobs():
            texts += [json.dumps(run.to_document()) for run in self.runs(job.job_id)]
        texts += [blob.decode("utf-8", "replace") for blob in self.p.artifacts.values()]
        texts += [pull.title + pull.body for pull in self.p.pull_requests.pulls.values()]
        assert not [text for text in texts if SECRET in text]

    @invariant()
    def a_job_finishes_at_most_once_per_generation(self) -> None:
        for job_id, before in self.finals_before.items():
            assert self.finals(job_id) - before <= 1

    @invariant()
    def a_finished_jobs_counts_match_its_runs(self) -> None:
        for job in self.store.list_jobs():
            counts = Counter(run.status for run in self.runs(job.job_id))
            assert job.repository_count == sum(counts.values())
            if job.status not in FINAL:
                continue
            assert job.completed_count == counts[RunStatus.COMPLETED]
            assert job.failed_count == counts[RunStatus.FAILED]
            assert job.skipped_count == counts[RunStatus.SKIPPED] + counts[RunStatus.CANCELLED]
            all_failed = job.completed_count == 0 and job.failed_count > 0
            assert (job.status == JobStatus.FAILED) == all_failed


JobLifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestJobLifecycle = JobLifecycle.TestCase


def test_a_job_retried_after_a_cancel_counts_its_cancelled_runs_as_skipped():
    # The machine rarely strings these steps together, so they are spelled out once here.
    machine = JobLifecycle()
    job_id = machine.create_job(["missing", "ok", "ok"], max_attempts=3)
    machine.a_worker_processes_one_run(job_id, "w1", pick=0)
    machine.cancel(job_id)
    machine.retry(job_id, include_skipped=False)
    machine.a_job_processor_runs_the_job_to_the_end(job_id, "w2")

    job = machine.store.get_job(job_id)
    assert job.status == JobStatus.FAILED
    assert (job.completed_count, job.failed_count, job.skipped_count) == (0, 1, 2)
    machine.a_finished_jobs_counts_match_its_runs()
