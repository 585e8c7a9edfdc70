"""GitCliWorkspace against what repository code can do to a checkout's git dir and index: the
fixes that hold whatever the sandbox (these run with the `none` tier, where nothing stops the
writes themselves)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cody_adapters.git.workspace import GitCliWorkspace
from cody_core.errors import CodyError
from cody_core.policies.references import RepositoryRef
from forge import branch_sha, git, make_bare_repo, write_files

FILES = {"app.py": "x = old_call()\n", "README.md": "hi\n"}


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    return make_bare_repo(tmp_path, "origin.git", FILES)


@pytest.fixture
def workspace(tmp_path: Path) -> GitCliWorkspace:
    return GitCliWorkspace(tmp_path / "checkouts")


@pytest.fixture
def checkout(workspace, origin):
    checkout = workspace.clone(RepositoryRef(kind="local", name=str(origin)))
    yield checkout
    workspace.cleanup(checkout)


def git_dir_of(path: Path) -> Path:
    return Path(git("rev-parse", "--absolute-git-dir", cwd=path))


def planted_script(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """An executable that leaves a marker when anything runs it."""
    marker = tmp_path / f"{name}-ran"
    script = tmp_path / f"{name}.sh"
    script.write_text(f"#!/bin/sh\necho ran >> '{marker}'\ncat\n")
    script.chmod(0o755)
    return script, marker


def tree_of(commit: str, cwd: Path) -> str:
    return git("ls-tree", "-r", "--name-only", commit, cwd=cwd)


def test_the_git_dir_is_kept_outside_the_work_tree(checkout):
    dot_git = checkout.path / ".git"

    assert dot_git.is_file()
    assert not git_dir_of(checkout.path).is_relative_to(checkout.path)


@pytest.mark.parametrize("where", ["commondir", "config.worktree", "include"])
def test_config_planted_beside_the_restored_config_runs_nothing_in_cody_git(
    workspace, checkout, tmp_path, where
):
    git_dir = git_dir_of(checkout.path)
    script, marker = planted_script(tmp_path, "fsmonitor")
    evil = f'[core]\n\tfsmonitor = {script}\n[filter "evil"]\n\tclean = {script}\n'
    if where == "commondir":
        common = tmp_path / "common"
        common.mkdir()
        (common / "config").write_text(evil)
        (git_dir / "commondir").write_text(f"{common}\n")
    elif where == "config.worktree":
        (git_dir / "config.worktree").write_text(evil)
        with (git_dir / "config").open("a") as config:
            config.write("[extensions]\n\tworktreeConfig = true\n")
    else:
        (tmp_path / "included").write_text(evil)
        with (git_dir / "config").open("a") as config:
            config.write(f"[include]\n\tpath = {tmp_path / 'included'}\n")
    (git_dir / "info").mkdir(exist_ok=True)
    (git_dir / "info" / "attributes").write_text("* filter=evil\n")
    write_files(checkout.path, {"app.py": "x = new_call()\n"})

    diff = workspace.diff(checkout)
    workspace.commit(checkout, "Rename")

    assert [f.path for f in diff.files] == ["app.py"]
    assert not marker.exists()
    for name in ("commondir", "config.worktree", "info"):
        assert not (git_dir / name).exists()


def test_object_alternates_and_a_swapped_shallow_list_are_undone(workspace, checkout, tmp_path):
    git_dir = git_dir_of(checkout.path)
    elsewhere = make_bare_repo(tmp_path, "elsewhere.git", {"other.txt": "other\n"})
    (git_dir / "objects" / "info").mkdir(exist_ok=True)
    (git_dir / "objects" / "info" / "alternates").write_text(f"{elsewhere / 'objects'}\n")
    shallow = (git_dir / "shallow").read_bytes()
    (git_dir / "shallow").unlink()
    write_files(checkout.path, {"app.py": "x = new_call()\n"})

    workspace.diff(checkout)

    assert not (git_dir / "objects" / "info" / "alternates").exists()
    assert (git_dir / "shallow").read_bytes() == shallow


def test_what_is_committed_and_pushed_is_the_tree_the_diff_judged(workspace, checkout, origin):
    write_files(checkout.path, {"app.py": "x = new_call()\n"})
    diff = workspace.diff(checkout)
    # Then a verify command stages a workflow, edits the change, and moves HEAD and the branch.
    write_files(checkout.path, {".github/workflows/x.yml": "on: push\n", "app.py": "evil\n"})
    git("add", "--all", cwd=checkout.path)
    git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "evil", cwd=checkout.path)

    sha = workspace.commit(checkout, "Rename")
    workspace.push(checkout, "cody/job-1", None)

    assert [f.path for f in diff.files] == ["app.py"]
    assert branch_sha(origin, "cody/job-1") == sha
    assert tree_of(sha, checkout.path).splitlines() == ["README.md", "app.py"]
    assert git("show", f"{sha}:app.py", cwd=checkout.path) == "x = new_call()"
    assert git("rev-parse", f"{sha}^", cwd=checkout.path) == checkout.head_sha
    patch = git("diff", "--binary", checkout.head_sha, sha, cwd=checkout.path)
    assert patch.strip() == diff.patch.strip()


def test_a_git_dir_swapped_for_another_is_refused(workspace, checkout, tmp_path):
    git_dir = git_dir_of(checkout.path)
    os.rename(git_dir, tmp_path / "moved")
    (tmp_path / "moved").rename(git_dir.parent / "decoy")
    os.symlink(git_dir.parent / "decoy", git_dir)
    write_files(checkout.path, {"app.py": "x = new_call()\n"})

    with pytest.raises(CodyError, match="replaced"):
        workspace.diff(checkout)
