"""Running a job in this process: signals, exit codes and the line that closes the run."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import typer

from cody_cli.errors import EXIT_INTERRUPTED, EXIT_UNFINISHED
from cody_cli.options import LogFormat
from cody_cli.progress import progress_for
from cody_cli.root import container
from cody_cli.signals import stop_on_signals

if TYPE_CHECKING:
    from cody_core.services.job_processor import RunOutcome


def run_job(
    job_id: str, max_repos: int | None, concurrency: int, log_format: LogFormat
) -> RunOutcome:
    """Run a job in this process; exits 143 when stopped and 3 when the job is not finished."""
    from cody_cli import logs
    from cody_core.policies.limits import repository_limit
    from cody_core.policies.repository_code import runs_repository_code

    logs.configure(log_format.value, container.secrets())
    job = container.jobs().get(job_id)
    if runs_repository_code(job.assistant, job.command, job.verify_command) and (
        container.sandbox().tier == "none"
    ):
        logging.getLogger("cody.sandbox").warning(
            "CODY_SANDBOX=none: repository code of job %s runs unsandboxed, as this user, "
            "and can read every secret this process holds",
            job_id,
        )
    from cody_adapters.process.sandbox import make_undumpable

    make_undumpable()  # before any repository code runs: /proc/<pid>/environ and mem
    limit = repository_limit(max_repos, job)
    container.assistant_kind.override(job.assistant)
    with progress_for(job, log_format) as hooks:
        processor = container.processor(on_run_done=hooks.run_done, on_planned=hooks.planned)
        with stop_on_signals(processor.stop) as interrupted:
            outcome = processor.run(job_id, max_repositories=limit, concurrency=concurrency)
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if not outcome.terminal:
        print(f"job {job_id} is {outcome.job.status}: run it again to finish", file=sys.stderr)
        raise typer.Exit(EXIT_UNFINISHED)
    return outcome


def closing_line(outcome: RunOutcome) -> str:
    """What the run did, what is left and the command for it, and where to see failures."""
    from cody_core.policies.wording import counted

    job = outcome.job
    line = (
        f"{job.job_id} {job.status}: {job.completed_count:,} completed, "
        f"{job.failed_count:,} failed, {job.skipped_count:,} skipped or cancelled"
    )
    if outcome.beyond_limit:
        line += (
            f"; {counted(outcome.beyond_limit, 'repository')} left past MAX_REPOS: "
            f"`cody job run {job.job_id} 0` does the rest"
        )
    if job.failed_count:
        line += f"; see why with `cody job status {job.job_id}`"
    return line
