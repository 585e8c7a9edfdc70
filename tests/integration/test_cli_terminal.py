"""`cody job run` on a terminal: one progress bar, log lines above it, nothing garbled."""

from __future__ import annotations

import os
import sys

import pytest

from cli_support import create, forge
from terminal import run_on_terminal

BAR = "━"


@pytest.mark.slow
def test_log_lines_print_above_one_bar_that_ends_complete(tmp_path, env):
    repos = forge(tmp_path, 4, changed=2)
    job_id = create(repos, "--no-create-prs")

    code, screen, written = run_on_terminal(
        [sys.executable, "-m", "cody_cli", "job", "run", job_id, "0"], os.environ
    )

    assert code == 0, written
    bars = [line for line in screen if BAR in line]
    assert len(bars) == 1, screen  # one bar, updated in place; none left behind per repository
    assert "4/4" in bars[0], screen  # the final state stays visible
    logs = [line for line in screen if "completed /" in line]
    assert len(logs) == 4, screen
    assert all(line.startswith("INFO completed ") for line in logs), screen  # nothing before
    assert screen.index(bars[0]) > max(screen.index(line) for line in logs)


@pytest.mark.slow
@pytest.mark.parametrize("extra", [["--log-format", "json"]], ids=["json"])
def test_no_bar_with_json_logs(tmp_path, env, extra):
    job_id = create(forge(tmp_path, 2), "--no-create-prs")

    code, _, written = run_on_terminal(
        [sys.executable, "-m", "cody_cli", "job", "run", job_id, "0", *extra], os.environ
    )

    assert code == 0, written
    lines = written.replace("\r\n", "\n").splitlines()
    assert BAR not in written and all(line.startswith(("{", job_id)) for line in lines), written
