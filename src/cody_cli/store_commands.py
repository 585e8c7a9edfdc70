"""`cody store ...`: prepare the job store."""

from __future__ import annotations

import typer

from cody_cli.errors import cli_errors
from cody_cli.job_commands import container

app = typer.Typer(help="Prepare the job store.", no_args_is_help=True)


@app.command()
@cli_errors
def init(
    create: bool = typer.Option(
        False,
        "--create",
        help="Add what the DynamoDB tables lack (tables, indexes, TTL) in a real AWS account.",
    ),
) -> None:
    """Create the store's tables, their indexes and TTL when absent; safe to run twice.

    Against a local endpoint (DYNAMODB_ENDPOINT) what is missing is added; against a real
    AWS account it is only reported unless --create is given.
    """
    settings = container.settings()
    if settings.cody_store == "sqlite":
        container.store()
        print(f"sqlite store ready at {settings.database_path}")
        return
    local = bool(settings.dynamodb_endpoint_url)
    store = container.store()
    report = store.ensure_tables(create=create or local)
    notes = "".join(f"\nnote: {note}" for note in report.notes)
    if report.missing and not (create or local):
        print(f"missing: {'; '.join(report.missing)}: run `cody store init --create`{notes}")
        raise typer.Exit(1)
    done = f": {'; '.join(report.done)}" if report.done else ""
    jobs, runs = store.tables
    print(f"dynamodb tables {jobs} and {runs} ready{done}{notes}")
