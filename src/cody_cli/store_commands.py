"""`cody store ...`: prepare the job store."""

from __future__ import annotations

from typing import Annotated

import typer

from cody_cli import help_text
from cody_cli.errors import EXIT_FAILED, cli_errors
from cody_cli.group import PlainCommand
from cody_cli.job_commands import container

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
        typer.Option("--create", help="Create missing DynamoDB tables in a real AWS account."),
    ] = False,
) -> None:
    """Create the store's tables when absent; safe to run twice.

    Against a local endpoint (DYNAMODB_ENDPOINT) missing tables are created; against a real
    AWS account they are only reported unless --create is given.
    """
    settings = container.settings()
    if settings.cody_store == "sqlite":
        container.store().prepare()
        print(f"sqlite store ready at {settings.database_path}")
        return
    from cody_adapters.aws import reaching

    local = bool(settings.dynamodb_endpoint_url)
    with reaching("DynamoDB", settings.dynamodb_endpoint_url or settings.dynamodb_region or ""):
        missing = container.store().ensure_tables(create=create or local)
    if missing and not (create or local):
        print(f"missing tables: {', '.join(missing)}: run `cody store init --create`")
        raise typer.Exit(EXIT_FAILED)
    created = f" (created {', '.join(missing)})" if missing else ""
    print(f"dynamodb tables {settings.dynamodb_table_prefix}-jobs and -repositories ready{created}")
