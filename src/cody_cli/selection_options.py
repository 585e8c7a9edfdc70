"""Options that choose repositories on GitHub, shared by `job create`, `run` and `repos list`."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from cody_core.services.selection import Selection


class ExistingBranch(StrEnum):
    SKIP = "skip"
    REPLACE = "replace"


Org = Annotated[
    str | None,
    typer.Option(
        "--org", metavar="OWNER", help="Every repository of this organisation or user on GitHub."
    ),
]
Topic = Annotated[
    list[str] | None,
    typer.Option(
        "--topic", metavar="TOPIC", help="Only repositories with this topic (repeat: all of them)."
    ),
]
Search = Annotated[
    str | None,
    typer.Option("--search", metavar="QUERY", help="The repositories GitHub's search finds."),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option("--exclude", metavar="GLOB", help="Leave out owner/name matching this; repeat."),
]
IncludeForks = Annotated[
    bool, typer.Option("--include-forks", help="Keep forks (left out by default).")
]
IncludeArchived = Annotated[
    bool, typer.Option("--include-archived", help="Keep archived repositories (left out too).")
]
OnExistingBranch = Annotated[
    ExistingBranch,
    typer.Option(
        metavar="[skip|replace]",
        help="A branch that exists and was not pushed by this job: skip or replace.",
    ),
]


def selection(
    org: str | None,
    topic: list[str] | None,
    search: str | None,
    exclude: list[str] | None,
    include_forks: bool,
    include_archived: bool,
) -> Selection:
    from cody_core.services.selection import Selection  # pydantic loads only when used

    return Selection(
        owner=org,
        topics=tuple(topic or ()),
        search=search,
        excludes=tuple(exclude or ()),
        include_forks=include_forks,
        include_archived=include_archived,
    )
