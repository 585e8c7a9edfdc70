"""The cody command: `cody job ...`, `cody run` and `cody demo`."""

from __future__ import annotations

import sys
from typing import Any

import typer

from cody_cli import (  # noqa: F401  (register verbs)
    job_commands,
    pr_commands,
    render,
    repos_commands,
    store_commands,
    update_commands,
)
from cody_cli.errors import cli_errors
from cody_cli.job_commands import create_job, run_job
from cody_cli.options import (
    Concurrency,
    Json,
    LogFormat,
    LogFormatOption,
    job_fields,
    with_job_options,
)

app = typer.Typer(
    help="Cody Batch: apply one code change across many repositories, one pull request each.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)
app.add_typer(job_commands.app, name="job")
app.add_typer(store_commands.app, name="store")
app.add_typer(repos_commands.app, name="repos")


@app.command("run")
@cli_errors
@with_job_options
def create_and_run(
    concurrency: Concurrency = 1,
    json: Json = False,
    log_format: LogFormatOption = LogFormat.auto,
    **options: Any,
) -> None:
    """Create a job and run it here, in one step; prints the job's status at the end."""
    repositories, fields = job_fields(**options)
    job = create_job(repositories, fields)
    print(job.job_id, file=sys.stderr)
    run_job(job.job_id, None, concurrency, log_format)
    final, runs = job_commands.container.jobs().report(job.job_id)
    if json:
        render.print_job_json(final, runs)
    else:
        render.status_table(final, runs)


@app.command()
@cli_errors
def demo(
    concurrency: Concurrency = 4,
) -> None:
    """Build sample repositories under CODY_HOME and run a real job over them."""
    from cody_cli.demo import run_demo

    run_demo(job_commands.container, concurrency)


def main() -> None:
    app()
