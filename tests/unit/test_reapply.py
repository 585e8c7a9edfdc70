"""Taking a finished job up again: existing branches, `job update`, `job publish`."""

from __future__ import annotations

import pytest

from cody_core.errors import InputError
from cody_core.models import JobStatus, RunStatus
from cody_core.ports import CommandResult
from cody_core.services.earlier_pass import NO_LONGER_NEEDED
from cody_core.testing.assistant import FakeAssistant
from cody_core.testing.pipeline import Pipeline, replace_all


def run_all(p: Pipeline, job_id: str) -> None:
    p.processor().run(job_id, max_repositories=None)


def test_a_branch_this_job_did_not_push_is_left_alone_and_its_run_skipped():
    p = Pipeline()
    names = p.repos(2)
    job_id = p.create(names)
    theirs = "t" * 40
    p.workspace.repositories[names[0]].branches[f"cody/{job_id}"] = theirs

    run_all(p, job_id)

    run = p.store.get_run(job_id, names[0])
    assert (run.status, run.error.kind) == (RunStatus.SKIPPED, "branch-exists")
    assert "--on-existing-branch replace" in run.error.message
    assert p.workspace.repositories[names[0]].branches[f"cody/{job_id}"] == theirs
    assert [pushed[0] for pushed in p.workspace.pushed] == [names[1]]


def test_replace_overwrites_it_with_a_lease_on_the_sha_just_read():
    p = Pipeline()
    names = p.repos(1)
    job_id = p.create(names, on_existing_branch="replace")
    p.workspace.repositories[names[0]].branches[f"cody/{job_id}"] = "t" * 40

    run_all(p, job_id)

    run = p.store.get_run(job_id, names[0])
    assert run.status == RunStatus.COMPLETED
    assert (
        p.workspace.repositories[names[0]].branches[run.branch] == run.pushed_sha == run.commit_sha
    )
    assert any("replacing" in entry.message for entry in run.logs)


def test_a_branch_name_from_the_job_name_and_one_git_refuses():
    p = Pipeline()
    names = p.repos(1)
    job_id = p.create(names, name="Drop Py2!", branch_template="fleet/{jobName}")
    run_all(p, job_id)
    assert p.store.get_run(job_id, names[0]).branch == "fleet/drop-py2-"

    with pytest.raises(InputError, match="not a valid git branch name"):
        p.create(names, name="x", branch_template="cody/{jobName}.lock")


def test_update_keeps_every_pull_request_updates_them_and_closes_the_unneeded_ones():
    p = Pipeline()
    names = p.repos(4)
    job_id = p.create(names)
    run_all(p, job_id)
    numbers = {run.repository_name: run.pull_request_number for run in p.store.runs(job_id)}
    p.pull_requests.state(names[3], numbers[names[3]]).state = "merged"  # a person merged it
    # The updated change renames to another name, and repo-002 no longer has the old call.
    p.workspace.repositories[names[2]].files["app.py"] = "x = 1\n"
    p.assistant = FakeAssistant(p.workspace, replace_all("old_call", "newer_call"))

    job, count = p.updates.update(job_id, {"prompt": "Rename old_call to newer_call"})
    assert (job.status, job.prompt, count) == (
        JobStatus.PENDING,
        "Rename old_call to newer_call",
        4,
    )
    assert {run.status for run in p.store.runs(job_id)} == {RunStatus.PENDING}
    run_all(p, job_id)

    runs = {run.repository_name: run for run in p.store.runs(job_id)}
    assert len(p.pull_requests.created) == 4  # all from the first pass
    assert [name for name, _ in p.pull_requests.updated] == names[:2]
    assert {name: run.pull_request_number for name, run in runs.items()} == numbers
    assert all(spec.title == "Cody: rename old_call" for _, spec in p.pull_requests.updated)
    assert "newer_call" in p.pull_requests.updated[0][1].body
    unneeded = runs[names[2]]
    assert (unneeded.were_changes_necessary, unneeded.pull_request_state) == (False, "closed")
    assert p.pull_requests.closed == [(names[2], numbers[names[2]])]
    assert p.pull_requests.deleted == [(names[2], unneeded.branch)]
    (note,) = p.pull_requests.state(names[2], numbers[names[2]]).comments
    assert note == NO_LONGER_NEEDED.format(job_id=job_id, name="rename old_call")
    merged = runs[names[3]]
    assert (merged.status, merged.pull_request_state) == (RunStatus.COMPLETED, "merged")
    assert p.workspace.cloned.count(names[3]) == 1  # left alone: not even cloned again
    assert p.store.get_job(job_id).completed_count == 4


