"""`cody store ...`: prepare the job store."""

from __future__ import annotations

from typing import Annotated

import typer

from cody_cli import help_text
from cody_cli.errors import EXIT_FAILED, cli_errors
from cody_cli.group import PlainCommand
from cody_cli.root import container

app = typer.Typer(help="Prepare the job store.", no_args_is_help=True, rich_markup_mode=None)
STORE_INIT = (*help_text.STORE, "DYNAMODB_REGION", "AWS_ENDPOINT_URL_DYNAMODB")


@app.command(
    cls=PlainCommand,
    epilog=help_text.epilog("CODY_STORE=dynamodb cody store init --create", STORE_INIT),
)
@cli_errors
def init(
    create: Annotated[
        bool,
        typer.Option(
            "--create",
            help="Add what the DynamoDB tables lack (tables, indexes, TTL) in a real AWS account.",
        ),
    ] = False,
) -> None:
    """Add the tables, indexes and TTL the store lacks; safe twice.

    Against a local endpoint (DYNAMODB_ENDPOINT) what is missing is added; against a real
    AWS account it is only reported unless --create is given.
    """
    settings = container.settings()
    if settings.cody_store == "sqlite":
        container.store().prepare()
        print(f"sqlite store ready at {settings.database_path}")
        return
    local = bool(settings.dynamodb_endpoint_url)
    store = container.store()
    report = store.ensure_tables(create=create or local)
    notes = "".join(f"\nnote: {note}" for note in report.notes)
    if report.missing and not (create or local):
        print(f"missing: {'; '.join(report.missing)}: run `cody store init --create`{notes}")
        raise typer.Exit(EXIT_FAILED)
    done = f": {'; '.join(report.done)}" if report.done else ""
    jobs, runs = store.tables
    print(f"dynamodb tables {jobs} and {runs} ready{done}{notes}")
