"""A small local "forge": bare git repositories with sample code, for the demo and the tests."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from cody_adapters.shared.environment import scrubbed_environ

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Cody Demo",
    "GIT_AUTHOR_EMAIL": "demo@cody.invalid",
    "GIT_COMMITTER_NAME": "Cody Demo",
    "GIT_COMMITTER_EMAIL": "demo@cody.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def make_bare_repo(
    root: Path, name: str, files: dict[str, str], default_branch: str = "main"
) -> Path:
    """Create `root/<name>.git` holding one commit of `files` on `default_branch`."""
    bare = root / f"{name}.git"
    env = {**scrubbed_environ(drop_prefixes=("GIT_",)), **_GIT_ENV}  # no caller's GIT_DIR

    def git(*args: str, cwd: Path) -> None:
        subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)

    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cody-forge-") as work:
        tree = Path(work)
        git("init", "-q", "-b", default_branch, ".", cwd=tree)
        for path, text in files.items():
            target = tree / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        git("add", "-A", cwd=tree)
        git("commit", "-q", "-m", "Initial commit", cwd=tree)
        git("clone", "-q", "--bare", str(tree), str(bare), cwd=root)
    return bare


DEPRECATED_TEST = """import unittest

from {module} import {function}


class {cls}Test(unittest.TestCase):
    def test_{function}(self):
        self.assertEquals({function}(2), {expected})


if __name__ == "__main__":
    unittest.main()
"""

SAMPLES = {
    "billing": ("invoice", "double", "x * 2", 4),
    "inventory": ("stock", "square", "x * x", 4),
    "shipping": ("rates", "increment", "x + 1", 3),
    "accounts": ("users", "negate", "-x", -2),
    "search": ("ranking", "halve", "x / 2", 1),
}


def build_demo_forge(root: Path) -> list[Path]:
    """Five small Python projects whose tests call the deprecated `assertEquals`, and one clean."""
    repos = []
    for name, (module, function, body, expected) in SAMPLES.items():
        files = {
            f"{module}.py": f"def {function}(x):\n    return {body}\n",
            f"test_{module}.py": DEPRECATED_TEST.format(
                module=module, function=function, cls=function.title(), expected=expected
            ),
            "README.md": f"# {name}\n\nA sample service.\n",
        }
        repos.append(make_bare_repo(root, name, files))
    clean = {"README.md": "# docs\n\nNothing to change here.\n", "notes.txt": "assertEqual\n"}
    repos.append(make_bare_repo(root, "docs", clean))
    return repos
