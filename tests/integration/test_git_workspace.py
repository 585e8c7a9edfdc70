"""GitCliWorkspace against real bare repositories on disk."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from cody_adapters.git.workspace import GitCliWorkspace
from cody_core.errors import CodyError, InputError, NotFoundError
from cody_core.policies.references import RepositoryRef
from cody_core.ports import Checkout
from forge import branch_sha, git, make_bare_repo, push_commit, write_files

BINARY = bytes(range(256)) * 4
FILES = {
    "README.md": "# Demo\n",
    "src/app.py": "print('hello')\n",
    "old name.txt": "one\ntwo\nthree\nfour\nfive\n",
    "gone.txt": "bye\n",
    "logo.bin": BINARY,
}


@pytest.fixture
def temp_root(tmp_path: Path) -> Path:
    return tmp_path / "checkouts"


@pytest.fixture
def workspace(temp_root: Path) -> GitCliWorkspace:
    return GitCliWorkspace(temp_root)


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    return make_bare_repo(tmp_path, "origin.git", FILES)


def local(path: Path) -> RepositoryRef:
    return RepositoryRef(kind="local", name=str(path))


def git_dir_of(checkout: Checkout) -> Path:
    """The checkout's git dir, kept outside its work tree."""
    return Path(git("rev-parse", "--absolute-git-dir", cwd=checkout.path))


def checkouts_left(temp_root: Path) -> list[Path]:
    return sorted(temp_root.glob("cody-*")) if temp_root.exists() else []


def test_clone_is_a_shallow_checkout_of_the_default_branch(workspace, origin):
    first = branch_sha(origin, "main")
    second = push_commit(origin, "main", {"later.txt": "later\n"})

    checkout = workspace.clone(local(origin))

    assert checkout.default_branch == "main"
    assert checkout.head_sha == second != first
    assert git("rev-list", "--count", "HEAD", cwd=checkout.path) == "1"
    assert (checkout.path / "later.txt").read_text() == "later\n"


def test_clone_follows_a_default_branch_other_than_main_and_takes_no_other_refs(
    workspace, tmp_path
):
    origin = make_bare_repo(tmp_path, "trunk.git", {"a.txt": "a\n"}, default_branch="trunk")
    push_commit(origin, "feature", {"b.txt": "b\n"})
    git("tag", "v1", "trunk", cwd=origin)

    checkout = workspace.clone(local(origin))

    assert checkout.default_branch == "trunk"
    assert checkout.head_sha == branch_sha(origin, "trunk")
    assert git("for-each-ref", "--format=%(refname)", cwd=checkout.path).split() == [
        "refs/heads/trunk",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/trunk",
    ]


def test_clone_of_a_missing_repository_is_not_found_and_leaves_no_directory(
    workspace, temp_root, tmp_path
):
    with pytest.raises(NotFoundError):
        workspace.clone(local(tmp_path / "nowhere.git"))
    assert checkouts_left(temp_root) == []


def test_clone_of_a_directory_that_is_not_a_repository_is_not_found_and_leaves_nothing(
    workspace, temp_root, tmp_path
):
    (tmp_path / "plain").mkdir()

    with pytest.raises(NotFoundError):
        workspace.clone(local(tmp_path / "plain"))
    assert checkouts_left(temp_root) == []


def test_github_repositories_need_a_token(workspace):
    with pytest.raises(InputError, match="GITHUB_TOKEN is not set"):
        workspace.clone(RepositoryRef(kind="github", name="octo/demo"))


def test_diff_of_an_untouched_checkout_is_empty(workspace, origin):
    checkout = workspace.clone(local(origin))

    diff = workspace.diff(checkout)

    assert diff.empty
    assert diff.patch == ""


def _only_a_new_file_deep_down(tree: Path) -> None:
    write_files(tree, {"a/b/c/new.txt": "new\n"})


def _only_a_deletion(tree: Path) -> None:
    (tree / "gone.txt").unlink()


def _only_a_mode_change(tree: Path) -> None:
    (tree / "src/app.py").chmod(0o755)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (_only_a_new_file_deep_down, "a/b/c/new.txt"),
        (_only_a_deletion, "gone.txt"),
        (_only_a_mode_change, "src/app.py"),
    ],
)
def test_diff_sees_a_change_made_alone(workspace, origin, change, path):
    checkout = workspace.clone(local(origin))
    change(checkout.path)

    diff = workspace.diff(checkout)

    assert [f.path for f in diff.files] == [path]


def test_diff_sees_a_change_the_command_staged_itself(workspace, origin):
    checkout = workspace.clone(local(origin))
    write_files(checkout.path, {"staged.txt": "staged\n"})
    git("add", "staged.txt", cwd=checkout.path)  # what a codemod that runs `git add` leaves

    diff = workspace.diff(checkout)

    assert [f.path for f in diff.files] == ["staged.txt"]


