"""`cody job ...`: create, run, inspect, cancel and retry jobs."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cody_cli import help_text, render
from cody_cli.batch_job import job_of_this_container
from cody_cli.errors import EXIT_FAILED, cli_errors
from cody_cli.group import PlainCommand
from cody_cli.options import (
    Concurrency,
    Json,
    LogFormat,
    LogFormatOption,
    at_least,
    job_fields,
    with_job_options,
)
from cody_cli.root import container
from cody_cli.running import closing_line, run_job
from cody_core.errors import InputError

if TYPE_CHECKING:
    from cody_core.models import Job, JobStatus

app = typer.Typer(help="Create, run and inspect jobs.", no_args_is_help=True, rich_markup_mode=None)

JobId = Annotated[
    str, typer.Argument(metavar="JOB_ID", help="The job id `cody job create` printed.")
]
Repository = Annotated[
    str, typer.Argument(metavar="REPO", help="A repository of the job, as given or as listed.")
]
JOB_EXAMPLE = """
JOB=$(cody job create --name "rename old_name" --prompt "Rename old_name" \\
    --command "git ls-files -z | xargs -0 -r sed -i s/old_name/new_name/g" \\
    --repo ~/src/service-a --repo acme/service-b --verify "make test")
"""


def create_job(repositories: list[str], fields: dict[str, Any]) -> Job:
    from cody_cli.repos_commands import selected_names

    selection = fields.pop("selection", None)
    if selection is not None and selection.given:
        repositories = [*repositories, *selected_names(selection)]
    return container.jobs().create(repositories, **fields)


@app.command(cls=PlainCommand, epilog=help_text.epilog(JOB_EXAMPLE, help_text.CREATE))
@cli_errors
@with_job_options
def create(json: Json = False, **options: Any) -> None:
    """Create a job and print its id.

    `cody job run JOB_ID` then runs it here, or `cody job submit JOB_ID` on AWS Batch.
    """
    repositories, fields = job_fields(**options)
    job = create_job(repositories, fields)
    if json:
        render.print_json(job.to_document())
    else:
        print(job.job_id)


@app.command(
    "run",
    cls=PlainCommand,
    epilog=help_text.epilog('cody job run "$JOB" 0 --concurrency 4', help_text.RUN),
)
@cli_errors
def run_command(
    job_id: Annotated[
        str | None,
        typer.Argument(
            metavar="JOB_ID",
            show_default=False,
            help="The job id; without it, the jobId parameter of this AWS Batch job "
            "(AWS_BATCH_JOB_ID), else the jobId environment variable.",
        ),
    ] = None,
    max_repos: Annotated[
        int | None,
        typer.Argument(
            metavar="MAX_REPOS",
            show_default=False,
            callback=at_least(0),
            help="Process the job's first MAX_REPOS repositories; 0: all. Without it: the "
            "job's --max-repos, else 5. A later run with a higher number (or 0) does the rest.",
        ),
    ] = None,
    concurrency: Concurrency = 1,
    log_format: LogFormatOption = LogFormat.auto,
) -> None:
    """Process a job here (what an AWS Batch container runs).

    Exits 0 when no repository failed, 1 when some failed, 2 on bad input, 3 when the job is
    not finished (run it again) and 143 when stopped by SIGTERM or SIGINT.
    """
    if job_id is None:  # started as the existing job definition starts its container
        job_id, given = job_of_this_container(container.batch_client, os.environ)
        max_repos = max_repos if given is None else given
    outcome = run_job(job_id, max_repos, concurrency, log_format)
    print(closing_line(outcome))
    if outcome.job.failed_count:
        raise typer.Exit(EXIT_FAILED)


@app.command(
    cls=PlainCommand,
    epilog=help_text.epilog('cody job submit "$JOB" --workers 8 --max-repos 0', help_text.SUBMIT),
)
@cli_errors
def submit(
    job_id: JobId,
    workers: Annotated[
        int,
        typer.Option(
            metavar="N",
            callback=at_least(1, 10_000),
            help="Containers at once, 1 to 10,000; more than 1 is an array job.",
        ),
    ] = 1,
    max_repos: Annotated[
        int | None,
        typer.Option(
            "--max-repos",
            metavar="N",
            callback=at_least(0),
            show_default=False,
            help="As MAX_REPOS of `cody job run`: 0 is all; without it the job's own, else 5.",
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Run the job on AWS Batch instead.

    Submits to BATCH_JOB_QUEUE with BATCH_JOB_DEFINITION.

    Prints the Batch job id, which is also stored on the job. Needs CODY_STORE=dynamodb.
    """
    if container.settings().cody_store == "sqlite":
        raise InputError(
            "job submit needs CODY_STORE=dynamodb: AWS Batch containers cannot read this "
            "machine's SQLite store; run the job here with `cody job run` instead"
        )
    job = container.submission().submit(job_id, workers, max_repos)
    if json:
        render.print_json(job.to_document())
    else:
        print(job.batch_job_id)


