"""GitCliWorkspace on GitHub references, against git's smart HTTP protocol on loopback."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cody_adapters.git import workspace as git_workspace
from cody_adapters.git.workspace import GitCliWorkspace
from cody_core.errors import CodyError, InputError, NotFoundError
from cody_core.policies.references import RepositoryRef
from forge import branch_sha, git, make_bare_repo, push_commit, write_files
from git_http_server import PROC, GitHttpServer, files_holding, secret_forms

DEMO = RepositoryRef(kind="github", name="octo/demo")
BRANCH = "cody/job-1"


class RecordingSubprocess:
    """The subprocess module as the workspace sees it, keeping each git command and its env."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def run(self, args: list[str], **options: Any) -> subprocess.CompletedProcess[bytes]:
        self.calls.append((list(args), dict(options.get("env") or {})))
        return subprocess.run(args, **options)


@pytest.fixture
def token() -> str:
    return "ghs_" + secrets.token_hex(18)


@pytest.fixture
def forge(tmp_path: Path) -> Path:
    root = tmp_path / "forge"
    make_bare_repo(root / "octo", "demo.git", {"README.md": "# Demo\n", "app.py": "x = 1\n"})
    return root


@pytest.fixture
def server(forge: Path, token: str) -> Iterator[GitHttpServer]:
    with GitHttpServer(forge, token).running() as running:
        yield running


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> RecordingSubprocess:
    recording = RecordingSubprocess()
    monkeypatch.setattr(git_workspace, "subprocess", recording)
    return recording


def workspace_for(tmp_path: Path, server: GitHttpServer, token: str | None) -> GitCliWorkspace:
    return GitCliWorkspace(
        tmp_path / "checkouts",
        "Cody Test",
        "cody-test@example.com",
        github_server_url=server.url + "/",
        token=token,
    )


@pytest.fixture
def workspace(tmp_path: Path, server: GitHttpServer, token: str) -> GitCliWorkspace:
    return workspace_for(tmp_path, server, token)


def test_clone_commit_and_push_send_the_token_in_a_header_and_nowhere_else(
    workspace, server, forge, token, tmp_path, commands
):
    checkout = workspace.clone(DEMO)
    write_files(checkout.path, {"app.py": "x = 2\n"})
    expected = workspace.remote_branch_sha(checkout, BRANCH)
    workspace.diff(checkout)  # commit takes what diff staged
    sha = workspace.commit(checkout, "Change x")
    workspace.push(checkout, BRANCH, expected)

    assert expected is None
    assert branch_sha(forge / "octo" / "demo.git", BRANCH) == sha
    assert git("config", "remote.origin.url", cwd=checkout.path) == f"{server.url}/octo/demo.git"
    secrets_ = secret_forms(token)
    assert files_holding([tmp_path], secrets_) == []
    assert server.requests and all(r.authorized for r in server.requests)
    assert not any(s.decode() in r.target for r in server.requests for s in secrets_)
    for args, env in commands.calls:
        assert not any(s.decode() in arg for arg in args for s in secrets_), args
        holding = {
            name for name, value in env.items() if any(s.decode() in value for s in secrets_)
        }
        talks_to_server = any(word in args for word in ("clone", "ls-remote", "push"))
        assert holding == ({"GIT_CONFIG_VALUE_0"} if talks_to_server else set()), args
        assert env["GIT_TERMINAL_PROMPT"] == "0"
    if PROC.is_dir():
        assert server.git_command_lines, "no git process was seen while it waited for the server"
        assert server.leaks == []


def test_clone_is_shallow_and_takes_only_the_default_branch(workspace, forge):
    bare = forge / "octo" / "demo.git"
    push_commit(bare, "main", {"later.txt": "later\n"})
    push_commit(bare, "other", {"other.txt": "other\n"})

    checkout = workspace.clone(DEMO)

    assert checkout.default_branch == "main"
    assert checkout.head_sha == branch_sha(bare, "main")
    assert git("rev-list", "--count", "HEAD", cwd=checkout.path) == "1"
    assert "other" not in git("for-each-ref", "--format=%(refname)", cwd=checkout.path)


def test_commits_carry_the_configured_author_and_committer(workspace):
    checkout = workspace.clone(DEMO)
    write_files(checkout.path, {"new.txt": "new\n"})

    workspace.diff(checkout)  # commit takes what diff staged
    sha = workspace.commit(checkout, "Add new")

    people = git("log", "-1", "--format=%an <%ae>|%cn <%ce>", sha, cwd=checkout.path)
    assert people == "Cody Test <cody-test@example.com>|Cody Test <cody-test@example.com>"


