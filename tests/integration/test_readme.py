"""The README's "Using it" block, run as written on the demo's repositories."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cody_adapters.local.sample_forge import build_demo_forge
from forge import git

ROOT = Path(__file__).resolve().parents[2]


def using_it_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Using it\n") :]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "the Using it section has no sh block"
    return match.group(1)


@pytest.mark.slow
def test_the_using_it_block_runs_as_written_on_the_demo_forge(tmp_path, reachable_tmp):
    home, work = tmp_path / "home", tmp_path / "work"
    forge = home / "demo-forge"
    build_demo_forge(forge)  # what `make demo` builds
    work.mkdir()
    (work / ".venv").symlink_to(Path(sys.executable).parents[1])  # `make demo` made it here
    venv_bin = str(Path(sys.executable).parent)
    path = ":".join(p for p in os.environ["PATH"].split(":") if p != venv_bin)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CODY_", "ALLOWED_"))},
        "PATH": path,
        "CODY_HOME": str(home),
        "TEMP_DIR": str(reachable_tmp / "tmp"),  # as /tmp is: the sandbox's uids reach it
    }

    result = subprocess.run(
        ["bash", "-e", "-u", "-o", "pipefail", "-c", using_it_block()],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "error:" not in result.stderr
    assert "3 repositories: 3 completed" in result.stdout
    assert "none needed" in result.stdout  # docs has no Python file: nothing to change, no error
    checkout = tmp_path / "billing"
    git("clone", "-q", forge / "billing.git", checkout)
    git("apply", "--check", work / "billing.patch", cwd=checkout)
    assert "1 repository: 1 completed" in result.stdout  # `cody run` on shipping


@pytest.mark.slow
def test_make_demo_ends_by_saying_how_to_put_cody_on_the_path(tmp_path, reachable_tmp):
    venv_bin = Path(sys.executable).parent
    path = ":".join(p for p in os.environ["PATH"].split(":") if p != str(venv_bin))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CODY_", "CLAUDE_"))},
        "PATH": path,
        "CODY_HOME": str(tmp_path / "home"),
        "TEMP_DIR": str(reachable_tmp / "tmp"),  # as /tmp is: the sandbox's uids reach it
    }

    demo = subprocess.run(  # what `make demo` runs: $(BIN)/cody demo, from the top directory
        [str(venv_bin / "cody"), "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert demo.returncode == 0, demo.stderr
    last = demo.stderr.strip().splitlines()[-1]
    shown = f"$PWD/{venv_bin.relative_to(ROOT)}" if venv_bin.is_relative_to(ROOT) else venv_bin
    assert last == f'To put cody on your PATH: export PATH="{shown}:$PATH"'
