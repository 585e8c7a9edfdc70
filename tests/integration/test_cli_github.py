"""The cody command on GitHub repositories: git over smart HTTP and the REST API, both on loopback.

Repositories live as bare repositories served by `GitHttpServer` (which demands the token) and
as records of `GitHubFake` (whose every answer is checked against GitHub's OpenAPI description);
`cody` runs in-process through CliRunner, and once as a real `python -m cody_cli` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import git_http_server
from cli_support import GITHUB_TOKEN, cody, create, runs_of, status
from cody_cli.job_commands import container
from forge import branch_sha, git, make_bare_repo, push_commit
from git_http_server import GitHttpServer, files_holding, secret_forms
from github_fake import DOCS, Canned, FakePull, GitHubFake, rate_limited

OWNER = "octo"
PULLS = "/repos/{owner}/{repo}/pulls"
PULL = "/repos/{owner}/{repo}/pulls/{pull_number}"
LABELS = "/repos/{owner}/{repo}/issues/{issue_number}/labels"
CHANGED = {"app.py": "x = old_call()\n", "README.md": "hi\n"}
UNCHANGED = {"app.py": "x = 1\n", "README.md": "hi\n"}


class LossyGitHub(GitHubFake):
    """A GitHubFake that can open a pull request and then lose its answer, as a proxy might."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.losses: list[str] = []  # "502" or "reset", one per pull request opened
        self.lost = 0

    def _create(self, repository: Any, body: dict[str, Any]) -> Canned:
        answer = super()._create(repository, body)
        if answer.status != 201 or not self.losses:
            return answer
        self.lost += 1
        if self.losses.pop(0) == "reset":  # the handler dies: the connection closes unanswered
            raise ConnectionResetError("the answer to POST /pulls was lost")
        return Canned(502, {"message": "Server Error", "documentation_url": DOCS})


@dataclass
class GitHub:
    """Both loopback servers, and the bare repositories the git server serves."""

    fake: LossyGitHub
    git: GitHttpServer
    root: Path

    def add(self, name: str, files: dict[str, str], archived: bool = False) -> str:
        make_bare_repo(self.root / OWNER, f"{name}.git", files)
        self.fake.add_repository(f"{OWNER}/{name}", archived=archived)
        return f"{OWNER}/{name}"

    def bare(self, repository: str) -> Path:
        return self.root / f"{repository}.git"

    def pulls(self, repository: str) -> list[FakePull]:
        return self.fake.repositories[repository].pulls

    def posts(self, repository: str) -> list[int]:
        """The statuses of the answers to POST /pulls of one repository."""
        path = f"/repos/{repository}/pulls"
        return [e.status for e in self.fake.requests("POST", PULLS) if e.path == path]

    def html_url(self, repository: str) -> str:
        """The html_url GitHub gives the repository's one pull request."""
        (pull,) = self.pulls(repository)
        return self.fake.pull_body(self.fake.repositories[repository], pull)["html_url"]

    def git_targets(self, repository: str) -> list[str]:
        return [r.target for r in self.git.requests if r.target.startswith(f"/{repository}.git/")]


@pytest.fixture
def github(env, tmp_path, monkeypatch, openapi) -> Iterator[GitHub]:
    fake = LossyGitHub(GITHUB_TOKEN)
    server = GitHttpServer(tmp_path / "github", GITHUB_TOKEN)
    with server.running(), fake.running():
        monkeypatch.setenv("GITHUB_SERVER_URL", server.url)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("ALLOWED_REPOSITORIES", f"{OWNER}/*")
        container.reset_singletons()
        yield GitHub(fake, server, tmp_path / "github")
    assert openapi.undocumented(fake) == []
    assert server.leaks == []  # no process ever held the token on its command line


