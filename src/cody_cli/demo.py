"""`cody demo`: a real job over sample repositories built on this machine."""

from __future__ import annotations

import shutil
import sys
from typing import Any

from cody_adapters.sample_forge import build_demo_forge
from cody_cli import render
from cody_cli.demo_pull_requests import show_pull_requests_and_merge
from cody_cli.job_commands import run_job
from cody_cli.options import LogFormat
from cody_core.policies.allowlist import Allowlist

CODEMOD = (
    "grep -rl --include='*.py' 'assertEquals(' . | xargs -r sed -i 's/assertEquals(/assertEqual(/g'"
)
PROMPT = (
    "Replace the deprecated unittest alias assertEquals with assertEqual everywhere. "
    "Change nothing else."
)


def run_demo(container: Any, concurrency: int) -> None:
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
    run_job(job.job_id, None, concurrency, LogFormat.text)
    jobs = container.jobs()
    render.status_table(*jobs.report(job.job_id))
    for repository, patch in jobs.diff(job.job_id):
        print(f"\nThe change to {repository}:\n")
        sys.stdout.write(patch)
        break
    show_pull_requests_and_merge(container, job.job_id)
    print(f"\nMore: cody job status {job.job_id}; cody job diff {job.job_id}", file=sys.stderr)
