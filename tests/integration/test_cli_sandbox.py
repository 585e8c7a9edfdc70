"""The sandbox from the cody command: chosen by CODY_SANDBOX, checked before a job is stored or
run, recorded on every run; the job options that reach repository code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import CODEMOD, cody, create, forge, runs_of, status
from cody_cli.job_commands import container
from sandbox_support import sandbox_of


@pytest.fixture
def nothing_works(env, tmp_path, monkeypatch):
    """TEMP_DIR where no uid but root may go, with cody as root: neither bwrap (which runs
    the command as a slot uid) nor the uid tier can confine anything there."""
    monkeypatch.setenv("TEMP_DIR", str(tmp_path / "closed"))
    container.reset_singletons()


def job_count() -> int:
    return len(json.loads(cody("job", "list", "--json").stdout))


@pytest.mark.parametrize(
    "options",
    [("--command", CODEMOD), ("--assistant", "claude", "--verify", "true")],
    ids=["command", "verify"],
)
def test_auto_with_no_tier_that_works_refuses_repository_code_at_create(
    tmp_path, env, nothing_works, options
):
    repos = forge(tmp_path, 1)

    result = cody(
        "job", "create", "--name", "n", "--prompt", "p", "--repo", repos[0], *options, ok=False
    )

    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: repository code (--command, --verify) needs a sandbox")
    assert "CODY_SANDBOX=none" in line and "not searchable" in line
    assert job_count() == 0


def test_auto_with_no_tier_that_works_refuses_to_run_and_leaves_the_job_as_it_was(
    tmp_path, env, monkeypatch
):
    repos = forge(tmp_path, 2)
    monkeypatch.setenv("CODY_SANDBOX", "none")
    container.reset_singletons()
    job_id = create(repos)
    before = status(job_id)
    monkeypatch.setenv("CODY_SANDBOX", "auto")
    monkeypatch.setenv("TEMP_DIR", str(tmp_path / "closed"))
    container.reset_singletons()

    result = cody("job", "run", job_id, "0", ok=False)

    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert status(job_id) == before


def test_a_claude_job_without_verify_runs_no_repository_code_and_needs_no_sandbox(
    tmp_path, env, nothing_works
):
    repos = forge(tmp_path, 1)

    result = cody("job", "create", "--name", "n", "--assistant", "claude", "--prompt", "p",
                  "--repo", repos[0])  # fmt: skip

    assert result.exit_code == 0


def test_an_explicit_tier_that_does_not_work_is_refused_naming_it(tmp_path, env, monkeypatch):
    repos = forge(tmp_path, 1)
    monkeypatch.setenv("CODY_SANDBOX", "bwrap")
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # no bubblewrap on this PATH
    container.reset_singletons()

    result = cody("job", "create", "--name", "n", "--prompt", "p", "--command", "true",
                  "--repo", repos[0], ok=False)  # fmt: skip

    assert result.exit_code == 2
    assert "CODY_SANDBOX=bwrap does not work here" in result.stderr
    assert "bubblewrap is not installed" in result.stderr


def test_none_runs_and_says_so_on_every_run(tmp_path, env, monkeypatch):
    repos = forge(tmp_path, 2)
    monkeypatch.setenv("CODY_SANDBOX", "none")
    container.reset_singletons()
    job_id = create(repos)

    result = cody("job", "run", job_id, "0", "--log-format", "json")

    assert "CODY_SANDBOX=none" in result.stderr
    for run in runs_of(job_id).values():
        assert run["status"] == "completed" and run["sandbox"] == "none"
        warnings = [e for e in run["logs"] if e["level"] == "warning"]
        assert any("unsandboxed" in e["message"] for e in warnings)


def test_every_run_records_the_tier_that_confined_it(tmp_path, env, tier, monkeypatch):
    sandbox_of(tier, Path(env["TEMP_DIR"]))
    monkeypatch.setenv("CODY_SANDBOX", tier)
    container.reset_singletons()
    repos = forge(tmp_path, 3, changed=2)

    job_id = create(repos)
    cody("job", "run", job_id, "0")

    runs = runs_of(job_id)
    assert {run["sandbox"] for run in runs.values()} == {tier}
    assert all(f"(sandbox: {tier})" in run["logs"][0]["message"] for run in runs.values())


def test_auto_takes_bwrap_here(tmp_path, env):
    sandbox_of("bwrap", Path(env["TEMP_DIR"]))
    job_id = create(forge(tmp_path, 1))

    cody("job", "run", job_id)

    assert {run["sandbox"] for run in runs_of(job_id).values()} == {"bwrap"}


def test_network_and_command_timeout_are_job_options_stored_on_the_job(tmp_path, env):
    repos = forge(tmp_path, 1)

    job_id = create(repos, "--network", "--command-timeout", "5")
    default_id = create(repos)

    document = status(job_id)
    assert (document["network"], document["commandTimeout"]) == (True, 5)
    defaults = status(default_id)
    assert (defaults["network"], defaults["commandTimeout"]) == (False, 600)


def test_the_command_timeout_ends_a_long_command(tmp_path, env):
    repos = forge(tmp_path, 1)
    job_id = cody(
        "job", "create", "--name", "n", "--prompt", "p", "--command", "sleep 30",
        "--command-timeout", "1", "--repo", repos[0],
    ).stdout.strip()  # fmt: skip

    cody("job", "run", job_id, code=1)  # the repository failed

    run = runs_of(job_id)[repos[0]]
    assert run["error"]["kind"] == "timeout"
    assert "within 1s" in run["error"]["message"]