def test_one_pull_request_per_changed_repository_and_no_second_on_rerun_or_retry(github):
    repositories = [
        github.add("app-1", CHANGED),
        github.add("app-2", CHANGED),
        github.add("docs", UNCHANGED),
    ]
    job_id = create(repositories, "--label", "cody")
    # app-1's label is refused once, after its pull request was opened: that run fails, so that
    # `cody job retry` later sends Cody back to a repository whose pull request already exists.
    refused = Canned(403, {"message": "Resource not accessible by integration"})
    github.fake.answer_next("POST", LABELS, refused)

    first = cody("job", "run", job_id, "0", code=1)  # a repository failed

    assert f"{job_id} completed: 2 completed, 1 failed" in first.stdout
    runs = runs_of(job_id)
    assert runs["octo/app-1"]["error"]["kind"] == "auth"
    assert [github.posts(r) for r in repositories] == [[201], [201], []]
    assert [len(github.pulls(r)) for r in repositories] == [1, 1, 0]
    branch = f"cody/{job_id}"
    pushed = {r: branch_sha(github.bare(r), branch) for r in repositories}
    assert pushed["octo/app-1"] and pushed["octo/app-2"] and pushed["octo/docs"] is None
    assert runs["octo/app-2"]["pullRequestUrl"] == github.html_url("octo/app-2")
    assert runs["octo/app-2"]["commitSha"] == pushed["octo/app-2"]
    reads = Counter(e.path for e in github.fake.requests("GET", "/repos/{owner}/{repo}"))
    assert set(reads.values()) == {1}, reads  # one GET per repository, changed or not
    assert runs["octo/docs"]["wereChangesNecessary"] is False

    seen = (len(github.fake.exchanges), len(github.git.requests))
    cody("job", "run", job_id, "0", code=1)  # finished: nothing is cloned or asked for
    assert (len(github.fake.exchanges), len(github.git.requests)) == seen

    assert cody("job", "retry", job_id, "--all").stdout.strip() == "1 repository back to pending"
    cody("job", "run", job_id, "0")

    report = status(job_id)
    assert report["status"] == "completed"
    assert (report["completedCount"], report["failedCount"]) == (3, 0)
    runs = {run["repositoryName"]: run for run in report["repositories"]}
    assert [github.posts(r) for r in repositories] == [[201], [201], []]
    assert [len(github.pulls(r)) for r in repositories] == [1, 1, 0]
    (found,) = github.pulls("octo/app-1")
    assert (found.head, found.base, found.labels) == (branch, "main", ["cody"])
    assert found.title == "Cody: rename"
    assert [e.path for e in github.fake.requests("PATCH", PULL)] == ["/repos/octo/app-1/pulls/1"]
    for repository in ("octo/app-1", "octo/app-2"):
        assert runs[repository]["pullRequestUrl"] == github.html_url(repository)
        assert runs[repository]["commitSha"] == branch_sha(github.bare(repository), branch)
        shown = git("show", f"{branch}:app.py", cwd=github.bare(repository))
        assert shown == "x = new_call()"
    assert runs["octo/app-1"]["attempt"] == 1


@pytest.mark.parametrize("loss", ["502", "reset"])
def test_a_pull_request_whose_creation_answer_was_lost_is_not_opened_twice(github, loss):
    repository = github.add("app", CHANGED)
    job_id = create([repository])
    github.fake.losses.append(loss)

    cody("job", "run", job_id)

    run = runs_of(job_id)[repository]
    assert run["status"] == "completed", run
    assert github.fake.lost == 1
    # PyGithub repeats the POST (every write Cody makes may be repeated); GitHub then says the
    # pull request exists, and Cody takes that one.
    assert github.posts(repository) == ([502, 422] if loss == "502" else [422])
    assert len(github.pulls(repository)) == 1
    assert run["pullRequestUrl"] == github.html_url(repository)


@pytest.mark.slow
def test_the_token_is_in_no_file_output_or_record_of_a_worker_process(github, env):
    repositories = [github.add("app", CHANGED), github.add("docs", UNCHANGED)]
    job_id = create(repositories)

    worker = subprocess.run(
        [sys.executable, "-m", "cody_cli", "job", "run", job_id, "0", "--log-format", "json"],
        capture_output=True,
        timeout=120,
        env=os.environ.copy(),
    )

    assert worker.returncode == 0, worker.stderr
    assert worker.stdout.decode().startswith(f"{job_id} completed")
    events = [json.loads(line) for line in worker.stderr.decode().splitlines()]
    assert {e["repository"] for e in events if e["event"] == "run.completed"} == set(repositories)
    assert len(github.pulls("octo/app")) == 1
    assert github.git.requests and all(r.authorized for r in github.git.requests)
    secrets = secret_forms(GITHUB_TOKEN)
    outputs = [worker.stdout, worker.stderr, cody("job", "status", job_id, "--json").stdout_bytes]
    outputs += [cody("job", "logs", job_id, r).stdout_bytes for r in repositories]
    assert not any(secret in output for secret in secrets for output in outputs)
    home, temp = Path(env["CODY_HOME"]), Path(env["TEMP_DIR"])
    assert (home / "cody.db").is_file() and any(p.is_file() for p in home.rglob("artifacts/**/*"))
    assert files_holding([home, temp], secrets) == []


def test_a_clone_refused_or_answered_with_the_token_stores_only_redacted_errors(
    github, env, monkeypatch
):
    repository = github.add("app", CHANGED)
    # A token the git server refuses: the clone is the first thing to use it (no pull requests).
    wrong = "ghp_" + "Wr0ngT0ken" * 3 + "abc123"
    monkeypatch.setenv("GITHUB_TOKEN", wrong)
    container.reset_singletons()
    refused = create([repository], "--no-create-prs")
    cody("job", "run", refused, code=1)
    assert github.git.requests and not any(r.authorized for r in github.git.requests)
    # The right token, but a server that quotes it back in git's error text.
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    container.reset_singletons()
    github.git.remote_error = "you sent " + " and ".join(
        s.decode() for s in secret_forms(GITHUB_TOKEN)
    )
    quoted = create([repository])
    cody("job", "run", quoted, code=1)

    refusal = runs_of(refused)[repository]
    assert (refusal["status"], refusal["error"]["kind"]) == ("failed", "auth")
    assert "GITHUB_TOKEN" in refusal["error"]["message"]
    quoting = runs_of(quoted)[repository]
    assert quoting["status"] == "failed"
    assert "you sent *** and ***" in quoting["error"]["message"]
    secrets = secret_forms(wrong) + secret_forms(GITHUB_TOKEN)
    records = [cody("job", "status", job, "--json").stdout_bytes for job in (refused, quoted)]
    records += [cody("job", "logs", job, repository).stdout_bytes for job in (refused, quoted)]
    assert not any(secret in record for secret in secrets for record in records)
    assert files_holding([Path(env["CODY_HOME"]), Path(env["TEMP_DIR"])], secrets) == []
    assert github.fake.requests("POST", PULLS) == []


