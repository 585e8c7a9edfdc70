"""The hostile suite, git and the network: configuration a command plants in the git dir runs
nothing in cody's git and redirects no push; what is pushed is the tree the guardrails judged;
repository code reaches no listener on loopback and calls no denied system call."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from forge import branch_sha, git
from git_http_server import GitHttpServer
from github_fake import GitHubFake
from hostile_support import SECRETS

GIT_ATTACKS = ["git-commondir", "git-config-worktree", "git-info-and-hooks", "git-alternates"]
WRITES = {
    "git-commondir": "commondir",
    "git-config-worktree": "config.worktree",
    "git-info-and-hooks": "info",
    "git-alternates": "alternates",
}


@pytest.mark.parametrize("attack", GIT_ATTACKS)
def test_git_configuration_a_command_plants_runs_nothing_and_redirects_no_push(stage, tier, attack):
    scene = stage(tier)
    repo = scene.repo("target")

    job = scene.attack(attack, repo)

    run = job.run_of(repo)
    assert run["status"] == "completed", run
    assert not scene.canary.exists()  # no fsmonitor, filter or hook of theirs ran
    assert branch_sha(Path(repo), run["branch"]) == run["commitSha"]
    assert branch_sha(scene.decoy, run["branch"]) is None
    wrote = job.report(repo)[WRITES[attack]]
    assert wrote is (tier == "none")  # a confining tier keeps the git dir read-only


def test_a_planted_http_proxy_never_sees_the_push_or_the_token(stage, tier, tmp_path):
    scene = stage(tier)
    fake = GitHubFake(SECRETS["GITHUB_TOKEN"])
    server = GitHttpServer(tmp_path / "github", SECRETS["GITHUB_TOKEN"])
    with server.running(), fake.running():
        fake.add_repository("octo/app")
        scene.repo("app", root=tmp_path / "github" / "octo", url=f"{server.url}/octo/app.git")
        done = scene.cody(
            "run", "--name", "proxy", "--prompt", "p", "--repo", "octo/app",
            "--command", "python3 attack.py git-commondir sed",
            GITHUB_SERVER_URL=server.url, GITHUB_API_URL=fake.url, ALLOWED_REPOSITORIES="octo/*",
        )  # fmt: skip

    assert done.returncode == 0, done.stderr[-2000:]
    assert scene.listeners.reached().get("proxy", 0) == 0
    pushes = [r for r in server.requests if "git-receive-pack" in r.target and r.method == "POST"]
    assert pushes and all(r.authorized for r in pushes)
    assert len(fake.repositories["octo/app"].pulls) == 1
    assert not scene.canary.exists()


def test_the_pushed_commit_is_the_judged_diff_whatever_the_verify_command_does(stage, tier):
    scene = stage(tier)
    repo = scene.repo("target")

    job = scene.run(
        repo,
        command="sed -i s/old_call/new_call/ app.py",
        verify="python3 attack.py verify-stages-extra-files",
    )

    run = job.run_of(repo)
    pushed = job.pushed(repo)
    assert run["changedFiles"] == ["app.py"]
    assert set(pushed) == {"README.md", "app.py", "attack.py", "targets.json"}
    assert pushed["app.py"] == b"x = new_call()\n"
    base = git("rev-parse", f"{run['commitSha']}^", cwd=Path(repo))
    assert git("diff", "--binary", base, run["commitSha"], cwd=Path(repo)) == run["diff"].strip()
    assert branch_sha(Path(repo), run["branch"]) == run["commitSha"]


NETWORK = {"tcp-loopback": "tcp", "udp-loopback": "udp", "abstract-unix-socket": "abstract"}


@pytest.mark.parametrize("attack", sorted(NETWORK))
def test_repository_code_reaches_nothing_on_loopback(stage, confining_tier, attack):
    scene = stage(confining_tier)

    job = scene.attack(attack)

    assert scene.listeners.reached() == {}
    assert job.report(job.runs[0]["repositoryName"])[NETWORK[attack]] != "sent"


@pytest.mark.parametrize("attack", sorted(NETWORK))
def test_without_a_sandbox_loopback_is_reached(stage, attack):
    scene = stage("none")

    scene.attack(attack)

    assert scene.listeners.reached().get(NETWORK[attack], 0) >= 1


def test_a_job_with_network_reaches_loopback(stage, confining_tier):
    scene = stage(confining_tier)

    job = scene.attack("tcp-loopback", network="")

    assert job.document["network"] is True
    assert scene.listeners.reached().get("tcp", 0) >= 1


SYSCALLS = {"ptrace-attach": "ptrace", "io-uring": "io_uring", "keyring": "keyring"}


@pytest.mark.parametrize("attack", sorted(SYSCALLS))
def test_denied_system_calls_fail_with_eperm(stage, confining_tier, attack):
    scene = stage(confining_tier)

    job = scene.attack(attack)

    assert job.report(job.runs[0]["repositoryName"])[SYSCALLS[attack]] == errno.EPERM


@pytest.mark.parametrize("attack", sorted(SYSCALLS))
def test_without_a_sandbox_the_system_calls_work(stage, attack):
    scene = stage("none")

    job = scene.attack(attack)

    assert job.report(job.runs[0]["repositoryName"])[SYSCALLS[attack]] == 0
