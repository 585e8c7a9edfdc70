"""`cody repos list`: the repositories a selection finds on GitHub, to look at before a job."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from cody_cli import fleet_render, help_text, render
from cody_cli.errors import cli_errors
from cody_cli.group import PlainCommand
from cody_cli.options import Json
from cody_cli.root import container
from cody_cli.selection_options import (
    Exclude,
    IncludeArchived,
    IncludeForks,
    Org,
    Search,
    Topic,
    selection,
)
from cody_core.errors import InputError

if TYPE_CHECKING:
    from cody_core.services.selection import Selected, Selection

app = typer.Typer(help="Find repositories on GitHub.", no_args_is_help=True, rich_markup_mode=None)
LIST_EXAMPLE = "cody repos list --org acme --topic python --exclude 'acme/legacy-*' --json"


def select(chosen: Selection) -> Selected:
    """What the selection finds; how many the allowlist left out is said on stderr."""
    selected = container.selector().select(chosen)
    if selected.outside_allowlist:
        count = selected.outside_allowlist
        noun = "repository" if count == 1 else "repositories"
        print(f"{count} {noun} outside ALLOWED_REPOSITORIES left out", file=sys.stderr)
    return selected


def selected_names(chosen: Selection) -> list[str]:
    """The repositories of a job created from a selection; one that finds none is refused."""
    selected = select(chosen)
    if not selected.repositories:
        raise InputError(
            "the selection matched no repository: check --org, --topic, --search and --exclude "
            "(`cody repos list` shows what they find), or ALLOWED_REPOSITORIES"
        )
    return [repository.name for repository in selected.repositories]


@app.command("list", cls=PlainCommand, epilog=help_text.epilog(LIST_EXAMPLE, help_text.SELECT))
@cli_errors
def list_repositories(
    org: Org = None,
    topic: Topic = None,
    search: Search = None,
    exclude: Exclude = None,
    include_forks: IncludeForks = False,
    include_archived: IncludeArchived = False,
    json: Json = False,
) -> None:
    """Print the repositories `job create` would take with the same options.

    Repositories outside ALLOWED_REPOSITORIES are left out (stderr says how many). Needs
    GITHUB_TOKEN.
    """
    chosen = selection(org, topic, search, exclude, include_forks, include_archived)
    if not (org or search):
        raise InputError(
            "say where to look with --org OWNER or --search QUERY (--topic and --exclude "
            "only narrow what they find)"
        )
    repositories = select(chosen).repositories
    if json:
        render.print_json([fleet_render.repository_document(r) for r in repositories])
    else:
        fleet_render.repositories_table(repositories)
