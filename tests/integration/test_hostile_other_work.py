"""The hostile suite, other work: repository code cannot read or change the store, the
artifacts of another job, or a sibling checkout of the same run (concurrency 2)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

PRIVATE_PROMPT = "PRIVATE-PROMPT-" + "p7" * 10
VICTIM = "VICTIM-CONTENT-" + "v1" * 10


def honest_job(scene) -> tuple[str, dict[str, str]]:
    """An earlier job with a private prompt, its stored runs, and its artifacts' digests."""
    done = scene.cody(
        "run", "--name", "earlier", "--prompt", PRIVATE_PROMPT, "--json",
        "--command", "sed -i s/old_call/new_call/ app.py", "--repo", scene.repo("earlier"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    job_id = json.loads(done.stdout)["jobId"]
    return job_id, artifacts(scene)


def artifacts(scene) -> dict[str, str]:
    root = Path(scene.cody_home, "artifacts")
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def stored(scene, job_id: str) -> dict:
    document = json.loads(scene.cody("job", "status", job_id, "--json").stdout)
    return {
        r["repositoryName"]: (r["status"], r.get("pullRequestUrl"))
        for r in document["repositories"]
    }


@pytest.mark.parametrize("attack", ["store-read", "store-tamper", "artifact-tamper"])
def test_repository_code_neither_reads_nor_changes_the_store_and_artifacts(
    stage, confining_tier, attack
):
    scene = stage(confining_tier)
    earlier, digests = honest_job(scene)
    before = stored(scene, earlier)

    job = scene.attack(attack)

    repo = job.runs[0]["repositoryName"]
    report = job.report(repo)
    assert job.leaks(PRIVATE_PROMPT) == set()
    assert stored(scene, earlier) == before
    assert {path: digest for path, digest in artifacts(scene).items() if path in digests} == digests
    assert report.get("store") in (None, "OperationalError")
    assert report.get("artifacts_written", 0) == 0


def test_without_a_sandbox_the_store_is_read_and_rewritten(stage):
    scene = stage("none")
    earlier, digests = honest_job(scene)
    before = stored(scene, earlier)

    read = scene.attack("store-read")
    scene.attack("store-tamper")
    scene.attack("artifact-tamper")

    assert PRIVATE_PROMPT in read.leaks(PRIVATE_PROMPT)
    assert stored(scene, earlier) != before
    assert {p: d for p, d in artifacts(scene).items() if p in digests} != digests


def siblings(scene):
    return scene.repo("attacker"), scene.repo("victim", {"victim.txt": VICTIM})


@pytest.mark.parametrize("attack", ["sibling-read", "sibling-write"])
def test_a_checkout_cannot_reach_its_sibling_of_the_same_run(stage, confining_tier, attack):
    scene = stage(confining_tier)
    attacker, victim = siblings(scene)

    job = scene.attack(attack, attacker, victim, concurrency="2")

    report = job.report(attacker)
    assert job.leaks(VICTIM, among=(attacker,)) == set()
    assert "backdoor.py" not in job.pushed(victim)
    assert report.get("siblings_written", 0) == 0
    assert {r["sandbox"] for r in job.runs} == {confining_tier}


def test_without_a_sandbox_the_sibling_is_read_and_written(stage):
    scene = stage("none")
    attacker, victim = siblings(scene)

    read = scene.attack("sibling-read", attacker, victim, concurrency="2")
    writer, target = scene.repo("attacker-2"), scene.repo("victim-2", {"victim.txt": VICTIM})
    written = scene.attack("sibling-write", writer, target, concurrency="2")

    assert VICTIM in read.leaks(VICTIM, among=(attacker,))
    assert "backdoor.py" in written.pushed(target)
