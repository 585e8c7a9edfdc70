"""The cody command: `cody job ...`, `cody run` and `cody demo`."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from cody_cli import (  # noqa: F401  (pr_commands and update_commands register job verbs)
    help_text,
    job_commands,
    pr_commands,
    render,
    repos_commands,
    store_commands,
    update_commands,
)
from cody_cli.errors import EXIT_FAILED, cli_errors
from cody_cli.group import OneLineErrors, PlainCommand
from cody_cli.job_commands import create_job
from cody_cli.options import (
    Concurrency,
    Json,
    LogFormat,
    LogFormatOption,
    job_fields,
    with_job_options,
)
from cody_cli.root import container
from cody_cli.running import closing_line, run_job

app = typer.Typer(
    cls=OneLineErrors,
    help="Cody Batch: apply one code change across many repositories, one pull request each.",
    no_args_is_help=True,
    rich_markup_mode=None,  # click's plain help reads well at 80 columns; rich's panels do not
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)
app.add_typer(job_commands.app, name="job")
app.add_typer(store_commands.app, name="store")
app.add_typer(repos_commands.app, name="repos")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"cody {version('cody-batch')}")
        raise typer.Exit()


@app.callback()
def root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Cody Batch: apply one code change across many repositories, one pull request each."""


@app.command(
    "run",
    cls=PlainCommand,
    epilog=help_text.epilog(
        """
cody run --name "rename old_name" --prompt "Rename old_name" --max-repos 0 \\
    --command "git ls-files -z | xargs -0 -r sed -i s/old_name/new_name/g" \\
    --repo ~/src/service-a --repo ~/src/service-b
""",
        help_text.RUN,
    ),
)
@cli_errors
@with_job_options
def create_and_run(
    concurrency: Concurrency = 1,
    json: Json = False,
    log_format: LogFormatOption = LogFormat.auto,
    **options: Any,
) -> None:
    """Create a job and run it here, in one step.

    Takes the options of `cody job create`; --max-repos is the number processed now (default
    5, 0: all). Exits as `cody job run` does.
    """
    repositories, fields = job_fields(**options)
    job = create_job(repositories, fields)
    print(job.job_id, file=sys.stderr)
    outcome = run_job(job.job_id, None, concurrency, log_format)
    final, runs = container.jobs().report(job.job_id)
    if json:
        render.print_job_json(final, runs)
    else:
        render.status_table(final, runs)
        print(closing_line(outcome), file=sys.stderr)
    if final.failed_count:
        raise typer.Exit(EXIT_FAILED)


@app.command(
    cls=PlainCommand,
    epilog=help_text.epilog("cody demo --concurrency 2", ("CODY_HOME", "CLAUDE_API_KEY")),
)
@cli_errors
def demo(concurrency: Concurrency = 4) -> None:
    """Build sample repositories under CODY_HOME and run a job on them.

    The job is real: it clones, changes, verifies, commits, pushes, opens pull requests and
    merges them, all on this machine. With CLAUDE_API_KEY set Claude changes the code.
    """
    from cody_cli.demo import run_demo

    run_demo(container, concurrency)


def main() -> None:
    app()
