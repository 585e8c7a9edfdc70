"""The hostile suite, secrets: repository code run as a real job's command cannot read what the
cody process holds (its environment, memory, working directory, HOME and git credentials).

Each attack runs on every tier that confines repository code, and once with CODY_SANDBOX=none
to show that the attack works and the check would catch it."""

from __future__ import annotations

import pytest

from hostile_support import SECRETS

ENVIRONMENT = {"GITHUB_TOKEN", "CLAUDE_API_KEY", "AWS_SECRET_ACCESS_KEY"}
HOME = {"aws_file", "netrc", "ssh_key", "gh_hosts", "git_credentials"}
# attack -> the secrets it reaches when nothing confines it (cody runs as root here)
ATTACKS = {
    "proc-environ-scan": ENVIRONMENT,
    "proc-environ-of-cody": ENVIRONMENT,
    "proc-mem": {"GITHUB_TOKEN", "CLAUDE_API_KEY"},
    "proc-cwd-dotenv": {"dotenv"},
    "dotenv-by-path": {"dotenv"},
    "home-dotfiles": HOME,
    "git-credential-fill": {"git_credentials"},
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_repository_code_reads_no_secret_of_the_cody_process(stage, confining_tier, attack):
    scene = stage(confining_tier)

    job = scene.attack(attack)

    repo = job.runs[0]["repositoryName"]
    assert job.report(repo)["ran"]
    assert job.leaks() == set()
    assert job.runs[0]["sandbox"] == confining_tier


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_without_a_sandbox_the_same_attack_succeeds(stage, attack):
    scene = stage("none")

    job = scene.attack(attack)

    assert ATTACKS[attack] <= job.leaks()
    assert job.runs[0]["sandbox"] == "none"


def test_the_commands_own_environment_names_no_secret_and_nothing_of_cody(stage, tier):
    scene = stage(tier)

    job = scene.attack("own-environment")

    repo = job.runs[0]["repositoryName"]
    names = set(job.report(repo)["names"])
    assert job.leaks() == set()
    assert not names & {"CODY_HOME", "TEMP_DIR", "GITHUB_TOKEN", "OLDPWD", "VIRTUAL_ENV"}
    environment = job.looted(repo)
    for path in (scene.cody_home, scene.home, scene.cwd, scene.temp_dir):
        assert str(path).encode() + b"\n" not in environment
        assert str(path).encode() + b":" not in environment
    assert {"CODY_JOB_ID", "CODY_REPOSITORY", "CODY_BRANCH"} <= names
    assert set(SECRETS)  # the suite checks every secret it planted
