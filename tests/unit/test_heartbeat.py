"""Leases kept alive in real time: short leases, slow assistants, rival workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cody_core.models import JobStatus, RepositoryRun, RunStatus
from cody_core.ports import AssistantRequest, AssistantResult
from cody_core.services.job_processor import RunOutcome
from cody_core.services.leases import Heartbeat
from cody_core.testing.assistant import FakeAssistant
from cody_core.testing.git import FakeWorkspace
from cody_core.testing.pipeline import Pipeline, replace_all
from cody_core.testing.store import FakeJobStore

LEASE = 0.3  # seconds: a heartbeat renews every 0.1 s


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SlowAssistant(FakeAssistant):
    """Works for `seconds`, or until told to stop, then renames old_call."""

    def __init__(self, workspace: FakeWorkspace, seconds: float):
        super().__init__(workspace, replace_all("old_call", "new_call"))
        self.seconds = seconds
        self.stopped_early = False

    def change(self, request: AssistantRequest) -> AssistantResult:
        self.stopped_early = wait_until(request.should_stop, self.seconds)
        return super().change(request)


class WatchedStore(FakeJobStore):
    """Calls `after_save` after every accepted save, and can make lease renewals fail."""

    def __init__(self) -> None:
        super().__init__()
        self.after_save: Callable[[], None] = lambda: None
        self.unreachable = threading.Event()

    def save_run(self, run: RepositoryRun) -> RepositoryRun | None:
        saved = super().save_run(run)
        if saved is not None:
            self.after_save()
        return saved

    def renew_lease(self, job_id, repository_name, owner, lease_until) -> bool:
        if self.unreachable.is_set():
            raise ConnectionError("store unreachable")
        return super().renew_lease(job_id, repository_name, owner, lease_until)


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def pipeline(assistant_seconds: float) -> tuple[Pipeline, str, str]:
    """A one-repository job on a real-time clock; returns the pipeline, job id and repository."""
    workspace = FakeWorkspace()
    p = Pipeline(
        store=WatchedStore(),
        workspace=workspace,
        clock=RealClock(),
        assistant=SlowAssistant(workspace, assistant_seconds),
    )
    names = p.repos(1)
    return p, p.create(names), names[0]


def claim(p: Pipeline, job_id: str, name: str, owner: str) -> RepositoryRun | None:
    now = p.clock.now()
    return p.store.claim_run(job_id, name, owner, now, now + timedelta(seconds=LEASE))


def test_a_run_processed_for_longer_than_its_lease_stays_with_its_worker():
    p, job_id, name = pipeline(assistant_seconds=1.0)
    run = claim(p, job_id, name, "w1")
    stolen: list[RepositoryRun] = []

    def rival_tries() -> None:
        if taken := claim(p, job_id, name, "rival"):
            stolen.append(taken)

    p.store.after_save = rival_tries  # the worst moment: right after each of w1's saves
    done_working = threading.Event()

    def rival_polls() -> None:
        while not done_working.wait(0.02):
            rival_tries()

    rival = threading.Thread(target=rival_polls)
    with Heartbeat(p.store, p.clock, run, LEASE) as beat:
        rival.start()
        try:
            job = p.store.get_job(job_id)
            done = p.repository_processor().process(
                job, run, should_stop=lambda: beat.lost, lease_expiry=lambda: beat.expires_at
            )
        finally:
            done_working.set()
            rival.join()

    assert stolen == []
    assert not p.assistant.stopped_early
    assert done.status == RunStatus.COMPLETED and done.lease_owner == "w1" and done.attempt == 1
    assert len(p.pull_requests.created) == 1


def test_a_worker_whose_run_was_taken_over_learns_it_and_cannot_overwrite_it():
    p, job_id, name = pipeline(assistant_seconds=0)
    mine = claim(p, job_id, name, "w1")
    p.store.unreachable.set()
    with Heartbeat(p.store, p.clock, mine, LEASE) as beat:
        time.sleep(LEASE + 0.1)  # renewals fail, so the lease runs out
        assert not beat.lost  # failing to renew is not losing: nobody else has it yet
        rival = claim(p, job_id, name, "w2")
        assert rival is not None
        theirs = p.store.save_run(rival.model_copy(update={"summary": "w2's work"}))
        p.store.unreachable.clear()
        assert wait_until(lambda: beat.lost, timeout=1.0)

    stale = mine.model_copy(update={"status": RunStatus.COMPLETED, "summary": "w1's work"})
    assert p.store.save_run(stale) is None
    assert p.store.get_run(job_id, name) == theirs
    assert theirs.lease_owner == "w2" and theirs.summary == "w2's work"


def test_a_processor_that_lost_its_lease_stops_and_leaves_the_new_owners_run_alone():
    p, job_id, name = pipeline(assistant_seconds=2.0)
    mine = claim(p, job_id, name, "w1")
    p.store.unreachable.set()
    results: list[RepositoryRun] = []

    def work() -> None:
        with Heartbeat(p.store, p.clock, mine, LEASE) as beat:
            job = p.store.get_job(job_id)
            processor = p.repository_processor()
            results.append(processor.process(job, mine, should_stop=lambda: beat.lost))

    worker = threading.Thread(target=work)
    worker.start()
    time.sleep(LEASE + 0.1)
    rival = claim(p, job_id, name, "w2")
    assert rival is not None
    theirs = p.store.save_run(rival.model_copy(update={"summary": "w2's work"}))
    p.store.unreachable.clear()
    worker.join(timeout=2)

    assert p.assistant.stopped_early, "the assistant was told to stop once the lease was lost"
    assert results and results[0].lease_owner == "w1" and results[0].status != "completed"
    assert p.store.get_run(job_id, name) == theirs
    assert p.workspace.pushed == [] and p.pull_requests.created == []


def test_a_second_job_processor_waits_while_the_first_keeps_its_lease_alive():
    p, job_id, name = pipeline(assistant_seconds=1.0)
    outcomes: dict[str, RunOutcome] = {}

    def run(owner: str) -> threading.Thread:
        processor = p.processor(owner, lease_seconds=LEASE)

        def target() -> None:
            outcomes[owner] = processor.run(job_id, max_repositories=None)

        thread = threading.Thread(target=target)
        thread.start()
        return thread

    first = run("w1")
    assert wait_until(lambda: p.store.claims, timeout=1.0)
    second = run("w2")
    first.join(timeout=3)
    second.join(timeout=3)

    stored = p.store.get_run(job_id, name)
    assert stored.status == RunStatus.COMPLETED and stored.attempt == 1
    assert stored.lease_owner == "w1"
    assert p.store.claims == [(job_id, name, "w1")]
    assert p.workspace.cloned == [name] and len(p.pull_requests.created) == 1
    assert outcomes["w1"].processed == 1 and outcomes["w2"].processed == 0
    assert outcomes["w1"].job.status == outcomes["w2"].job.status == JobStatus.COMPLETED
    assert p.store.job_transitions(job_id, JobStatus.COMPLETED) == 1