def test_a_wrong_token_is_an_auth_error_that_does_not_quote_it(tmp_path, server, commands):
    wrong = "ghs_" + secrets.token_hex(18)
    workspace = workspace_for(tmp_path, server, wrong)

    with pytest.raises(CodyError) as raised:
        workspace.clone(DEMO)

    assert raised.value.kind == "auth"
    assert "GITHUB_TOKEN" in str(raised.value)
    assert not any(s.decode() in str(raised.value) for s in secret_forms(wrong))
    assert server.requests and not any(r.authorized for r in server.requests)
    assert not list((tmp_path / "checkouts").glob("cody-*"))


def test_git_error_text_is_redacted_before_it_becomes_an_error(workspace, server, token):
    credential = secret_forms(token)[1].decode()
    server.remote_error = f"you sent {token} as Basic {credential}"

    with pytest.raises(CodyError) as raised:
        workspace.clone(DEMO)

    message = str(raised.value)
    assert "you sent *** as Basic ***" in message
    assert token not in message and credential not in message


def test_a_push_to_an_archived_repository_is_reported_as_archived(workspace, server):
    checkout = workspace.clone(DEMO)
    write_files(checkout.path, {"new.txt": "new\n"})
    workspace.diff(checkout)  # commit takes what diff staged
    workspace.commit(checkout, "Add new")
    server.remote_error = "This repository was archived so it is read-only."

    with pytest.raises(CodyError) as raised:
        workspace.push(checkout, BRANCH, None)

    assert raised.value.kind == "archived"


def test_a_missing_repository_is_not_found(workspace):
    with pytest.raises(NotFoundError):
        workspace.clone(RepositoryRef(kind="github", name="octo/missing"))


def test_without_a_token_github_repositories_are_refused_before_git_runs(
    tmp_path, server, commands
):
    workspace = workspace_for(tmp_path, server, None)

    with pytest.raises(InputError, match="GITHUB_TOKEN is not set"):
        workspace.clone(DEMO)
    assert commands.calls == []


def test_a_push_never_overwrites_commits_pushed_after_the_branch_was_read(workspace, forge):
    bare = forge / "octo" / "demo.git"
    checkout = workspace.clone(DEMO)
    write_files(checkout.path, {"ours.txt": "ours\n"})
    expected = workspace.remote_branch_sha(checkout, BRANCH)
    workspace.diff(checkout)  # commit takes what diff staged
    workspace.commit(checkout, "Ours")
    theirs = push_commit(bare, BRANCH, {"theirs.txt": "theirs\n"})

    with pytest.raises(CodyError) as raised:
        workspace.push(checkout, BRANCH, expected)

    assert raised.value.kind == "conflict"
    assert branch_sha(bare, BRANCH) == theirs


def test_a_push_replaces_the_branch_it_read_and_refuses_one_that_moved(workspace, forge):
    bare = forge / "octo" / "demo.git"
    earlier = push_commit(bare, BRANCH, {"earlier.txt": "an earlier run\n"})
    first = workspace.clone(DEMO)
    write_files(first.path, {"ours.txt": "ours\n"})
    seen = workspace.remote_branch_sha(first, BRANCH)
    workspace.diff(first)  # commit takes what diff staged
    ours = workspace.commit(first, "Ours")

    workspace.push(first, BRANCH, seen)

    assert seen == earlier
    assert branch_sha(bare, BRANCH) == ours
    second = workspace.clone(DEMO)
    write_files(second.path, {"again.txt": "again\n"})
    workspace.diff(second)
    workspace.commit(second, "Again")
    moved = push_commit(bare, BRANCH, {"theirs.txt": "theirs\n"})
    with pytest.raises(CodyError) as raised:
        workspace.push(second, BRANCH, seen)
    assert raised.value.kind == "conflict"
    assert branch_sha(bare, BRANCH) == moved


def test_local_repositories_get_no_credentials_even_when_a_token_is_set(
    workspace, tmp_path, commands
):
    origin = make_bare_repo(tmp_path / "local", "origin.git", {"a.txt": "a\n"})

    checkout = workspace.clone(RepositoryRef(kind="local", name=str(origin)))
    workspace.remote_branch_sha(checkout, BRANCH)

    assert commands.calls
    assert not any("GIT_CONFIG_COUNT" in env for _, env in commands.calls)


def test_a_server_url_with_credentials_is_refused(tmp_path, token):
    with pytest.raises(InputError, match="GITHUB_SERVER_URL"):
        GitCliWorkspace(tmp_path, github_server_url="https://me:pw@github.com", token=token)


@pytest.mark.skipif(not PROC.is_dir(), reason="needs Linux /proc")
def test_the_server_sees_a_token_put_on_a_command_line(server, token):
    with_credentials = server.url.replace("http://", f"http://x-access-token:{token}@")

    git("ls-remote", f"{with_credentials}/octo/demo.git")

    assert server.leaks
    assert not server.requests[0].authorized  # git sends URL credentials only when challenged
