"""The suite's own guard: a test that never ends prints every stack and ends the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_a_stuck_test_prints_its_stack_and_ends_the_run_with_the_tests_after_it_unrun(tmp_path):
    stuck = tmp_path / "test_stuck.py"
    stuck.write_text(
        "import threading\n"
        "def test_stuck():\n"
        "    try:\n"
        "        threading.Event().wait()\n"
        "    finally:\n"  # cleanup that blocks too: the signal method would wait here for ever
        "        threading.Event().wait()\n"
        "def test_after():\n"
        "    open('ran', 'w').close()\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(PYPROJECT), "--rootdir", str(tmp_path),
         "-p", "no:cacheprovider", "-o", "faulthandler_timeout=1", "-o", "timeout=3", str(stuck)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert run.returncode != 0
    assert 'test_stuck.py", line 4 in test_stuck' in run.stderr  # faulthandler's, at 1 s
    assert "+ Timeout +" in run.stdout + run.stderr  # pytest-timeout's, at 3 s
    assert not (tmp_path / "ran").exists()
