"""Start-up: how long `cody` takes before it does anything, against bare Python.

Heavy libraries (boto3, anthropic, PyGithub) must stay off the path of commands that do not
need them; `python -c pass` and `python -c "import boto3"` give the scale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import CODY, median_of, write

RUNS = 7


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        # A token, never used: creating a job of owner/name repositories checks that one is set.
        env = {
            **os.environ,
            "CODY_HOME": home,
            "ALLOWED_REPOSITORIES": "bench/*",
            "GITHUB_TOKEN": os.environ.get("GITHUB_TOKEN", "t" * 40),
        }
        create = [
            *CODY,
            "job",
            "create",
            "--name",
            "s",
            "--prompt",
            "p",
            "--command",
            "true",
            "--repo",
            "bench/a",
            "--repo",
            "bench/b",
        ]
        job_id = subprocess.run(create, env=env, check=True, capture_output=True, text=True)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import boto3'": [sys.executable, "-c", "import boto3"],
            "python -c 'import anthropic'": [sys.executable, "-c", "import anthropic"],
            "cody --help": [*CODY, "--help"],
            "cody job status (2 runs)": [*CODY, "job", "status", job_id.stdout.strip()],
            "cody job status --json": [*CODY, "job", "status", job_id.stdout.strip(), "--json"],
        }
        timings = {name: median_of(RUNS, command, env) for name, command in commands.items()}
    base = timings["python -c pass"][0]
    rows = [
        {
            "command": name,
            "median s": f"{seconds:.2f}",
            "x bare python": f"{seconds / base:.1f}",
            "peak MB": f"{mb:.0f}",
        }
        for name, (seconds, mb) in timings.items()
    ]
    notes = [f"Median of {RUNS} runs each, one after another on the same machine."]
    print(write("startup", "Start-up time", rows, notes).read_text())


if __name__ == "__main__":
    main()
