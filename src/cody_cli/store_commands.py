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
        False, "--create", help="Create missing DynamoDB tables in a real AWS account."
    ),
) -> None:
    """Create the store's tables when absent; safe to run twice.

    Against a local endpoint (DYNAMODB_ENDPOINT) missing tables are created; against a real
    AWS account they are only reported unless --create is given.
    """
    settings = container.settings()
    if settings.cody_store == "sqlite":
        container.store()
        print(f"sqlite store ready at {settings.database_path}")
        return
    local = bool(settings.dynamodb_endpoint_url)
    missing = container.store().ensure_tables(create=create or local)
    if missing and not (create or local):
        print(f"missing tables: {', '.join(missing)}: run `cody store init --create`")
        raise typer.Exit(1)
    created = f" (created {', '.join(missing)})" if missing else ""
    print(f"dynamodb tables {settings.dynamodb_table_prefix}-jobs and -repositories ready{created}")