def test_update_pushes_with_a_lease_on_what_the_job_pushed_and_keeps_its_branch():
    p = Pipeline()
    names = p.repos(1)
    job_id = p.create(names)
    run_all(p, job_id)
    first = p.store.get_run(job_id, names[0])
    p.assistant = FakeAssistant(p.workspace, replace_all("old_call", "newer_call"))

    p.updates.update(job_id, {"branch_template": "elsewhere/{jobId}"})
    run_all(p, job_id)

    second = p.store.get_run(job_id, names[0])
    assert second.status == RunStatus.COMPLETED and second.branch == first.branch
    assert [pushed[1] for pushed in p.workspace.pushed] == [first.branch, first.branch]
    assert second.commit_sha != first.commit_sha


def test_update_refuses_a_running_job_and_options_create_would_refuse():
    p = Pipeline()
    names = p.repos(1)
    job_id = p.create(names)
    p.store.transition_job(job_id, [JobStatus.PENDING], {"status": JobStatus.IN_PROGRESS})

    with pytest.raises(InputError, match="in progress"):
        p.updates.update(job_id, {"prompt": "again"})
    p.store.transition_job(job_id, [JobStatus.IN_PROGRESS], {"status": JobStatus.COMPLETED})
    for changes in ({"prompt": " "}, {"branch_template": "a..b"}, {"command": None}):
        with pytest.raises(InputError):
            p.updates.update(job_id, changes)
    assert p.store.get_job(job_id).status == JobStatus.COMPLETED


def preview(p: Pipeline, count: int, **fields) -> tuple[str, list[str]]:
    names = p.repos(count)
    job_id = p.create(names, create_pull_requests=False, **fields)
    run_all(p, job_id)
    return job_id, names


def test_publish_delivers_the_stored_diffs_without_the_assistant():
    p = Pipeline()
    job_id, names = preview(p, 2)
    sessions = len(p.assistant.requests)

    plan = p.publishing.prepare(job_id)
    run_all(p, job_id)

    assert (plan.published, plan.refused) == (2, 0)
    assert len(p.assistant.requests) == sessions
    assert [name for name, _ in p.workspace.patches] == names
    runs = p.store.runs(job_id)
    assert all(run.pull_request_url and not run.publish_requested for run in runs)
    assert [pushed[1] for pushed in p.workspace.pushed] == [f"cody/{job_id}"] * 2
    assert p.store.get_job(job_id).status == JobStatus.COMPLETED
    assert p.publishing.prepare(job_id).published == 0  # nothing left to publish


def test_publish_opens_a_draft_where_the_preview_failed_verify_or_fails_it_if_asked():
    p = Pipeline()
    p.runner.result = CommandResult(1, "tests failed")
    job_id, names = preview(p, 2, verify_command="make test")

    p.publishing.prepare(job_id, [names[0]])
    run_all(p, job_id)
    plan = p.publishing.prepare(job_id, [names[1]], require_verify=True)
    run_all(p, job_id)

    assert p.pull_requests.created[0][1].draft is True and len(p.pull_requests.created) == 1
    assert plan.refused == 1
    refused = p.store.get_run(job_id, names[1])
    assert (refused.status, refused.error.kind) == (RunStatus.FAILED, "verify-failed")
    assert len(p.runner.commands) == 2  # the previews' only: publish ran no verify command


def test_a_stored_diff_that_no_longer_applies_fails_with_conflict():
    p = Pipeline()
    job_id, names = preview(p, 1)
    p.workspace.repositories[names[0]].files["app.py"] = "x = moved_on()\n"

    p.publishing.prepare(job_id)
    run_all(p, job_id)

    run = p.store.get_run(job_id, names[0])
    assert (run.status, run.error.kind) == (RunStatus.FAILED, "conflict")
    assert p.workspace.pushed == []


def test_publishing_a_named_repository_that_cannot_be_published_changes_nothing():
    p = Pipeline()
    job_id, names = preview(p, 2)
    p.publishing.prepare(job_id, [names[0]])
    run_all(p, job_id)

    with pytest.raises(InputError, match="has a pull request already"):
        p.publishing.prepare(job_id, [names[1], names[0]])
    assert p.store.get_run(job_id, names[1]).status == RunStatus.COMPLETED
    assert not p.store.get_run(job_id, names[1]).publish_requested