def test_a_rate_limit_with_retry_after_on_a_pull_request_call_is_waited_for(github):
    repository = github.add("app", CHANGED)
    job_id = create([repository])
    github.fake.answer_next("POST", PULLS, rate_limited(retry_after=1))

    cody("job", "run", job_id)

    run = runs_of(job_id)[repository]
    assert (run["status"], run["attempt"]) == ("completed", 1)
    limited, created = github.fake.requests("POST", PULLS)
    assert (limited.status, limited.headers["retry-after"], created.status) == (403, "1", 201)
    assert created.at - limited.at >= 1
    assert run["pullRequestUrl"] == github.html_url(repository)


def push_theirs_when(monkeypatch, bare: Path, branch: str, moment: str) -> list[str]:
    """Someone else pushes to `branch` of `bare` just before the git server answers the first
    request of our push: its ref advertisement ("refs") or its ref update ("update").

    Returns a list that then holds their commit. Both moments come after Cody's ls-remote read
    the branch. Nothing Cody runs can move the branch there from the checkout: the command and
    the verify command both run before that read (what they push is what Cody reads and
    replaces, by design), processes they leave behind are killed when they exit, hooks never run
    and .git/config is restored before every git call. So the server moves it.
    """
    theirs: list[str] = []
    backend = git_http_server._Handler._backend
    asked = "?service=git-receive-pack" if moment == "refs" else "/git-receive-pack"

    def racing_backend(handler: git_http_server._Handler, body: bytes):
        if handler.path.endswith(asked) and not theirs:
            theirs.append(push_commit(bare, branch, {"theirs.txt": "theirs\n"}, "Theirs"))
        return backend(handler, body)

    monkeypatch.setattr(git_http_server._Handler, "_backend", racing_backend)
    return theirs


@pytest.mark.parametrize("branch_existed", [False, True], ids=["new-branch", "earlier-branch"])
@pytest.mark.parametrize(
    "moment",
    ["refs", "update"],  # before the server advertises the branch, or before it updates it
)
def test_a_branch_moved_between_our_read_and_our_push_is_a_conflict_and_keeps_their_commit(
    github, monkeypatch, moment, branch_existed
):
    repository = github.add("app", CHANGED)
    # A branch someone else pushed earlier is only overwritten when the job says so.
    job_id = create([repository], *(["--on-existing-branch", "replace"] if branch_existed else []))
    bare, branch = github.bare(repository), f"cody/{job_id}"
    read = push_commit(bare, branch, {"earlier.txt": "earlier\n"}) if branch_existed else None
    theirs = push_theirs_when(monkeypatch, bare, branch, moment)

    cody("job", "run", job_id, code=1)

    assert theirs and branch_sha(bare, branch) == theirs[0]
    assert github.fake.requests("POST", PULLS) == []
    run = runs_of(job_id)[repository]
    assert (run["status"], run["error"]["kind"]) == ("failed", "conflict"), run["error"]
    assert f"expected {read or 'no branch'}" in run["error"]["message"]


def test_an_archived_repository_is_skipped_and_never_cloned(github):
    archived = github.add("old", CHANGED, archived=True)
    live = github.add("app", CHANGED)
    job_id = create([archived, live])

    result = cody("job", "run", job_id)

    assert "1 completed, 0 failed, 1 skipped" in result.stdout
    runs = runs_of(job_id)
    assert (runs[archived]["status"], runs[archived]["error"]["kind"]) == ("skipped", "archived")
    assert github.git_targets(archived) == []
    assert github.git_targets(live)  # the other one was cloned and pushed over the same server
    assert branch_sha(github.bare(archived), f"cody/{job_id}") is None
    assert github.posts(archived) == [] and github.posts(live) == [201]


def test_a_branch_someone_else_pushed_is_left_alone_and_the_run_skipped(github):
    repository, other = github.add("app", CHANGED), github.add("api", CHANGED)
    job_id = create([repository, other])
    bare, branch = github.bare(repository), f"cody/{job_id}"
    theirs = push_commit(bare, branch, {"theirs.txt": "theirs\n"})

    result = cody("job", "run", job_id)

    assert "1 completed, 0 failed, 1 skipped" in result.stdout
    run = runs_of(job_id)[repository]
    assert (run["status"], run["error"]["kind"]) == ("skipped", "branch-exists")
    assert branch_sha(bare, branch) == theirs
    assert github.posts(repository) == [] and github.posts(other) == [201]
    assert runs_of(job_id)[other]["pushedSha"] == branch_sha(github.bare(other), branch)
