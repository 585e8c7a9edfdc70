"""The README's "Embedding cody_core" samples: the builder's runs, the store's passes the suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cody_core.testing.store_contract import JobStoreContract

ROOT = Path(__file__).resolve().parents[2]
STORE = '''
from contract.test_embedder_store import JsonDictJobStore
from cody_core import Clock


class PostgresJobStore(JsonDictJobStore):
    """Stands in for the README's: the embedder's store of tests/contract."""

    def __init__(self, dsn: str, clock: Clock) -> None:
        assert dsn == "postgresql://example"
        super().__init__(clock)
'''


def blocks(language: str) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Embedding cody_core\n")
    section = readme[start : readme.index("\n## ", start + 1)]
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def environment(home: Path, **more: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("CODY_", "ALLOWED_"))}
    return {**kept, "CODY_HOME": str(home), **more}


def test_the_builder_sample_runs(tmp_path: Path) -> None:
    builder = blocks("python")[0]

    result = subprocess.run(
        [sys.executable, "-c", builder],
        env=environment(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr


def test_the_store_sample_runs_the_whole_contract_suite_and_passes(tmp_path: Path) -> None:
    (tmp_path / "my_service").mkdir()
    (tmp_path / "my_service" / "__init__.py").write_text("")
    (tmp_path / "my_service" / "store.py").write_text(STORE)
    (tmp_path / "test_store.py").write_text(blocks("python")[1])
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    python_path = os.pathsep.join([str(tmp_path), str(ROOT / "tests")])

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_store.py"],
        env=environment(tmp_path, PYTHONPATH=python_path, DATABASE_URL="postgresql://example"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    suite = [name for name in dir(JobStoreContract) if name.startswith("test_")]
    assert f"{len(suite)} passed" in result.stdout, result.stdout


def test_the_example_the_section_runs_exists() -> None:
    (commands,) = blocks("sh")

    assert "examples/job_api.py --port 8080" in commands
    assert (ROOT / "examples" / "job_api.py").is_file()
