"""SubprocessCommandRunner running real shell commands."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from cody_adapters.subprocess_runner import SubprocessCommandRunner

SECRET = "s3cr3t-t0ken-value"


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def gone_soon(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_runs_in_the_directory_with_stderr_merged_and_the_exit_code(tmp_path):
    result = SubprocessCommandRunner().run("pwd; echo oops >&2; exit 3", tmp_path, timeout=10)

    assert result.exit_code == 3
    assert not result.ok
    assert result.output.splitlines() == [str(tmp_path), "oops"]


def test_stdin_is_empty_so_a_reading_command_does_not_wait(tmp_path):
    result = SubprocessCommandRunner().run("cat; echo done", tmp_path, timeout=10)

    assert result.ok
    assert result.output == "done\n"


def test_timeout_kills_the_whole_process_group(tmp_path):
    started = time.monotonic()
    result = SubprocessCommandRunner().run(
        "sleep 30 & echo $! > child.pid; sleep 30", tmp_path, timeout=0.5
    )

    assert result.timed_out
    assert result.exit_code in (-9, 124)
    assert time.monotonic() - started < 10
    assert gone_soon(int((tmp_path / "child.pid").read_text()))


def test_background_processes_do_not_outlive_the_command(tmp_path):
    started = time.monotonic()
    result = SubprocessCommandRunner().run(
        "sleep 30 & echo $! > child.pid; echo finished", tmp_path, timeout=60
    )

    assert result.ok
    assert result.output == "finished\n"
    assert time.monotonic() - started < 10
    assert gone_soon(int((tmp_path / "child.pid").read_text()))


def test_secrets_and_git_configuration_are_not_in_the_environment(tmp_path, monkeypatch):
    hidden = {
        "GITHUB_TOKEN": "ghp_x",
        "GH_TOKEN": "gh_x",
        "CLAUDE_API_KEY": "claude_x",
        "ANTHROPIC_API_KEY": "anthropic_x",
        "ANTHROPIC_BASE_URL": "https://example.invalid",
        "AWS_SECRET_ACCESS_KEY": "aws_x",
        "AWS_SESSION_TOKEN": "aws_session_x",
        "GIT_CONFIG_GLOBAL": "/tmp/evil",
        "GIT_CONFIG_PARAMETERS": "'core.pager'='evil'",
        "GIT_DIR": "/tmp/elsewhere",
        "INNOCENT_LOOKING": SECRET,
    }
    for name, value in hidden.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KEEP_ME", "visible")
    runner = SubprocessCommandRunner(secret_values=[SECRET])

    names = {line.split("=", 1)[0] for line in runner.run("env", tmp_path, 10).output.splitlines()}

    assert names.isdisjoint(hidden)
    assert {"KEEP_ME", "PATH", "GIT_TERMINAL_PROMPT"} <= names
    assert "GIT_TERMINAL_PROMPT=0" in runner.run("env", tmp_path, 10).output


def test_output_keeps_only_the_last_characters(tmp_path):
    runner = SubprocessCommandRunner(output_limit=1_000)

    result = runner.run("seq 1 200000; echo THE-END", tmp_path, timeout=30)

    assert len(result.output) <= 1_000
    assert result.output.endswith("200000\nTHE-END\n")


def test_secret_values_are_redacted_from_the_output(tmp_path):
    runner = SubprocessCommandRunner(secret_values=[SECRET, ""])

    result = runner.run(f"echo 'token={SECRET}.'; echo ok", tmp_path, timeout=10)

    assert result.output == "token=***.\nok\n"


@pytest.mark.parametrize("limit", [7, 50, 333])
def test_no_fragment_of_a_secret_survives_cutting_the_output(tmp_path, limit):
    runner = SubprocessCommandRunner(secret_values=[SECRET], output_limit=limit)

    result = runner.run(f"for i in $(seq 1 3000); do printf '{SECRET}'; done", tmp_path, 30)

    assert 0 < len(result.output) <= limit
    assert set(result.output) == set("*")


def test_output_that_is_not_utf8_is_decoded_with_replacement(tmp_path):
    result = SubprocessCommandRunner().run(r"printf 'caf\351\n'", tmp_path, timeout=10)

    assert result.output == "caf\ufffd\n"


def test_the_runner_does_not_change_the_callers_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "still-here")

    SubprocessCommandRunner().run("true", tmp_path, timeout=10)

    assert os.environ["GITHUB_TOKEN"] == "still-here"


def test_a_stopping_worker_kills_the_command_at_once(tmp_path):
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()

    result = SubprocessCommandRunner().run(
        "echo $$ > pid; sleep 30", tmp_path, timeout=60, should_stop=stop.is_set
    )

    assert result.stopped and not result.timed_out and not result.ok
    assert gone_soon(int((tmp_path / "pid").read_text()))
