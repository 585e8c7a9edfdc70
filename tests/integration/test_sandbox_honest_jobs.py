"""Honest jobs are not changed by the sandbox: the demo's codemod and its tests, run under each
tier, push the same trees on the same parents with the same messages."""

from __future__ import annotations

from pathlib import Path

from cli_support import cody, runs_of
from cody_adapters.local.sample_forge import build_demo_forge
from cody_cli.demo import CODEMOD
from cody_cli.job_commands import container
from forge import git
from sandbox_support import EVERY_TIER, sandbox_of


def commits_of_the_demo_job(root: Path, tier: str, monkeypatch) -> dict[str, tuple[str, ...]]:
    """The demo job under `tier`: per sample repository (by name), what its commit holds."""
    forge = root / tier
    repos = [str(path) for path in build_demo_forge(forge)]
    monkeypatch.setenv("CODY_SANDBOX", tier)
    monkeypatch.setenv("ALLOWED_REPOSITORIES", f"{forge}/*")
    container.reset_singletons()
    args = [part for repo in repos for part in ("--repo", repo)]
    job_id = cody(
        "job", "create", "--name", "demo", "--prompt", "p", "--command", CODEMOD,
        "--verify", "python3 -m unittest -q", "--require-verify", *args,
    ).stdout.strip()  # fmt: skip

    cody("job", "run", job_id, "0", "--concurrency", "3")

    commits = {}
    for name, run in runs_of(job_id).items():
        assert run["status"] == "completed" and run["sandbox"] == tier, run
        if not run["wereChangesNecessary"]:
            commits[Path(name).name] = ("unchanged",)
            continue
        assert run["verification"]["status"] == "passed", run["verification"]
        shown = git("show", "-s", "--format=%T %P%n%an <%ae>%n%B", run["commitSha"], cwd=Path(name))
        tree, parent = shown.splitlines()[0].split()
        base = git("rev-parse", "main^{tree}", cwd=Path(name))
        commits[Path(name).name] = (tree, git("rev-parse", f"{parent}^{{tree}}", cwd=Path(name)),
                                    base, *shown.splitlines()[1:])  # fmt: skip
    return commits


def test_the_demo_job_pushes_the_same_commits_under_every_tier(tmp_path, env, monkeypatch):
    for tier in EVERY_TIER:
        sandbox_of(tier, Path(env["TEMP_DIR"]))
    by_tier = {tier: commits_of_the_demo_job(tmp_path, tier, monkeypatch) for tier in EVERY_TIER}

    unsandboxed = by_tier["none"]
    assert len(unsandboxed) == 6 and list(unsandboxed.values()).count(("unchanged",)) == 1
    for tier in EVERY_TIER:
        assert by_tier[tier] == unsandboxed, tier
