"""`cody demo`: a real job over sample repositories built on this machine."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from cody_adapters.local.sample_forge import build_demo_forge
from cody_cli import render
from cody_cli.demo_pull_requests import show_pull_requests_and_merge
from cody_cli.options import LogFormat
from cody_cli.running import closing_line, run_job
from cody_core.policies.allowlist import Allowlist

CODEMOD = "git ls-files -z '*.py' | xargs -0 -r sed -i 's/assertEquals(/assertEqual(/g'"
PROMPT = (
    "Replace the deprecated unittest alias assertEquals with assertEqual everywhere. "
    "Change nothing else."
)


def run_demo(container: Any, concurrency: int) -> None:
    container.sandbox().require()  # the codemod and the tests run in the sandbox
    settings = container.settings()
    forge = settings.cody_home / "demo-forge"
    shutil.rmtree(forge, ignore_errors=True)
    repositories = [str(path) for path in build_demo_forge(forge)]
    print(f"built {len(repositories)} sample repositories under {forge}", file=sys.stderr)
    assistant = "claude" if settings.claude_api_key is not None else "command"
    print(f"the {assistant} assistant will change them", file=sys.stderr)
    container.allowlist.override(Allowlist.parse(f"{forge}/*"))
    job = container.jobs().create(
        repositories,
        name="demo: assertEquals -> assertEqual",
        prompt=PROMPT,
        assistant=assistant,
        command=CODEMOD,
        verify_command="python3 -m unittest -q",
        require_verify_pass=True,
    )
    outcome = run_job(job.job_id, 0, concurrency, LogFormat.text)
    jobs = container.jobs()
    render.status_table(*jobs.report(job.job_id))
    for repository, patch in jobs.diff(job.job_id):
        print(f"\nThe change to {repository}:\n")
        sys.stdout.write(patch)
        break
    show_pull_requests_and_merge(container, job.job_id)
    print(f"\n{closing_line(outcome)}", file=sys.stderr)
    print(f"More: cody job status {job.job_id}; cody job diff {job.job_id}", file=sys.stderr)
    print(path_hint(), file=sys.stderr)


def path_hint() -> str:
    """How to type `cody` from now on: this command's directory on PATH, unless it is there."""
    here = Path(sys.argv[0]).resolve().parent if sys.argv[0].endswith("cody") else None
    bin_dir = here or Path(sys.executable).parent
    found = shutil.which("cody")
    if found and Path(found).resolve().parent == bin_dir:
        return f"cody is on your PATH ({found})"
    shown = str(bin_dir)
    if bin_dir.is_relative_to(Path.cwd()):
        shown = f"$PWD/{bin_dir.relative_to(Path.cwd())}"
    return f'To put cody on your PATH: export PATH="{shown}:$PATH"'
