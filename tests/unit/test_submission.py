"""Submitting a job to workers elsewhere."""

from __future__ import annotations

import pytest

from cody_core.errors import InputError
from cody_core.services.submission import JobSubmission
from cody_core.testing.pipeline import Pipeline
from cody_core.testing.submitter import FakeJobSubmitter


def test_submitting_records_the_batch_job_id_on_the_job():
    p = Pipeline()
    job_id = p.create(p.repos(2))
    submitter = FakeJobSubmitter()

    job = JobSubmission(p.store, submitter).submit(job_id, workers=4, max_repositories=None)

    assert submitter.submitted == [(job_id, 4, 5)]  # as `cody job run JOB`: the default 5
    assert job.batch_job_id == "batch-1" == p.store.get_job(job_id).batch_job_id


@pytest.mark.parametrize(
    ("job_limit", "asked", "sent"),
    [(None, 0, 0), (None, 12, 12), (3, None, 3), (0, None, 0), (3, 0, 0), (3, 7, 7)],
)
def test_the_limit_sent_follows_the_one_convention(job_limit, asked, sent):
    p = Pipeline()
    job_id = p.create(p.repos(2), max_repositories=job_limit)
    submitter = FakeJobSubmitter()

    JobSubmission(p.store, submitter).submit(job_id, workers=1, max_repositories=asked)

    assert submitter.submitted == [(job_id, 1, sent)]  # 0 is every repository


@pytest.mark.parametrize("finish", ["cancel", None])
def test_finished_or_unknown_jobs_are_not_submitted(finish):
    p = Pipeline()
    job_id = p.create(p.repos(1))
    if finish:
        p.jobs.cancel(job_id)
    submitter = FakeJobSubmitter()

    with pytest.raises(InputError):
        JobSubmission(p.store, submitter).submit(job_id if finish else "nope", 1, None)
    assert submitter.submitted == []