def test_diff_ignores_what_gitignore_ignores(workspace, origin):
    checkout = workspace.clone(local(origin))
    write_files(checkout.path, {".gitignore": "build/\n", "build/out.o": "object\n"})

    assert [f.path for f in workspace.diff(checkout).files] == [".gitignore"]


def test_diff_sees_every_kind_of_change_and_its_patch_applies_to_a_fresh_clone(workspace, origin):
    checkout = workspace.clone(local(origin))
    tree = checkout.path
    write_files(tree, {"src/app.py": "print('hello')\nprint('again')\n"})
    write_files(tree, {"new dir/ünïcode ñame.txt": "fresh\n", "logo.bin": BINARY[::-1]})
    (tree / "gone.txt").unlink()
    (tree / "old name.txt").rename(tree / "new name.txt")

    diff = workspace.diff(checkout)

    changes = {change.path: change for change in diff.files}
    assert set(changes) == {
        "src/app.py",
        "new dir/ünïcode ñame.txt",
        "logo.bin",
        "gone.txt",
        "new name.txt",
    }
    assert (changes["src/app.py"].added, changes["src/app.py"].removed) == (1, 0)
    assert (changes["gone.txt"].added, changes["gone.txt"].removed) == (0, 1)
    assert (changes["new name.txt"].added, changes["new name.txt"].removed) == (0, 0)
    assert changes["logo.bin"].binary
    assert not changes["src/app.py"].binary
    assert "rename from old name.txt" in diff.patch
    assert (diff.lines_added, diff.lines_removed) == (2, 1)

    fresh = workspace.clone(local(origin))
    (fresh.path.parent / "change.patch").write_text(diff.patch, encoding="utf-8")
    git("apply", "--check", fresh.path.parent / "change.patch", cwd=fresh.path)
    git("apply", fresh.path.parent / "change.patch", cwd=fresh.path)
    assert (fresh.path / "logo.bin").read_bytes() == BINARY[::-1]
    assert (fresh.path / "new dir/ünïcode ñame.txt").read_text() == "fresh\n"
    assert not (fresh.path / "old name.txt").exists()


def test_commit_runs_no_hook_a_command_planted_and_ignores_the_users_git_config(
    workspace, origin, tmp_path, monkeypatch
):
    home = tmp_path / "user-home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Wrong\n[commit]\n\tgpgSign = true\n")
    monkeypatch.setenv("HOME", str(home))
    checkout = workspace.clone(local(origin))
    marker = tmp_path / "hook-ran"
    for hook in ("pre-commit", "commit-msg", "post-commit", "post-checkout"):
        path = git_dir_of(checkout) / "hooks" / hook
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"#!/bin/sh\necho {hook} >> '{marker}'\n")
        path.chmod(0o755)
    write_files(checkout.path, {"README.md": "# Changed\n"})

    workspace.diff(checkout)  # commit takes what diff staged
    sha = workspace.commit(checkout, "Change the readme")

    assert not marker.exists()
    author = git("log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", sha, cwd=checkout.path)
    expected = "Cody Batch <cody-batch@users.noreply.github.com>"
    assert author == f"{expected}|{expected}|Change the readme"


def test_push_of_a_new_branch_lands_in_the_origin(workspace, origin):
    checkout = workspace.clone(local(origin))
    write_files(checkout.path, {"added.txt": "added\n"})
    expected = workspace.remote_branch_sha(checkout, "cody/job-1")
    workspace.diff(checkout)  # commit takes what diff staged
    sha = workspace.commit(checkout, "Add a file")

    workspace.push(checkout, "cody/job-1", expected)

    assert expected is None
    assert branch_sha(origin, "cody/job-1") == sha
    assert workspace.remote_branch_sha(checkout, "cody/job-1") == sha


def test_push_replaces_the_branch_it_read_even_when_not_a_fast_forward(workspace, origin):
    earlier = push_commit(origin, "cody/job-1", {"first.txt": "first attempt\n"})
    checkout = workspace.clone(local(origin))
    write_files(checkout.path, {"second.txt": "second attempt\n"})
    workspace.diff(checkout)  # commit takes what diff staged
    sha = workspace.commit(checkout, "Second attempt")

    workspace.push(checkout, "cody/job-1", workspace.remote_branch_sha(checkout, "cody/job-1"))

    assert branch_sha(origin, "cody/job-1") == sha != earlier


def test_push_is_refused_as_a_conflict_when_the_branch_moved_since_it_was_read(workspace, origin):
    checkout = workspace.clone(local(origin))
    expected = workspace.remote_branch_sha(checkout, "cody/job-1")
    theirs = push_commit(origin, "cody/job-1", {"theirs.txt": "someone else\n"})
    write_files(checkout.path, {"ours.txt": "ours\n"})
    workspace.diff(checkout)  # commit takes what diff staged
    workspace.commit(checkout, "Ours")

    with pytest.raises(CodyError) as raised:
        workspace.push(checkout, "cody/job-1", expected)

    assert raised.value.kind == "conflict"
    assert branch_sha(origin, "cody/job-1") == theirs


