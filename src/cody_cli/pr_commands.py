"""`cody job prs | merge | close | comment`: a job's pull requests after they are opened."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from cody_cli import fleet_render, help_text, render
from cody_cli.errors import EXIT_UNFINISHED, cli_errors
from cody_cli.group import PlainCommand
from cody_cli.job_commands import JobId
from cody_cli.job_commands import app as job_app
from cody_cli.options import Json
from cody_cli.root import container
from cody_cli.signals import stop_on_signals

if TYPE_CHECKING:
    from cody_core.services.pull_request_actions import Outcome

EXIT_ACTION_FAILED = 1

DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print what would be done; change nothing.")
]
OutcomesJson = Annotated[
    bool, typer.Option("--json", help="Print what happened to each as JSON instead.")
]


class Method(StrEnum):
    squash = "squash"
    merge = "merge"
    rebase = "rebase"


@contextmanager
def _stop_between_pull_requests() -> Iterator[threading.Event]:
    """SIGTERM and SIGINT stop the action between two pull requests."""
    stop = threading.Event()
    with stop_on_signals(stop.set):
        yield stop


@job_app.command(
    "prs",
    cls=PlainCommand,
    epilog=help_text.epilog('cody job prs "$JOB" --json | jq .summary', help_text.PULL_REQUESTS),
)
@cli_errors
def pull_requests(job_id: JobId, json: Json = False) -> None:
    """Refresh and show the job's pull requests.

    Each one's state, checks, review decision and mergeability, as its host says now, stored on
    its run; then the counts by state. Exits 0 when every one was read, 1 when one could not
    be, 2 on bad input and 3 when interrupted.
    """
    from cody_core.services.tracking import summary

    with _stop_between_pull_requests() as stop:
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
            print(fleet_render.outcome_lines(outcome), flush=True)
    if json:
        render.print_json([fleet_render.outcome_document(o) for o in done])
    else:
        counts = Counter("failed" if o.failed else o.action for o in done)
        print(fleet_render.counts_line(dict(counts), "pull request"))
    if stop.is_set():
        raise typer.Exit(EXIT_UNFINISHED)
    if any(o.failed for o in done):
        raise typer.Exit(EXIT_ACTION_FAILED)


@job_app.command(
    cls=PlainCommand,
    epilog=help_text.epilog(
        'cody job merge "$JOB" --method squash --delete-branch --dry-run', help_text.MERGE
    ),
)
@cli_errors
def merge(
    job_id: JobId,
    method: Annotated[
        Method,
        typer.Option(
            metavar="[squash|merge|rebase]", help="How to merge (local repositories: no rebase)."
        ),
    ] = Method.squash,
    require_checks: Annotated[
        bool,
        typer.Option(help="Only pull requests whose checks passed (no checks is not passing)."),
    ] = True,
    require_approval: Annotated[
        bool, typer.Option("--require-approval", help="Only approved pull requests.")
    ] = False,
    delete_branch: Annotated[
        bool, typer.Option("--delete-branch", help="Delete each branch once merged.")
    ] = False,
    dry_run: DryRun = False,
    json: OutcomesJson = False,
) -> None:
    """Merge the ready pull requests; say why not for the rest.

    Ready: open (drafts are not), mergeable, its checks passed and, with --require-approval,
    approved. Exits 0 when every pull request was handled or reported with its reason, 1 when
    an action failed, 2 on bad input and 3 when interrupted (running it again resumes).
    """
    from cody_core.services.pull_request_actions import MergeOptions

    options = MergeOptions(method.value, require_checks, require_approval, delete_branch)
    with _stop_between_pull_requests() as stop:
        outcomes = container.pull_request_actions().merge(job_id, options, dry_run, stop.is_set)
        _report(outcomes, stop, json)


@job_app.command(
    cls=PlainCommand,
    epilog=help_text.epilog(
        'cody job close "$JOB" --comment "Not needed after all" --delete-branch',
        help_text.PULL_REQUEST_WRITES,
    ),
)
@cli_errors
def close(
    job_id: JobId,
    comment: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Comment on each before closing it.")
    ] = None,
    delete_branch: Annotated[
        bool, typer.Option("--delete-branch", help="Delete each branch once closed.")
    ] = False,
    dry_run: DryRun = False,
    json: OutcomesJson = False,
) -> None:
    """Close the job's open pull requests (drafts too).

    Exits 0 when every pull request was closed or reported with its reason, 1 when an action
    failed, 2 on bad input and 3 when interrupted (running it again resumes).
    """
    with _stop_between_pull_requests() as stop:
        actions = container.pull_request_actions()
        _report(actions.close(job_id, comment, delete_branch, dry_run, stop.is_set), stop, json)


@job_app.command(
    "comment",
    cls=PlainCommand,
    epilog=help_text.epilog(
        'cody job comment "$JOB" "Rebased on main: please have another look."',
        help_text.PULL_REQUEST_WRITES,
    ),
)
@cli_errors
def comment_command(
    job_id: JobId,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The comment (Markdown).")],
    dry_run: DryRun = False,
    json: OutcomesJson = False,
) -> None:
    """Comment on every open pull request of the job (drafts too).

    The same text is never posted twice on one pull request. Exits 0 when every pull request
    was handled or reported with its reason, 1 when an action failed, 2 on bad input and 3
    when interrupted (running it again resumes).
    """
    with _stop_between_pull_requests() as stop:
        actions = container.pull_request_actions()
        _report(actions.comment(job_id, text, dry_run, stop.is_set), stop, json)
