"""`cody job ...`: create, run, inspect, cancel and retry jobs."""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cody_cli import render
from cody_cli.batch_job import job_of_this_container
from cody_cli.errors import EXIT_INTERRUPTED, EXIT_UNFINISHED, cli_errors
from cody_cli.options import (
    Concurrency,
    Json,
    LogFormat,
    LogFormatOption,
    job_fields,
    with_job_options,
)
from cody_cli.progress import progress_for
from cody_cli.root import container
from cody_core.errors import InputError

if TYPE_CHECKING:
    from cody_core.models import Job, JobStatus

app = typer.Typer(help="Create, run and inspect jobs.", no_args_is_help=True)

JobId = Annotated[str, typer.Argument(help="The job id `cody job create` printed.")]


def create_job(repositories: list[str], fields: dict) -> Job:
    return container.jobs().create(repositories, **fields)


@app.command()
@cli_errors
@with_job_options
def create(json: Json = False, **options: Any) -> None:
    """Create a job and print its id."""
    repositories, fields = job_fields(**options)
    job = create_job(repositories, fields)
    if json:
        render.print_json(job.to_document())
    else:
        print(job.job_id)


def run_job(job_id: str, max_repos: int | None, concurrency: int, log_format: LogFormat) -> Job:
    """Run a job in this process; exits non-zero when the job did not reach a terminal state."""
    from cody_cli import logs

    logs.configure(log_format.value, container.secrets())
    job = container.jobs().get(job_id)
    container.assistant_kind.override(job.assistant)
    with progress_for(job, log_format) as on_run_done:
        processor = container.processor(on_run_done=on_run_done)
        with _stop_on_signals(processor.stop) as interrupted:
            outcome = processor.run(job_id, max_repositories=max_repos, concurrency=concurrency)
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if not outcome.terminal:
        print(f"job {job_id} is {outcome.job.status}: run it again to finish", file=sys.stderr)
        raise typer.Exit(EXIT_UNFINISHED)
    return outcome.job


@contextmanager
def _stop_on_signals(stop):
    interrupted: list[int] = []

    def handler(signum, frame):
        interrupted.append(signum)
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield interrupted
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@app.command("run")
@cli_errors
def run_command(
    job_id: Annotated[
        str | None,
        typer.Argument(
            help="The job id; without it, the jobId parameter of this AWS Batch job "
            "(AWS_BATCH_JOB_ID), else the jobId environment variable."
        ),
    ] = None,
    max_repos: Annotated[
        int | None,
        typer.Argument(help="Process at most this many repositories (default 5; 0 = all)."),
    ] = 5,
    concurrency: Concurrency = 1,
    log_format: LogFormatOption = LogFormat.auto,
) -> None:
    """Process a job (the AWS Batch container's command); exit 0 once the job is finished."""
    if job_id is None:  # started as the existing job definition starts its container
        job_id, given = job_of_this_container(container.batch_client, os.environ)
        max_repos = max_repos if given is None else given
    job = run_job(job_id, max_repos or None, concurrency, log_format)
    print(
        f"{job.job_id} {job.status}: {job.completed_count} completed, "
        f"{job.failed_count} failed, {job.skipped_count} skipped or cancelled"
    )


@app.command()
@cli_errors
def submit(
    job_id: JobId,
    workers: Annotated[
        int,
        typer.Option(min=1, max=10_000, help="Containers at once; more than 1 is an array job."),
    ] = 1,
    max_repos: Annotated[
        int | None,
        typer.Option("--max-repos", min=0, help="At most this many repositories (0: all)."),
    ] = None,
    json: Json = False,
) -> None:
    """Submit the job to AWS Batch (BATCH_JOB_QUEUE, BATCH_JOB_DEFINITION); print its Batch id."""
    job = container.submission().submit(job_id, workers, max_repos)
    if json:
        render.print_json(job.to_document())
    else:
        print(job.batch_job_id)


@app.command()
@cli_errors
def status(job_id: JobId, json: Json = False) -> None:
    """Show a job and every repository's status."""
    job, runs = container.jobs().report(job_id)
    if json:
        render.print_job_json(job, runs)
    else:
        render.status_table(job, runs)


@app.command("list")
@cli_errors
def list_jobs(
    json: Json = False,
    status: Annotated[
        str | None, typer.Option(help="Only jobs in this status (pending, in-progress, ...).")
    ] = None,
) -> None:
    """List jobs, newest first."""
    jobs = container.jobs().list(_status(status))
    if json:
        render.print_json([job.to_document() for job in jobs])
    else:
        render.jobs_table(jobs)


def _status(text: str | None) -> JobStatus | None:
    from cody_core.models import JobStatus

    if text is None:
        return None
    try:
        return JobStatus(text)
    except ValueError:
        shown = ", ".join(status.value for status in JobStatus)
        raise InputError(f"no job status {text!r}: --status takes one of {shown}") from None


@app.command()
@cli_errors
def cancel(job_id: JobId) -> None:
    """Cancel a job: workers stop between repositories; runs not started become cancelled."""
    print(container.jobs().cancel(job_id).status)


@app.command()
@cli_errors
def retry(
    job_id: JobId,
    all_runs: Annotated[
        bool, typer.Option("--all", help="Also retry skipped and cancelled runs.")
    ] = False,
) -> None:
    """Put failed runs back to pending; `cody job run` then processes them."""
    count = container.jobs().retry(job_id, include_skipped=all_runs)
    print(f"{count} repositories back to pending")


@app.command()
@cli_errors
def diff(
    job_id: JobId,
    repo: Annotated[str | None, typer.Option(help="Only this repository.")] = None,
) -> None:
    """Print the changes as a patch that `git apply` accepts."""
    for repository, patch in container.jobs().diff(job_id, repo):
        if repo is None:
            print(f"# repository: {repository}", flush=True)
        sys.stdout.buffer.write(patch.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()


@app.command()
@cli_errors
def conversation(
    job_id: JobId,
    repo: Annotated[str, typer.Argument(help="The repository.")],
    json: Json = False,
) -> None:
    """Print the Claude conversation of one repository (--json: raw)."""
    entries = container.jobs().conversation(job_id, repo)
    if json:
        render.print_json(entries)
    else:
        render.conversation(entries)


@app.command()
@cli_errors
def logs(job_id: JobId, repo: Annotated[str, typer.Argument(help="The repository.")]) -> None:
    """Print one repository's log."""
    render.log_lines(container.jobs().run_for(job_id, repo).logs)
