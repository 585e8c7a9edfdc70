"""Creating, cancelling, retrying and reading jobs."""

from __future__ import annotations

import pytest

from cody_core.errors import InputError
from cody_core.models import JobStatus, RunStatus
from fakes.pipeline import Pipeline


def test_create_normalises_and_deduplicates_references():
    p = Pipeline()
    job = p.jobs.create(
        ["acme/App", "https://github.com/acme/app.git", "github.com/ACME/other"],
        name="n",
        prompt="p",
        command="true",
    )

    names = [run.repository_name for run in p.store.runs(job.job_id)]
    assert names == ["acme/app", "acme/other"]
    assert job.repository_count == 2 and job.status == JobStatus.PENDING


@pytest.mark.parametrize(
    ("repos", "fields", "message"),
    [
        (["acme/a", "evil/b"], {}, "outside ALLOWED_REPOSITORIES"),
        (["acme/a", "gitlab.com/x/y"], {}, "github.com"),
        ([], {}, "no repositories"),
        (["acme/a"], {"command": None}, "--command"),
        (["acme/a"], {"prompt": "  "}, "no prompt"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(repos, fields, message):
    p = Pipeline()
    args = {"name": "n", "prompt": "p", "command": "true", **fields}

    with pytest.raises(InputError, match=message):
        p.jobs.create(repos, **args)

    assert list(p.store.list_jobs()) == []


def test_retry_puts_failed_runs_back_and_the_job_back_to_pending():
    p = Pipeline()
    names = p.repos(2)
    del p.workspace.repositories[names[0]]
    job_id = p.create(names)
    p.processor().run(job_id, max_repositories=None)
    p.workspace.add(names[0], {"app.py": "old_call()\n"})

    assert p.jobs.retry(job_id) == 1
    assert p.jobs.get(job_id).status == JobStatus.PENDING
    outcome = p.processor().run(job_id, max_repositories=None)

    assert outcome.job.status == JobStatus.COMPLETED and outcome.job.completed_count == 2
    assert p.store.get_run(job_id, names[0]).error is None


def test_retry_can_include_skipped_runs():
    p = Pipeline()
    job_id = p.create(p.repos(3))
    p.processor().run(job_id, max_repositories=1)

    assert p.jobs.retry(job_id) == 0
    assert p.jobs.retry(job_id, include_skipped=True) == 2
    assert {r.status for r in p.store.runs(job_id)} == {RunStatus.COMPLETED, RunStatus.PENDING}


def test_cancel_marks_pending_runs_and_refuses_a_finished_job():
    p = Pipeline()
    job_id = p.create(p.repos(2))

    assert p.jobs.cancel(job_id).status == JobStatus.CANCELLED
    assert {r.status for r in p.store.runs(job_id)} == {RunStatus.CANCELLED}
    with pytest.raises(InputError, match="already cancelled"):
        p.jobs.cancel(job_id)


def test_unknown_jobs_and_repositories_are_input_errors():
    p = Pipeline()
    job_id = p.create(p.repos(1))

    with pytest.raises(InputError, match="no job"):
        p.jobs.get("nope")
    with pytest.raises(InputError, match="has no repository"):
        p.jobs.run_for(job_id, "acme/other")


def test_diff_returns_each_changed_repositorys_patch():
    p = Pipeline()
    names = p.repos(2)
    job_id = p.create(names)
    p.processor().run(job_id, max_repositories=None)

    patches = dict(p.jobs.diff(job_id))
    assert set(patches) == set(names)
    assert "+x = new_call()" in patches[names[0]]
    assert list(p.jobs.diff(job_id, names[1])) == [(names[1], patches[names[1]])]
