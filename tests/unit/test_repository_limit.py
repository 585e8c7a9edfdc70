"""MAX_REPOS: one convention (0 = all), and runs past a limit taken up by a later run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cody_core.errors import InputError
from cody_core.models import Job, JobStatus, RunStatus
from cody_core.policies.limits import DEFAULT_MAX_REPOSITORIES, repository_limit
from cody_core.testing.pipeline import Pipeline


def job(limit: int | None) -> Job:
    return Job(
        job_id="j", name="n", prompt="p", created_at=datetime(2026, 1, 1, tzinfo=UTC),
        max_repositories=limit,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("asked", "job_limit", "limit"),
    [
        (None, None, DEFAULT_MAX_REPOSITORIES),  # `cody job run JOB`: the default 5
        (None, 1, 1),  # the job's own limit, set at creation, is not overridden by the 5
        (None, 0, None),  # `job create --max-repos 0`: every repository
        (0, None, None),
        (0, 3, None),
        (8, 3, 8),
    ],
)
def test_the_limit_asked_wins_then_the_jobs_then_five(asked, job_limit, limit):
    assert repository_limit(asked, job(job_limit)) == limit


def test_a_negative_limit_is_bad_input():
    with pytest.raises(InputError, match="0 \\(all\\) or more"):
        repository_limit(-1, job(None))


def test_a_later_run_with_a_higher_limit_or_none_takes_up_the_runs_past_the_limit():
    p = Pipeline()
    names = p.repos(7)
    job_id = p.create(names)

    first = p.processor().run(job_id, max_repositories=5)
    assert first.job.status == JobStatus.COMPLETED and first.beyond_limit == 2
    assert [r.status for r in p.store.runs(job_id)][5:] == [RunStatus.SKIPPED] * 2
    assert p.store.runs(job_id)[5].error.kind == "max-repositories"
    assert f"cody job run {job_id} 0" in p.store.runs(job_id)[5].error.message

    second = p.processor().run(job_id, max_repositories=6)
    assert second.processed == 1 and second.beyond_limit == 1
    assert second.job.status == JobStatus.COMPLETED and second.job.completed_count == 6

    last = p.processor().run(job_id, max_repositories=None)  # 0 on the command line
    assert last.processed == 1 and last.beyond_limit == 0
    assert [r.status for r in p.store.runs(job_id)] == [RunStatus.COMPLETED] * 7
    assert (last.job.completed_count, last.job.skipped_count) == (7, 0)
    assert last.job.completed_at is not None
    assert sorted(p.workspace.cloned) == sorted(names)  # each repository processed once


def test_a_lower_limit_later_leaves_finished_runs_alone():
    p = Pipeline()
    job_id = p.create(p.repos(4))
    p.processor().run(job_id, max_repositories=None)

    again = p.processor().run(job_id, max_repositories=1)

    assert again.processed == 0 and again.beyond_limit == 0
    assert {r.status for r in p.store.runs(job_id)} == {RunStatus.COMPLETED}


def test_runs_skipped_for_another_reason_are_not_taken_up():
    p = Pipeline()
    names = p.repos(2)
    job_id = p.create(names)
    p.store.transition_run(
        job_id, names[1], [RunStatus.PENDING], {"status": RunStatus.SKIPPED}
    )  # skipped for a reason of its own (archived, say)

    outcome = p.processor().run(job_id, max_repositories=None)

    assert p.store.get_run(job_id, names[1]).status == RunStatus.SKIPPED
    assert outcome.job.completed_count == 1 and outcome.job.skipped_count == 1
