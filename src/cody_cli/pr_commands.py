"""`cody job prs | merge | close | comment`: a job's pull requests after they are opened."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from cody_cli import fleet_render, render
from cody_cli.errors import EXIT_UNFINISHED, cli_errors
from cody_cli.job_commands import JobId
from cody_cli.job_commands import app as job_app
from cody_cli.options import Json
from cody_cli.root import container

if TYPE_CHECKING:
    from cody_core.services.pull_request_actions import Outcome

EXIT_ACTION_FAILED = 1

DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print what would be done; change nothing.")
]
DeleteBranch = Annotated[
    bool, typer.Option("--delete-branch", help="Delete each branch once its pull request is done.")
]


class Method(StrEnum):
    squash = "squash"
    merge = "merge"
    rebase = "rebase"


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """SIGTERM and SIGINT stop the action between two pull requests."""
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stop.set())
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@job_app.command("prs")
@cli_errors
def pull_requests(job_id: JobId, json: Json = False) -> None:
    """Refresh and show each pull request: state, checks, review decision, mergeable."""
    from cody_core.services.tracking import summary

    with _stop_on_signals() as stop:
        tracked = list(container.tracking().refresh(job_id, should_stop=stop.is_set))
    counts = summary(tracked)
    if json:
        fleet_render.pull_requests_json(job_id, tracked, counts)
    else:
        fleet_render.pull_requests_table(job_id, tracked, counts)
    if stop.is_set():
        raise typer.Exit(EXIT_UNFINISHED)
    if any(t.error for t in tracked):
        raise typer.Exit(EXIT_ACTION_FAILED)


def _report(outcomes: Iterator[Outcome], stop: threading.Event, json: bool) -> None:
    """Print each outcome as it comes, then the counts; exit 1 if any failed, 3 if stopped."""
    done: list[Outcome] = []
    for outcome in outcomes:
        done.append(outcome)
        if not json:
            print(fleet_render.outcome_line(outcome), flush=True)
    if json:
        render.print_json([fleet_render.outcome_document(o) for o in done])
    else:
        counts = Counter("failed" if o.failed else o.action for o in done)
        print(fleet_render.counts_line(dict(counts), "pull request"))
    if stop.is_set():
        raise typer.Exit(EXIT_UNFINISHED)
    if any(o.failed for o in done):
        raise typer.Exit(EXIT_ACTION_FAILED)


@job_app.command()
@cli_errors
def merge(
    job_id: JobId,
    method: Annotated[Method, typer.Option(help="How to merge.")] = Method.squash,
    require_checks: Annotated[
        bool, typer.Option(help="Only pull requests whose checks passed (none is not passing).")
    ] = True,
    require_approval: Annotated[
        bool, typer.Option("--require-approval", help="Only approved pull requests.")
    ] = False,
    delete_branch: DeleteBranch = False,
    dry_run: DryRun = False,
    json: Json = False,
) -> None:
    """Merge the open, mergeable pull requests whose checks passed; say why not for the rest."""
    from cody_core.services.pull_request_actions import MergeOptions

    options = MergeOptions(method.value, require_checks, require_approval, delete_branch)
    with _stop_on_signals() as stop:
        outcomes = container.pull_request_actions().merge(job_id, options, dry_run, stop.is_set)
        _report(outcomes, stop, json)


@job_app.command()
@cli_errors
def close(
    job_id: JobId,
    comment: Annotated[str | None, typer.Option(help="Comment on each before closing it.")] = None,
    delete_branch: DeleteBranch = False,
    dry_run: DryRun = False,
    json: Json = False,
) -> None:
    """Close the job's open pull requests (drafts too)."""
    with _stop_on_signals() as stop:
        actions = container.pull_request_actions()
        _report(actions.close(job_id, comment, delete_branch, dry_run, stop.is_set), stop, json)


@job_app.command("comment")
@cli_errors
def comment_command(
    job_id: JobId,
    text: Annotated[str, typer.Argument(help="The comment (Markdown).")],
    dry_run: DryRun = False,
    json: Json = False,
) -> None:
    """Comment on every open pull request of the job; the same text is never posted twice."""
    with _stop_on_signals() as stop:
        actions = container.pull_request_actions()
        _report(actions.comment(job_id, text, dry_run, stop.is_set), stop, json)
