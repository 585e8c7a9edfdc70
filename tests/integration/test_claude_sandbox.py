"""The Claude file tools on a real working tree: what they allow, refuse, cut and redact."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from anthropic.lib.tools import ToolError

from cody_adapters.claude.sandbox import Sandbox

SECRET = "hunter2-very-secret-value"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def main():\n    return old_call()\n")
    (root / "README.md").write_text("# Demo\n\nold_call is documented here.\n")
    (root / ".git" / "hooks").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n\told_call = true\n")
    return root


@pytest.fixture
def sandbox(tree: Path) -> Sandbox:
    return Sandbox(tree, secrets=[SECRET])


def call(sandbox: Sandbox, name: str, **input: Any) -> tuple[bool, str]:
    """(True, result) when the tool succeeded, (False, error text) when it refused."""
    (tool,) = [tool for tool in sandbox.tools() if tool.name == name]
    try:
        return True, asyncio.run(tool.call(input))
    except ToolError as exc:
        return False, str(exc.content)


def test_the_tools_are_the_file_tools_without_bash(sandbox: Sandbox) -> None:
    names = [tool.name for tool in sandbox.tools()]

    assert names == ["read", "write", "edit", "glob", "grep"]
    assert all(tool.to_dict()["input_schema"]["type"] == "object" for tool in sandbox.tools())


def test_read_write_and_edit_work_inside_the_tree(sandbox: Sandbox, tree: Path) -> None:
    assert call(sandbox, "read", file_path="src/app.py") == (
        True,
        "def main():\n    return old_call()\n",
    )
    assert call(sandbox, "write", file_path="docs/new.md", content="hello\n")[0]
    assert call(sandbox, "edit", file_path="src/app.py", old_string="old_", new_string="new_")[0]

    assert (tree / "docs" / "new.md").read_text() == "hello\n"
    assert (tree / "src" / "app.py").read_text() == "def main():\n    return new_call()\n"


@pytest.mark.parametrize(
    ("name", "input"),
    [
        ("read", {"file_path": "../outside.txt"}),
        ("read", {"file_path": "/etc/passwd"}),
        ("write", {"file_path": "../outside.txt", "content": "x"}),
        ("write", {"file_path": "/tmp/cody-sandbox-escape.txt", "content": "x"}),
        ("edit", {"file_path": "../outside.txt", "old_string": "a", "new_string": "b"}),
        ("grep", {"pattern": "root", "path": "/etc"}),
        ("glob", {"pattern": "../*"}),
        ("glob", {"pattern": "/etc/*"}),
        ("glob", {"pattern": "*", "path": ".."}),
    ],
)
def test_paths_outside_the_tree_are_refused(
    sandbox: Sandbox, tree: Path, name: str, input: dict[str, Any]
) -> None:
    (tree.parent / "outside.txt").write_text("a\n")

    ok, text = call(sandbox, name, **input)

    assert not ok and text.startswith(f"{name}:")
    assert (tree.parent / "outside.txt").read_text() == "a\n"
    assert not Path("/tmp/cody-sandbox-escape.txt").exists()


@pytest.mark.parametrize(
    ("name", "input"),
    [
        ("read", {"file_path": ".git/config"}),
        ("read", {"file_path": "src/../.git/config"}),
        ("write", {"file_path": ".git/config", "content": "x"}),
        ("write", {"file_path": ".git/hooks/pre-commit", "content": "#!/bin/sh\nexit 1\n"}),
        ("edit", {"file_path": ".git/config", "old_string": "core", "new_string": "x"}),
        ("write", {"file_path": "vendor/lib/.git/config", "content": "x"}),
        ("glob", {"pattern": "*", "path": ".git"}),
        ("grep", {"pattern": "old_call", "path": ".git"}),
        ("read", {"file_path": ".GIT/config"}),
    ],
)
def test_git_metadata_is_off_limits(
    sandbox: Sandbox, tree: Path, name: str, input: dict[str, Any]
) -> None:
    before = (tree / ".git" / "config").read_text()

    ok, text = call(sandbox, name, **input)

    assert not ok and ".git is off limits" in text
    assert (tree / ".git" / "config").read_text() == before
    assert not (tree / ".git" / "hooks" / "pre-commit").exists()
    assert not (tree / "vendor").exists()


def test_the_git_file_of_a_worktree_is_off_limits_too(tmp_path: Path) -> None:
    root = tmp_path / "worktree"
    root.mkdir()
    (root / ".git").write_text("gitdir: /somewhere/else/.git/worktrees/x\n")
    (root / "a.txt").write_text("gitdir is mentioned here\n")
    sandbox = Sandbox(root)

    assert not call(sandbox, "read", file_path=".git")[0]
    assert not call(sandbox, "write", file_path=".git", content="gitdir: /etc\n")[0]
    assert call(sandbox, "glob", pattern="*") == (True, "a.txt")
    assert call(sandbox, "grep", pattern="gitdir") == (True, "a.txt:1:gitdir is mentioned here")


def test_glob_lists_relative_paths_and_never_git(sandbox: Sandbox) -> None:
    ok, listing = call(sandbox, "glob", pattern="**/*")

    assert ok
    assert listing.splitlines() == ["README.md", "src/", "src/app.py"]


def test_grep_finds_lines_with_relative_paths_and_skips_git(sandbox: Sandbox) -> None:
    ok, found = call(sandbox, "grep", pattern="old_call")

    assert ok
    assert sorted(found.splitlines()) == [
        "README.md:3:old_call is documented here.",
        "src/app.py:2:    return old_call()",
    ]


def test_symlinks_that_lead_outside_or_into_git_are_refused(
    sandbox: Sandbox, tree: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("outside\n")
    (tree / "etc").symlink_to("/etc")
    (tree / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (tree / "hooks").symlink_to(tree / ".git" / "hooks")

    assert not call(sandbox, "read", file_path="etc/passwd")[0]
    assert not call(sandbox, "read", file_path="leak.txt")[0]
    assert not call(sandbox, "write", file_path="leak.txt", content="x")[0]
    ok, text = call(sandbox, "write", file_path="hooks/pre-commit", content="#!/bin/sh\n")
    assert not ok and ".git is off limits" in text
    assert call(sandbox, "glob", pattern="**/*")[1].splitlines() == [
        "README.md",
        "src/",
        "src/app.py",
    ]
    assert (tmp_path / "secret.txt").read_text() == "outside\n"
    assert not (tree / ".git" / "hooks" / "pre-commit").exists()


def test_a_symlink_inside_the_tree_is_followed(sandbox: Sandbox, tree: Path) -> None:
    (tree / "app.py").symlink_to(tree / "src" / "app.py")

    assert call(sandbox, "read", file_path="app.py")[1].startswith("def main")


def test_large_and_binary_files_are_refused_with_a_way_forward(tree: Path) -> None:
    sandbox = Sandbox(tree, max_file_bytes=1_000)
    (tree / "big.txt").write_text("line\n" * 1_000)
    (tree / "logo.bin").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (tree / "logo.png").write_bytes(b"not really a png")
    (tree / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))

    ok, text = call(sandbox, "read", file_path="big.txt")
    assert not ok and "view_range" in text
    assert call(sandbox, "read", file_path="big.txt", view_range=[2, 3]) == (True, "line\nline")
    assert not call(sandbox, "edit", file_path="big.txt", old_string="l", new_string="L")[0]
    ok, text = call(sandbox, "write", file_path="huge.txt", content="x" * 2_000)
    assert not ok and "limit" in text and not (tree / "huge.txt").exists()
    for name in ("logo.bin", "logo.png", "latin1.txt"):
        ok, text = call(sandbox, "read", file_path=name)
        assert not ok and "only text files" in text, name
        ok, text = call(sandbox, "edit", file_path=name, old_string="P", new_string="Q")
        assert not ok and "only text files" in text, name
    assert (tree / "logo.bin").read_bytes() == b"\x89PNG\r\n\x1a\n\0\0\0"


def test_a_utf8_character_cut_by_the_sniff_is_still_text(sandbox: Sandbox, tree: Path) -> None:
    text = "a" * 8191 + "é" + "\n"
    (tree / "wide.txt").write_text(text)

    assert call(sandbox, "read", file_path="wide.txt") == (True, text)


def test_listings_and_search_results_are_cut_and_say_so(tree: Path) -> None:
    sandbox = Sandbox(tree, max_listed=5, max_search_lines=3)
    for index in range(10):
        (tree / f"file{index}.txt").write_text("needle\n" * 2)

    listing = call(sandbox, "glob", pattern="*.txt")[1].splitlines()
    found = call(sandbox, "grep", pattern="needle")[1].splitlines()

    assert listing[:5] == [f"file{index}.txt" for index in range(5)]
    assert listing[5] == "[cut: 5 of 10 matches shown; narrow the pattern or give a path]"
    assert len(found) == 4
    assert found[3] == "[cut: 3 of 20 lines shown; narrow the pattern or give a path]"


def test_configured_secrets_are_redacted_from_results_and_errors(
    sandbox: Sandbox, tree: Path
) -> None:
    (tree / "settings.py").write_text(f'TOKEN = "{SECRET}"\n')

    assert call(sandbox, "read", file_path="settings.py") == (True, 'TOKEN = "***"\n')
    assert call(sandbox, "grep", pattern="TOKEN") == (True, 'settings.py:1:TOKEN = "***"')
    ok, text = call(sandbox, "read", file_path=f"{SECRET}.txt")
    assert not ok and SECRET not in text and "***" in text


@pytest.mark.parametrize(
    ("name", "input", "expected"),
    [
        ("read", {"path": "README.md"}, "read: invalid input (file_path: Missing required"),
        ("write", {"file_path": "a.txt"}, "write: invalid input (content: Missing required"),
        ("read", {"file_path": 7}, "read: invalid input (file_path: Input should be"),
    ],
)
def test_malformed_input_is_an_error_that_names_the_fields(
    sandbox: Sandbox, name: str, input: dict[str, Any], expected: str
) -> None:
    ok, text = call(sandbox, name, **input)

    assert not ok and text.startswith(expected)
    assert "it takes" in text and "file_path" in text


def test_a_bad_regular_expression_is_an_error(sandbox: Sandbox) -> None:
    ok, text = call(sandbox, "grep", pattern="(unclosed")

    assert not ok and text.startswith("grep:")


def test_a_fifo_is_refused_without_blocking(sandbox: Sandbox, tree: Path) -> None:
    os.mkfifo(tree / "pipe")

    ok, text = call(sandbox, "read", file_path="pipe")

    assert not ok and "not a regular file" in text


def test_a_real_repositorys_git_directory_cannot_be_written(tmp_path: Path) -> None:
    root = tmp_path / "real"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    real = Sandbox(root)

    for path in (".git/config", ".git/hooks/post-checkout", ".git/info/exclude"):
        assert not call(real, "write", file_path=path, content="x")[0]

    assert "x" not in (root / ".git" / "config").read_text()
    assert not (root / ".git" / "hooks" / "post-checkout").exists()
