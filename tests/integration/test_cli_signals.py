"""SIGTERM, as AWS Batch sends it 30 s before SIGKILL: the worker hands its runs back and exits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli_support import cody, forge, status

EXIT_INTERRUPTED = 143


def test_sigterm_during_a_long_command_hands_the_run_back_and_a_rerun_completes(tmp_path, env):
    repos = forge(tmp_path, 2)
    # The first worker's environment makes the command slow (the sandbox shows the command
    # nothing outside its checkout, so a flag file elsewhere would not do).
    command = (
        'if [ -n "$SLOW_FOR_TEST" ]; then touch started; sleep 60; fi; '
        "sed -i s/old_call/new_call/ app.py"
    )
    job_id = cody(
        "job",
        "create",
        "--name",
        "n",
        "--prompt",
        "p",
        "--command",
        command,
        "--repo",
        repos[0],
        "--repo",
        repos[1],
    ).stdout.strip()
    worker = subprocess.Popen(
        [sys.executable, "-m", "cody_cli", "job", "run", job_id, "0", "--log-format", "json"],
        env={**os.environ, "SLOW_FOR_TEST": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    temp_dir = Path(env["TEMP_DIR"])
    deadline = time.monotonic() + 60
    while not list(temp_dir.glob("cody-*/work/started")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(temp_dir.glob("cody-*/work/started")), "the long command never started"

    sent = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=30)
    took = time.monotonic() - sent

    assert worker.returncode == EXIT_INTERRUPTED, err
    assert took < 25
    runs = {r["repositoryName"]: r for r in status(job_id)["repositories"]}
    assert {r["status"] for r in runs.values()} == {"pending"}
    assert all(r["attempt"] == 0 for r in runs.values())
    assert list(temp_dir.glob("cody-*")) == []
    assert all(json.loads(line) for line in err.splitlines())  # the log stays JSON to the end

    cody("job", "run", job_id, "0")
    assert status(job_id)["status"] == "completed"