def test_push_goes_to_the_origin_of_the_clone_whatever_the_command_wrote_in_git_config(
    workspace, origin, tmp_path
):
    decoy = make_bare_repo(tmp_path, "decoy.git", {"x": "x\n"})
    checkout = workspace.clone(local(origin))
    git("remote", "set-url", "origin", decoy, cwd=checkout.path)
    git("config", f"url.file://{decoy}.insteadOf", f"file://{origin}", cwd=checkout.path)
    write_files(checkout.path, {"added.txt": "added\n"})
    workspace.diff(checkout)  # commit takes what diff staged
    sha = workspace.commit(checkout, "Add a file")

    workspace.push(checkout, "cody/job-1", None)

    assert branch_sha(origin, "cody/job-1") == sha
    assert branch_sha(decoy, "cody/job-1") is None


def test_remote_branch_sha_matches_the_whole_branch_name_only(workspace, origin):
    nested = push_commit(origin, "team/fix", {"a.txt": "a\n"})
    checkout = workspace.clone(local(origin))

    assert workspace.remote_branch_sha(checkout, "fix") is None
    assert workspace.remote_branch_sha(checkout, "team/fix") == nested


def test_git_runs_without_secrets_or_the_callers_git_settings(
    workspace, origin, tmp_path, monkeypatch
):
    seen = tmp_path / "server-env.txt"
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nenv > '{seen}'\n")
    hook.chmod(0o755)
    for name in ("GITHUB_TOKEN", "CLAUDE_API_KEY", "ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "hush-hush")
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "elsewhere.index"))
    checkout = workspace.clone(local(origin))
    write_files(checkout.path, {"added.txt": "added\n"})
    workspace.diff(checkout)  # commit takes what diff staged
    workspace.commit(checkout, "Add a file")

    workspace.push(checkout, "cody/job-1", None)

    environment = seen.read_text()
    assert "hush-hush" not in environment
    assert "GIT_TERMINAL_PROMPT=0" in environment
    assert not (tmp_path / "elsewhere.index").exists()


def test_a_secret_value_under_any_name_stays_out_of_git(origin, temp_root, tmp_path, monkeypatch):
    seen = tmp_path / "server-env.txt"
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nenv > '{seen}'\n")
    hook.chmod(0o755)
    monkeypatch.setenv("MY_PERSONAL_TOKEN", "configured-secret-value")
    workspace = GitCliWorkspace(temp_root, secrets=("configured-secret-value",))
    checkout = workspace.clone(local(origin))
    write_files(checkout.path, {"added.txt": "added\n"})
    workspace.diff(checkout)
    workspace.commit(checkout, "Add a file")

    workspace.push(checkout, "cody/job-1", None)

    assert "configured-secret-value" not in seen.read_text()


def test_cleanup_removes_the_checkout_even_with_read_only_directories(workspace, origin):
    checkout = workspace.clone(local(origin))
    locked = checkout.path / "locked" / "deeper"
    write_files(locked, {"file.txt": "x\n"})
    for directory in (locked, locked.parent):
        directory.chmod(stat.S_IRUSR | stat.S_IXUSR)

    workspace.cleanup(checkout)
    workspace.cleanup(checkout)

    assert not checkout.path.exists()


def test_cleanup_never_deletes_a_directory_the_workspace_did_not_clone(workspace, tmp_path):
    precious = tmp_path / "precious"
    write_files(precious, {"keep.txt": "keep\n"})

    workspace.cleanup(Checkout(local(precious), precious, "main", "0" * 40))

    assert (precious / "keep.txt").exists()


def test_a_failed_clone_says_why_and_removes_its_directory(workspace, temp_root, tmp_path):
    corrupt = make_bare_repo(tmp_path, "corrupt.git", {"a.txt": "a\n"})
    for loose in (corrupt / "objects").glob("??/*"):
        loose.unlink()

    with pytest.raises(CodyError) as raised:
        workspace.clone(local(corrupt))

    assert raised.value.kind == "git"
    assert "clone" in str(raised.value)
    assert checkouts_left(temp_root) == []


def test_commit_of_nothing_fails_clearly(workspace, origin):
    checkout = workspace.clone(local(origin))

    with pytest.raises(CodyError, match="nothing to commit"):
        workspace.diff(checkout)  # commit takes what diff staged
        workspace.commit(checkout, "Empty")


def test_an_empty_repository_cannot_be_cloned_and_leaves_nothing(workspace, temp_root, tmp_path):
    empty = tmp_path / "empty.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(empty)], check=True)

    with pytest.raises(CodyError) as raised:
        workspace.clone(local(empty))

    assert raised.value.kind == "empty-repository"
    assert checkouts_left(temp_root) == []
