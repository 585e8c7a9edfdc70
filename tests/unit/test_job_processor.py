"""The job lifecycle, driven through fakes."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from cody_core.errors import TransientError
from cody_core.models import JobStatus, RunStatus
from cody_core.policies.allowlist import Allowlist
from cody_core.policies.references import parse_reference
from cody_core.ports import PullRequestSpec
from cody_core.services.job_processor import JobProcessor, WorkerSettings
from cody_core.testing.assistant import FakeAssistant
from cody_core.testing.pipeline import Pipeline, replace_all


def statuses(pipeline: Pipeline, job_id: str) -> dict[str, RunStatus]:
    return {run.repository_name: run.status for run in pipeline.store.runs(job_id)}


def test_a_job_runs_every_repository_to_completion_and_opens_one_pr_each():
    p = Pipeline()
    job_id = p.create(p.repos(3))

    outcome = p.processor().run(job_id, max_repositories=None)

    assert outcome.job.status == JobStatus.COMPLETED
    assert outcome.job.completed_count == 3 and outcome.job.failed_count == 0
    assert outcome.job.started_at is not None and outcome.job.completed_at is not None
    assert set(statuses(p, job_id).values()) == {RunStatus.COMPLETED}
    assert len(p.pull_requests.created) == 3
    assert all(run.pull_request_url for run in p.store.runs(job_id))


def test_runs_beyond_the_limit_are_skipped_with_a_reason_in_stored_order():
    p = Pipeline()
    names = p.repos(7)
    job_id = p.create(names)

    p.processor().run(job_id, max_repositories=5)

    runs = p.store.runs(job_id)
    assert [r.status for r in runs] == [RunStatus.COMPLETED] * 5 + [RunStatus.SKIPPED] * 2
    assert all(r.error and r.error.kind == "max-repositories" for r in runs[5:])
    assert p.workspace.cloned == sorted(names)[:5]


def test_a_failing_repository_does_not_stop_the_others():
    p = Pipeline()
    names = p.repos(3)
    del p.workspace.repositories[names[1]]  # clone of this one fails: not found
    job_id = p.create(names)

    outcome = p.processor().run(job_id, max_repositories=None)

    got = statuses(p, job_id)
    assert got[names[1]] == RunStatus.FAILED
    assert p.store.get_run(job_id, names[1]).error.kind == "not-found"
    assert got[names[0]] == got[names[2]] == RunStatus.COMPLETED
    assert outcome.job.status == JobStatus.COMPLETED
    assert (outcome.job.completed_count, outcome.job.failed_count) == (2, 1)


def test_the_job_fails_when_every_processed_repository_failed():
    p = Pipeline()
    job_id = p.create(["acme/missing-1", "acme/missing-2"])

    outcome = p.processor().run(job_id, max_repositories=None)

    assert outcome.job.status == JobStatus.FAILED
    assert outcome.job.failed_count == 2


def test_a_transient_failure_is_retried_until_it_succeeds():
    p = Pipeline()
    names = p.repos(1)
    p.workspace.fail_on["push"] = TransientError("connection reset")
    job_id = p.create(names)

    outcome = p.processor().run(job_id, max_repositories=None)

    run = p.store.get_run(job_id, names[0])
    assert outcome.job.status == JobStatus.COMPLETED
    assert run.status == RunStatus.COMPLETED and run.attempt == 2
    assert any("will retry" in entry.message for entry in run.logs)


def test_a_transient_failure_stops_after_the_attempt_limit():
    p = Pipeline()
    names = p.repos(1)
    job_id = p.create(names, max_attempts=2)
    original = p.workspace.push

    def always_fails(*args):
        raise TransientError("503 from the remote")

    p.workspace.push = always_fails
    p.processor().run(job_id, max_repositories=None)
    p.workspace.push = original

    run = p.store.get_run(job_id, names[0])
    assert run.status == RunStatus.FAILED and run.attempt == 2
    assert run.error.transient and run.error.kind == "network"


def test_running_a_finished_job_again_changes_nothing():
    p = Pipeline()
    job_id = p.create(p.repos(2))
    p.processor().run(job_id, max_repositories=None)
    writes = p.store.writes

    outcome = p.processor(owner="worker-2").run(job_id, max_repositories=None)

    assert outcome.processed == 0 and outcome.job.status == JobStatus.COMPLETED
    assert p.store.writes == writes
    assert len(p.pull_requests.created) == 2


def test_a_crashed_workers_expired_lease_is_taken_over_and_the_job_resumes():
    p = Pipeline()
    names = p.repos(2)
    job_id = p.create(names)
    p.store.transition_job(job_id, [JobStatus.PENDING], {"status": JobStatus.IN_PROGRESS})
    now = p.clock.now()
    crashed = p.store.claim_run(job_id, names[0], "dead-worker", now, now + timedelta(seconds=30))
    assert crashed is not None
    p.clock.advance(31)

    outcome = p.processor(owner="worker-2").run(job_id, max_repositories=None)

    run = p.store.get_run(job_id, names[0])
    assert outcome.job.status == JobStatus.COMPLETED
    assert run.status == RunStatus.COMPLETED and run.lease_owner == "worker-2"
    assert run.attempt == 2


def test_a_pull_request_left_by_an_earlier_attempt_is_updated_not_duplicated():
    p = Pipeline()
    names = p.repos(1)
    job_id = p.create(names)
    branch = f"cody/{job_id}"
    # An earlier attempt recorded the sha it was about to push, pushed it and opened the pull
    # request, then died before recording either.
    p.store.transition_run(job_id, names[0], [RunStatus.PENDING], {"pushed_sha": "e" * 40})
    p.workspace.repositories[names[0]].branches[branch] = "e" * 40
    earlier = PullRequestSpec(head=branch, base="main", title="old", body="old")
    p.pull_requests.create(parse_reference(names[0]), earlier)

    p.processor().run(job_id, max_repositories=None)

    assert len(p.pull_requests.created) == 1
    assert p.pull_requests.pulls[(names[0], branch)].title == "Cody: rename old_call"
    assert p.store.get_run(job_id, names[0]).pull_request_url.endswith("/pull/1")


def test_cancelling_stops_workers_between_repositories_and_cancels_the_rest():
    p = Pipeline()
    names = p.repos(4)
    job_id = p.create(names)
    jobs = p.jobs

    def cancel_after_first(name, files):
        if name == names[0]:
            jobs.cancel(job_id)
        files["app.py"] = "changed\n"

    p.assistant._edit = cancel_after_first
    outcome = p.processor().run(job_id, max_repositories=None)

    got = statuses(p, job_id)
    assert outcome.job.status == JobStatus.CANCELLED
    assert got[names[0]] == RunStatus.COMPLETED
    assert [got[n] for n in names[1:]] == [RunStatus.CANCELLED] * 3
    assert p.workspace.cloned == [names[0]]


def test_the_final_transition_happens_once_with_several_workers():
    p = Pipeline()
    job_id = p.create(p.repos(12))
    outcomes = []
    workers = [
        threading.Thread(
            target=lambda i=i: outcomes.append(
                p.processor(owner=f"w{i}").run(job_id, max_repositories=None, concurrency=2)
            )
        )
        for i in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert [o.job.status for o in outcomes] == [JobStatus.COMPLETED] * 4
    assert sum(o.processed for o in outcomes) == 12
    assert p.store.job_transitions(job_id, JobStatus.COMPLETED) == 1
    assert sorted(p.workspace.cloned) == sorted(set(p.workspace.cloned))
    assert len(p.pull_requests.created) == 12


def test_a_repository_outside_the_allowlist_never_reaches_git():
    p = Pipeline()
    names = p.repos(2)
    job_id = p.create(names)
    p.allowlist = Allowlist.parse(names[0])  # the allowlist shrank between create and run

    p.processor().run(job_id, max_repositories=None)

    run = p.store.get_run(job_id, names[1])
    assert run.status == RunStatus.FAILED and run.error.kind == "not-allowed"
    assert p.workspace.cloned == [names[0]]
    assert not p.assistant.requests[1:]


def test_a_stopped_worker_leaves_the_job_unfinished_for_a_rerun():
    p = Pipeline()
    job_id = p.create(p.repos(3))
    processor = p.processor()
    processor.stop()

    outcome = processor.run(job_id, max_repositories=None)

    assert not outcome.terminal and outcome.processed == 0
    assert p.processor(owner="w2").run(job_id, max_repositories=None).terminal


@pytest.mark.parametrize("concurrency", [1, 4])
def test_temporary_checkouts_are_removed_whatever_happens(concurrency):
    p = Pipeline()
    names = p.repos(6)
    p.workspace.fail_on["commit"] = RuntimeError("boom")
    job_id = p.create(names)

    p.processor().run(job_id, max_repositories=None, concurrency=concurrency)

    assert p.workspace.live == []
    assert len(p.workspace.cleaned) == 6


def test_a_run_held_by_a_dead_worker_of_a_cancelled_job_is_cancelled_when_its_lease_ends():
    p = Pipeline()
    names = p.repos(2)
    job_id = p.create(names)
    now = p.clock.now()
    assert p.store.claim_run(job_id, names[0], "dead", now, now + timedelta(seconds=30))
    p.jobs.cancel(job_id)

    p.processor().run(job_id)
    assert p.store.get_run(job_id, names[0]).status == RunStatus.IN_PROGRESS  # still leased
    p.clock.advance(31)
    outcome = p.processor().run(job_id)

    assert outcome.job.status == JobStatus.CANCELLED
    assert {r.status for r in p.store.runs(job_id)} == {RunStatus.CANCELLED}
    assert p.workspace.cloned == []


def test_a_worker_told_to_stop_mid_session_hands_the_run_back_without_using_an_attempt():
    p = Pipeline()
    names = p.repos(2)
    job_id = p.create(names)
    processor = p.processor()

    def stop_during_first(name, files):
        files["app.py"] = "changed\n"
        processor.stop()  # SIGTERM arrives while the assistant works

    p.assistant._edit = stop_during_first
    outcome = processor.run(job_id, max_repositories=None)

    first = p.store.get_run(job_id, names[0])
    assert not outcome.terminal
    assert first.status == RunStatus.PENDING and first.attempt == 0
    assert first.error.kind == "interrupted"
    assert p.workspace.pushed == [] and p.workspace.live == []
    assert p.store.get_run(job_id, names[1]).status == RunStatus.PENDING
    p.assistant._edit = replace_all("old_call", "new_call")
    assert p.processor(owner="w2").run(job_id, max_repositories=None).job.completed_count == 2


def test_a_worker_with_a_start_offset_claims_from_there_then_wraps_around():
    p = Pipeline()
    names = p.repos(5)
    job_id = p.create(names)
    processor = JobProcessor(
        p.store,
        p.repository_processor(),
        p.clock,
        WorkerSettings(owner="w", lease_seconds=60, poll_seconds=0.01, start_offset=3),
    )

    processor.run(job_id, max_repositories=None)

    assert p.workspace.cloned == [*names[3:], *names[:3]]


def test_an_interrupt_in_one_run_reaches_the_caller_and_hands_that_run_back():
    p = Pipeline()
    names = p.repos(3)
    rename = replace_all("old_call", "new_call")
    interrupts = [KeyboardInterrupt()]

    def edit(name: str, files: dict[str, str]) -> None:
        if name == names[0] and interrupts:
            raise interrupts.pop()
        rename(name, files)

    p.assistant = FakeAssistant(p.workspace, edit)
    job_id = p.create(names)

    with pytest.raises(KeyboardInterrupt):  # raised once the pass's other runs are done
        p.processor().run(job_id, max_repositories=None, concurrency=1)

    interrupted = p.store.get_run(job_id, names[0])
    assert (interrupted.status, interrupted.attempt) == (RunStatus.PENDING, 0)
    assert interrupted.error.kind == "interrupted"
    assert p.store.get_job(job_id).status == JobStatus.IN_PROGRESS
