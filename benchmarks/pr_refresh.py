"""Rate-limit cost of `cody job prs`: requests counted against GitHub's primary limit per 1,000
pull requests, for a first refresh and for repeats, on the loopback GitHub fake.

`cody job prs` runs as a real process against the fake of the tests (whose answers carry
ETags and answer 304 to a matching If-None-Match, which GitHub does not count); the job and
its 1,000 runs with open pull requests are written to a real SQLite store first.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parents[1] / "tests"),
]

from measure import CODY, write  # noqa: E402

from cody_adapters.local.sqlite_store import SqliteJobStore  # noqa: E402
from cody_core.models import Job, RepositoryRun, RunStatus  # noqa: E402
from github_fake import GitHubFake  # noqa: E402
from github_fake_lifecycle import FakeCheckRun, FakeStatus  # noqa: E402

PULLS = 1_000
TOKEN = "ghp_" + "Bench0Token" * 3 + "xyz"
JOB_ID = "bench-prs"


def fleet(fake: GitHubFake, reviewers: bool) -> list[RepositoryRun]:
    """One open pull request per repository, with a check run and a commit status on its head
    (and a requested reviewer, if asked); the runs that opened them."""
    runs = []
    for index in range(PULLS):
        name = f"fleet/service-{index:04d}"
        fake.add_repository(name)
        pull = fake.open_pull(name, f"cody/{JOB_ID}", title="Cody: bump")
        pull.head_sha = hashlib.sha1(name.encode()).hexdigest()
        pull.reviewers = ["platform-team"] if reviewers else []
        fake.add_checks(name, 1, runs=(FakeCheckRun("ci"),), statuses=(FakeStatus("lint"),))
        url = f"{fake.url}/{name}/pull/1"
        runs.append(
            RepositoryRun(
                job_id=JOB_ID,
                repository_name=name,
                status=RunStatus.COMPLETED,
                branch=f"cody/{JOB_ID}",
                pull_request_url=url,
                pull_request_number=1,
                pull_request_state="open",
            )
        )
    return runs


def refresh(fake: GitHubFake, env: dict[str, str]) -> dict[str, int]:
    """One `cody job prs`: HTTP requests, and those counted against the limit."""
    before, counted = len(fake.exchanges), fake.counted()
    result = subprocess.run(
        [*CODY, "job", "prs", JOB_ID, "--json"], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"cody job prs failed: {result.stderr[-2000:]}")
    summary = json.loads(result.stdout)["summary"]
    return {
        "requests": len(fake.exchanges) - before,
        "counted": fake.counted() - counted,
        "open": summary["open"],
        "merged": summary["merged"],
    }


def scenario(reviewers: bool) -> list[tuple[str, dict[str, int]]]:
    fake = GitHubFake(TOKEN)
    with tempfile.TemporaryDirectory() as home, fake.running():
        store = SqliteJobStore(Path(home) / "cody.db")
        job = Job(
            job_id=JOB_ID,
            name="bump",
            prompt="bump",
            command="true",
            created_at="2026-01-01T00:00:00Z",
            status="completed",
            repository_count=PULLS,
        )
        store.create_job(job, fleet(fake, reviewers))
        store.close()
        env = {
            **os.environ,
            "CODY_HOME": home,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": fake.url,
            "GITHUB_REQUEST_INTERVAL": "0",
            "ALLOWED_REPOSITORIES": "fleet/*",
        }
        steps = [("first refresh", refresh(fake, env))]
        steps.append(("repeat, nothing changed", refresh(fake, env)))
        for index in range(0, PULLS, 10):  # a new check run on one head in ten
            fake.add_checks(f"fleet/service-{index:04d}", 1, runs=(FakeCheckRun("e2e"),))
        steps.append(("repeat, 1 in 10 has a new check run", refresh(fake, env)))
        for index in range(0, PULLS, 2):  # half of them merged since
            pull = fake.pull(f"fleet/service-{index:04d}", 1)
            pull.state, pull.merged = "closed", True
        steps.append(("repeat, half of them merged since", refresh(fake, env)))
        steps.append(("repeat after that, nothing changed", refresh(fake, env)))
        return steps


def main() -> None:
    rows = []
    for reviewers, label in ((True, "reviewers requested"), (False, "no reviewers requested")):
        for step, counts in scenario(reviewers):
            rows.append(
                {
                    "pull requests": f"{PULLS:,}, {label}",
                    "refresh": step,
                    "HTTP requests": counts["requests"],
                    "counted against the limit": counts["counted"],
                    "counted per 1,000 pull requests": round(counts["counted"] * 1000 / PULLS),
                    "open / merged after": f"{counts['open']} / {counts['merged']}",
                }
            )
    notes = [
        "A first refresh reads, per open pull request, the pull request, its head's check runs "
        "and combined status, and its reviews; with no reviewer requested and no decisive "
        "review, also the base branch's protection (once per head commit).",
        "Each answer's ETag is kept on the run: a repeat asks with If-None-Match, and GitHub "
        "answers 304, which does not count against the primary rate limit. Merged pull "
        "requests cost nothing more once seen merged (they cannot change).",
    ]
    path = write("pr_refresh", "Rate-limit cost of `cody job prs`", rows, notes)
    print(path.read_text())


if __name__ == "__main__":
    main()
