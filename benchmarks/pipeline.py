"""Pipeline overhead and concurrency scaling: cody against a plain git script doing the same work.

1. Overhead: N local bare repositories of about 50 files; a `sed` codemod with --create-prs
   (local host) at concurrency 1, 4 and 8, against a shell script doing the same git work per
   repository (shallow clone, branch, sed, commit, push) under `xargs -P` at the same
   concurrency. Reports repositories per second and the ratio cody/baseline (target <= 1.3).
2. Scaling: a command that sleeps 1 s (a stand-in for an assistant's latency) at concurrency
   1 and 8 (target: throughput at 8 >= 6x that at 1).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import CODY, write

from cody_adapters.sample_forge import make_bare_repo

REPOS = int(os.environ.get("BENCH_REPOS", "200"))
SLEEP_REPOS = int(os.environ.get("BENCH_SLEEP_REPOS", "32"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CODEMOD = "sed -i 's/old_call/new_call/g' module_00.py"
BASELINE = r"""
set -e
dir=$(mktemp -d)
git clone -q --depth 1 --single-branch --no-tags "file://$1" "$dir"
cd "$dir"
git checkout -q -b "$BRANCH"
sed -i 's/old_call/new_call/g' module_00.py
git add -A
git -c user.name=bench -c user.email=bench@example.com commit -q -m "bench"
git push -q origin "$BRANCH"
rm -rf "$dir"
"""


def build_forge(root: Path, count: int) -> list[Path]:
    """`count` bare repositories, copies of one: each gets its own branches and pushes."""
    files = {f"module_{i:02d}.py": f"def f{i}():\n    return old_call({i})\n" for i in range(45)}
    files.update({f"docs/page_{i}.md": f"# page {i}\n" for i in range(5)})
    template = make_bare_repo(root.parent, "template", files)
    return [shutil.copytree(template, root / f"repo-{i:03d}.git") for i in range(count)]


def cody_rate(repos: list[Path], concurrency: int, env: dict[str, str], command: str) -> float:
    listing = Path(env["CODY_HOME"]) / f"repos-{uuid.uuid4().hex}.txt"
    listing.write_text("".join(f"{r}\n" for r in repos))
    create = [
        *CODY,
        "job",
        "create",
        "--name",
        "bench",
        "--prompt",
        "p",
        "--command",
        command,
        "--repos-file",
        str(listing),
        "--branch",
        "bench/{jobId}",
    ]
    job_id = subprocess.run(create, env=env, check=True, capture_output=True, text=True).stdout
    started = time.perf_counter()
    subprocess.run(
        [
            *CODY,
            "job",
            "run",
            job_id.strip(),
            "0",
            "--concurrency",
            str(concurrency),
            "--log-format",
            "json",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return len(repos) / (time.perf_counter() - started)


def baseline_rate(repos: list[Path], concurrency: int, env: dict[str, str]) -> float:
    script = Path(env["CODY_HOME"]) / "baseline.sh"
    script.write_text(BASELINE)
    branch_env = {**env, "BRANCH": f"base/{uuid.uuid4().hex[:8]}"}
    started = time.perf_counter()
    subprocess.run(
        ["xargs", "-P", str(concurrency), "-n", "1", "sh", str(script)],
        input="".join(f"{r}\n" for r in repos),
        text=True,
        env=branch_env,
        check=True,
    )
    return len(repos) / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        repos = build_forge(root / "forge", REPOS)
        env = {
            **os.environ,
            "CODY_HOME": str(root / "home"),
            "TEMP_DIR": str(root / "tmp"),
            "ALLOWED_REPOSITORIES": f"{root / 'forge'}/*",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        (root / "home").mkdir()
        rows = []
        for concurrency in (1, 4, 8):
            cody_runs, base_runs = [], []
            for _ in range(ROUNDS):  # interleaved, so drift on a shared machine hits both
                cody_runs.append(cody_rate(repos, concurrency, env, CODEMOD))
                base_runs.append(baseline_rate(repos, concurrency, env))
            cody, base = statistics.median(cody_runs), statistics.median(base_runs)
            rows.append(
                {
                    "measure": f"overhead, {REPOS} repos",
                    "concurrency": concurrency,
                    "cody repos/s": f"{cody:.1f}",
                    "git script repos/s": f"{base:.1f}",
                    "time ratio cody/script": f"{base / cody:.2f}",
                }
            )
        sleepers = repos[:SLEEP_REPOS]
        one = cody_rate(sleepers, 1, env, "sleep 1")
        eight = cody_rate(sleepers, 8, env, "sleep 1")
        rows.append(
            {
                "measure": f"scaling, {SLEEP_REPOS} repos, 1 s command",
                "concurrency": "8 vs 1",
                "cody repos/s": f"{eight:.2f} vs {one:.2f}",
                "git script repos/s": "",
                "time ratio cody/script": f"speed-up x{eight / one:.1f}",
            }
        )
    notes = [
        "Time ratio = cody's time / the git script's time for the same repositories "
        f"(median of {ROUNDS} interleaved rounds); the target is <= 1.3.",
        "cody's time includes its own start-up and every store write; the script keeps no state.",
    ]
    print(write("pipeline", "Pipeline overhead and scaling", rows, notes).read_text())


if __name__ == "__main__":
    main()