@app.command(
    cls=PlainCommand,
    epilog=help_text.epilog('cody job status "$JOB" --json | jq .status', help_text.STORE),
)
@cli_errors
def status(job_id: JobId, json: Json = False) -> None:
    """Show a job and the status of each repository."""
    job, runs = container.jobs().report(job_id)
    if json:
        render.print_job_json(job, runs)
    else:
        render.status_table(job, runs)


@app.command(
    "list", cls=PlainCommand, epilog=help_text.epilog("cody job list --json", help_text.STORE)
)
@cli_errors
def list_jobs(
    json: Json = False,
    status: Annotated[
        str | None,
        typer.Option(
            metavar="STATUS", help="Only jobs in this status (pending, in-progress, ...)."
        ),
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


@app.command(cls=PlainCommand, epilog=help_text.epilog('cody job cancel "$JOB"', help_text.STORE))
@cli_errors
def cancel(job_id: JobId) -> None:
    """Cancel a job; runs not started become cancelled.

    Workers stop between repositories; a repository being processed finishes first.
    """
    print(container.jobs().cancel(job_id).status)


@app.command(
    cls=PlainCommand, epilog=help_text.epilog('cody job retry "$JOB" --all', help_text.STORE)
)
@cli_errors
def retry(
    job_id: JobId,
    all_runs: Annotated[
        bool, typer.Option("--all", help="Also retry skipped and cancelled runs.")
    ] = False,
) -> None:
    """Put failed runs back to pending, for `cody job run`."""
    from cody_core.policies.wording import counted

    count = container.jobs().retry(job_id, include_skipped=all_runs)
    print(f"{counted(count, 'repository')} back to pending")


@app.command(
    cls=PlainCommand,
    epilog=help_text.epilog('cody job diff "$JOB" > change.patch', help_text.ARTIFACTS),
)
@cli_errors
def diff(
    job_id: JobId,
    repo: Annotated[str | None, typer.Option(metavar="REF", help="Only this repository.")] = None,
) -> None:
    """Print the changes as a patch for `git apply`.

    When there is none, stderr says why and nothing is printed.
    """
    jobs = container.jobs()
    shown = 0
    for repository, patch in jobs.diff(job_id, repo):
        if repo is None:
            print(f"# repository: {repository}", flush=True)
        sys.stdout.buffer.write(patch.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()
        shown += 1
    if not shown:
        from cody_core.models import JobStatus

        job = jobs.get(job_id)
        which = f"{repo} in job {job_id}" if repo else f"job {job_id}"
        if job.status == JobStatus.PENDING and not job.started_at:
            why = f"has not run yet: `cody job run {job_id}` runs it"
        else:
            why = f"changed nothing (it is {job.status}): `cody job status {job_id}` says why"
        print(f"no diff: {which} {why}", file=sys.stderr)


@app.command(
    cls=PlainCommand,
    epilog=help_text.epilog('cody job conversation "$JOB" acme/service-b', help_text.ARTIFACTS),
)
@cli_errors
def conversation(job_id: JobId, repo: Repository, json: Json = False) -> None:
    """Print one repository's Claude conversation.

    With --json: the messages as the API returned them.
    """
    entries = container.jobs().conversation(job_id, repo)
    if json:
        render.print_json(entries)
    else:
        render.conversation(entries)


@app.command(
    cls=PlainCommand,
    epilog=help_text.epilog('cody job logs "$JOB" ~/src/service-a', help_text.STORE),
)
@cli_errors
def logs(job_id: JobId, repo: Repository) -> None:
    """Print one repository's log."""
    render.log_lines(container.jobs().run_for(job_id, repo).logs)
