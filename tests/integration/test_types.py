"""mypy, with the project's configuration, rejects an adapter that does not satisfy its port."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The two ways the container states a port: a factory's return type, a provider's type argument.
EMBEDDER = """
from dependency_injector import providers

from cody_core.ports import JobSubmitter


class BatchLike:
    def submit(self, job_id: str, workers: int, max_repositories: int | None) -> str:
        return job_id


class ForgotMaxRepositories:
    def submit(self, job_id: str, workers: int) -> str:
        return job_id


def fitting() -> JobSubmitter:
    return BatchLike()


def drifted() -> JobSubmitter:
    return ForgotMaxRepositories()


fits = providers.Singleton[JobSubmitter](BatchLike)
drifts = providers.Singleton[JobSubmitter](ForgotMaxRepositories)
"""


def _line(text: str) -> int:
    return EMBEDDER.splitlines().index(text) + 1


def test_mypy_reports_each_class_that_does_not_fit_its_port(tmp_path):
    module = tmp_path / "embedder.py"
    module.write_text(EMBEDDER, encoding="utf-8")
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), str(module)]

    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)

    assert result.returncode == 1, result.stdout + result.stderr
    errors = {
        int(line.split("embedder.py:")[1].split(":")[0]): line
        for line in result.stdout.splitlines()
        if ": error:" in line
    }
    expected = {
        _line("    return ForgotMaxRepositories()"): "[return-value]",
        _line("drifts = providers.Singleton[JobSubmitter](ForgotMaxRepositories)"): "[arg-type]",
    }
    # Only the drifted ones: the imports resolved and the fitting class passed.
    assert sorted(errors) == sorted(expected), result.stdout
    for number, code in expected.items():
        assert code in errors[number] and "ForgotMaxRepositories" in errors[number]
