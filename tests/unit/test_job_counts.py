"""The job's stored counts agree with its runs, however the job ends."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from cody_core.models import JobStatus, RunStatus
from cody_core.testing.pipeline import Pipeline


def assert_counts_agree(p: Pipeline, job_id: str) -> None:
    job = p.jobs.get(job_id)
    runs = Counter(run.status for run in p.store.runs(job_id))
    assert job.status.terminal
    assert job.completed_count == runs[RunStatus.COMPLETED]
    assert job.failed_count == runs[RunStatus.FAILED]
    assert job.skipped_count == runs[RunStatus.SKIPPED] + runs[RunStatus.CANCELLED]
    assert job.repository_count == sum(runs.values())


@pytest.mark.parametrize("missing", [0, 1, 3])
def test_completed_or_failed(missing):
    p = Pipeline()
    names = p.repos(3)
    for name in names[:missing]:
        del p.workspace.repositories[name]
    job_id = p.create(names)

    outcome = p.processor().run(job_id, max_repositories=None)

    assert outcome.job.status == (JobStatus.FAILED if missing == 3 else JobStatus.COMPLETED)
    assert_counts_agree(p, job_id)


def test_cancelled_before_running():
    p = Pipeline()
    job_id = p.create(p.repos(3))

    cancelled = p.jobs.cancel(job_id)

    assert cancelled.skipped_count == 3
    assert_counts_agree(p, job_id)


def test_cancelled_while_running():
    p = Pipeline()
    names = p.repos(4)
    job_id = p.create(names)
    jobs = p.jobs

    def cancel_during_the_second(name, files):
        if name == names[1]:
            jobs.cancel(job_id)  # the run in flight still ends; the others are cancelled
        files["app.py"] = "changed\n"

    p.assistant._edit = cancel_during_the_second
    outcome = p.processor().run(job_id, max_repositories=None)

    assert outcome.job.status == JobStatus.CANCELLED
    assert (outcome.job.completed_count, outcome.job.skipped_count) == (2, 2)
    assert_counts_agree(p, job_id)


def test_cancelled_while_a_dead_worker_held_a_run():
    p = Pipeline()
    names = p.repos(3)
    job_id = p.create(names)
    p.store.transition_job(job_id, [JobStatus.PENDING], {"status": JobStatus.IN_PROGRESS})
    now = p.clock.now()
    p.store.claim_run(job_id, names[0], "dead-worker", now, now + timedelta(seconds=30))

    p.jobs.cancel(job_id)  # the held run is not ended yet: no counts can be final
    p.clock.advance(31)
    outcome = p.processor(owner="worker-2").run(job_id, max_repositories=None)

    assert outcome.job.skipped_count == 3
    assert_counts_agree(p, job_id)


def test_a_limited_run_counts_the_runs_it_left():
    p = Pipeline()
    job_id = p.create(p.repos(4))

    p.processor().run(job_id, max_repositories=1)

    assert p.jobs.get(job_id).skipped_count == 3
    assert_counts_agree(p, job_id)
