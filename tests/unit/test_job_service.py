"""Creating, cancelling, retrying and reading jobs."""

from __future__ import annotations

import pytest

from cody_core.errors import InputError
from cody_core.models import JobStatus, RunStatus
from cody_core.services.jobs import JobService
from cody_core.testing.pipeline import Pipeline


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
        (["acme/a"], {"prompt": "🚀" * 60_000}, "shorten its prompt"),  # 240 KB, 60,000 characters
        (["acme/a"], {"labels": ("x" * 1_000,) * 300}, "bytes stored"),
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


def test_a_new_job_lists_its_repositories_and_stamps_its_runs_and_their_expiry():
    p = Pipeline()
    jobs = JobService(p.store, p.artifacts, p.clock, p.allowlist, retention_days=2)

    job = jobs.create(["acme/B", "acme/a", "acme/b"], name="n", prompt="p", command="true")

    now, expiry = p.clock.now(), int(p.clock.now().timestamp()) + 2 * 86400
    assert job.repositories == ("acme/b", "acme/a") and job.repository_count == 2
    assert (job.created_at, job.updated_at, job.expires_at) == (now, now, expiry)
    assert {(r.created_at, r.updated_at, r.expires_at) for r in p.store.runs(job.job_id)} == {
        (now, now, expiry)
    }
    assert p.jobs.create(["acme/a"], name="n", prompt="p", command="true").expires_at is None


def test_runs_of_a_job_the_api_wrote_are_found_however_their_names_are_spelt():
    p = Pipeline()
    p.store.put_job_document(
        {
            "jobId": "api-1",
            "name": "n",
            "prompt": "p",
            "status": "pending",
            "createdAt": "2026-01-01T00:00:00.000Z",
            "repositories": ["Acme/App"],
        }
    )
    for name in ("Acme/App", "github.com/acme/tool"):
        p.store.put_run_document({"jobId": "api-1", "repositoryName": name, "status": "pending"})

    assert p.jobs.run_for("api-1", "acme/app").repository_name == "Acme/App"
    assert p.jobs.run_for("api-1", "Acme/App").repository_name == "Acme/App"
    assert p.jobs.run_for("api-1", "https://github.com/acme/tool").repository_name == (
        "github.com/acme/tool"
    )
    with pytest.raises(InputError, match="no repository acme/other"):
        p.jobs.run_for("api-1", "acme/other")
    assert p.jobs.get("api-1").assistant == "claude"


def test_a_cut_inline_diff_is_printed_whole_from_the_artifact_store():
    p = Pipeline()
    job = p.jobs.create(["acme/a"], name="n", prompt="p", command="true")
    whole = "".join(f"+line {n}\n" for n in range(60_000))
    ref = p.artifacts.put(job.job_id, "acme/a", "diff", whole.encode())
    run = p.store.get_run(job.job_id, "acme/a")
    p.store.save_run(run.evolve(diff=whole, diff_ref=ref))

    stored = p.store.get_run(job.job_id, "acme/a").diff
    assert stored != whole and stored.startswith("+line 0\n")
    assert list(p.jobs.diff(job.job_id)) == [("acme/a", whole)]
