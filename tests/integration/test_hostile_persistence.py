"""The hostile suite, persistence: nothing repository code starts outlives its command, and
nothing it writes poisons a later run, a later cody process or cody's own code."""

from __future__ import annotations

import hashlib
import sysconfig
from pathlib import Path

import pytest

import cody_adapters
from hostile_support import Scene


def processes_with(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[:1]
        except OSError:  # gone, or going
            continue
        if marker.encode() in cmdline and state != ["Z"]:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("attack", ["setsid-survivor", "double-fork-survivor"])
def test_a_process_that_left_the_process_group_dies_with_the_command(stage, tier, attack):
    scene = stage(tier)

    job = scene.attack(attack)

    assert job.report(job.runs[0]["repositoryName"])["alive_at_exit"] is True
    assert processes_with(scene.marker) == []


def test_an_injector_left_behind_reaches_no_later_checkout_of_this_job_or_the_next(
    stage, confining_tier
):
    scene = stage(confining_tier)
    first = scene.repo("a-first", {"first.txt": "the attacker\n"})
    later = [scene.repo("b-later"), scene.repo("c-later")]

    job = scene.attack("later-run-injection", first, *later)
    next_job = scene.attack("later-run-injection")

    assert job.report(first)["alive_at_exit"] is True
    for pushed in [job.pushed(r) for r in later] + [
        next_job.pushed(next_job.runs[0]["repositoryName"])
    ]:
        assert "injected.py" not in pushed
    assert processes_with(scene.marker) == []


@pytest.fixture
def cody_code():
    """cody's own files an attack may try to change, put back if one did."""
    source = Path(cody_adapters.__file__)
    original = source.read_bytes()
    site_packages = Path(sysconfig.get_paths()["purelib"])
    yield source, hashlib.sha256(original).hexdigest(), site_packages
    if source.read_bytes() != original:
        source.write_bytes(original)
    for planted in site_packages.glob("cody-hostile-*.pth"):
        planted.unlink()


@pytest.mark.parametrize("attack", ["pth-poison", "code-patch", "bashrc"])
def test_repository_code_cannot_poison_cody_or_its_user(stage, confining_tier, cody_code, attack):
    source, digest, site_packages = cody_code
    scene: Scene = stage(confining_tier)
    bashrc = (scene.home / ".bashrc").read_text()

    job = scene.attack(attack)
    later = scene.cody("job", "list")  # a later cody process would import a planted .pth

    assert job.report(job.runs[0]["repositoryName"])["ran"]
    assert later.returncode == 0
    assert list(site_packages.glob(f"{scene.marker}*")) == []
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest
    assert (scene.home / ".bashrc").read_text() == bashrc
    assert not scene.canary.exists()


@pytest.mark.parametrize("attack", ["pth-poison", "code-patch", "bashrc"])
def test_without_a_sandbox_cody_and_its_user_are_poisoned(stage, cody_code, attack):
    _source, _digest, site_packages = cody_code
    scene: Scene = stage("none")
    bashrc = (scene.home / ".bashrc").read_text()

    scene.attack(attack)
    scene.cody("job", "list")

    poisoned = {
        "pth-poison": scene.canary.exists() and bool(list(site_packages.glob(f"{scene.marker}*"))),
        "code-patch": scene.canary.exists(),
        "bashrc": (scene.home / ".bashrc").read_text() != bashrc,
    }
    assert poisoned[attack]
