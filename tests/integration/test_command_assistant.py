"""CommandAssistant running real commands through SubprocessCommandRunner."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cody_adapters.process.command_assistant import CommandAssistant
from cody_adapters.process.runner import SubprocessCommandRunner
from cody_core.errors import CodyError, InputError, TransientError
from cody_core.models import Job
from cody_core.policies.references import RepositoryRef
from cody_core.ports import AssistantRequest, Checkout
from sandbox_support import sandbox_of, scratch_checkout


@pytest.fixture
def sandbox(reachable_tmp):
    return sandbox_of("bwrap", reachable_tmp)


@pytest.fixture
def tmp_path(sandbox, reachable_tmp):
    """An empty checkout (named as the tests knew it) that the sandbox runs commands in."""
    area = scratch_checkout(sandbox, reachable_tmp)
    yield area.work
    sandbox.close_area(area)


def request(path: Path, command: str | None, command_timeout: int = 30) -> AssistantRequest:
    job = Job(
        job_id="job-1",
        name="Demo",
        prompt="Change things",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        command=command,
        command_timeout=command_timeout,
    )
    checkout = Checkout(
        RepositoryRef(kind="local", name="/srv/git/demo.git"), path, "main", "0" * 40
    )
    return AssistantRequest(job=job, checkout=checkout)


@pytest.fixture
def assistant(sandbox):
    return lambda: CommandAssistant(SubprocessCommandRunner(sandbox))


def test_runs_the_command_in_the_checkout_and_reports_it(tmp_path, assistant):
    command = "echo changed > notes.txt && echo done"

    result = assistant().change(request(tmp_path, command))

    assert (tmp_path / "notes.txt").read_text() == "changed\n"
    assert result.summary == f"ran `{command}`"
    assert result.output_tail == "done\n"
    assert result.turns == 0


def test_the_output_tail_is_short(tmp_path, assistant):
    result = assistant().change(request(tmp_path, "seq 1 100000"))

    assert len(result.output_tail) <= 2_000
    assert result.output_tail.endswith("99999\n100000\n")


@pytest.mark.parametrize("command", [None, ""])
def test_a_job_without_a_command_is_an_input_error(tmp_path, assistant, command):
    with pytest.raises(InputError, match="needs --command"):
        assistant().change(request(tmp_path, command))


def test_a_failing_command_reports_its_exit_code_and_last_lines(tmp_path, assistant):
    with pytest.raises(CodyError) as raised:
        assistant().change(request(tmp_path, "seq 1 50; echo 'it broke' >&2; exit 7"))

    assert raised.value.kind == "command-failed"
    assert not raised.value.transient
    message = str(raised.value)
    assert "7" in message.split(":")[0]
    assert message.endswith("it broke")
    assert "\n45\n" in message
    assert "\n5\n" not in message


def test_a_command_that_runs_longer_than_the_jobs_command_timeout_is_a_transient_timeout(
    tmp_path, assistant
):
    with pytest.raises(TransientError, match="within 1s") as raised:
        assistant().change(request(tmp_path, "sleep 20", command_timeout=1))

    assert raised.value.kind == "timeout"
    assert raised.value.transient


def test_the_command_is_told_its_job_repository_and_branch(tmp_path, assistant):
    assistant().change(
        request(tmp_path, 'echo "$CODY_JOB_ID $CODY_REPOSITORY $CODY_BRANCH" > vars.txt')
    )

    assert (tmp_path / "vars.txt").read_text() == "job-1 /srv/git/demo.git cody/job-1\n"
