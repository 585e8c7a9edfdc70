"""How repositories found on GitHub and a job's pull requests look on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from cody_core.ports import FoundRepository
    from cody_core.services.pull_request_actions import Outcome
    from cody_core.services.tracking import Tracked


def _console() -> Console:
    from rich.console import Console

    return Console(soft_wrap=True)


def repository_document(repository: FoundRepository) -> dict[str, Any]:
    return {
        "repositoryName": repository.name,
        "fork": repository.fork,
        "archived": repository.archived,
        "topics": list(repository.topics),
    }


def repositories_table(repositories: Iterable[FoundRepository]) -> None:
    from rich.table import Table

    table = Table()
    for column in ("repository", "topics", "fork", "archived"):
        table.add_column(column, overflow="fold")
    count = 0
    for r in repositories:
        count += 1
        table.add_row(r.name, ", ".join(r.topics), "yes" * r.fork, "yes" * r.archived)
    _console().print(table)
    print(f"{count} {'repository' if count == 1 else 'repositories'}", file=sys.stderr)


def pull_request_label(url: str) -> str:
    """A local pull request's URL repeats the repository's path: its number says it all."""
    if url.startswith("file://") and "#pull/" in url:
        return "#" + url.rsplit("#pull/", 1)[1]
    return url


def pull_request_document(tracked: Tracked) -> dict[str, Any]:
    run = tracked.run
    document = {
        "repositoryName": run.repository_name,
        "pullRequestUrl": run.pull_request_url,
        "pullRequestNumber": tracked.number,
        "pullRequestState": run.pull_request_state,
        "checks": run.checks or "none",
        "reviewDecision": run.review_decision or "none",
        "mergeable": run.mergeable,
    }
    if tracked.error:
        document["error"] = tracked.error
    return document


def pull_requests_json(job_id: str, tracked: list[Tracked], summary: dict[str, int]) -> None:
    document = {
        "jobId": job_id,
        "repositories": [pull_request_document(t) for t in tracked],
        "summary": summary,
    }
    print(json.dumps(document, indent=2, ensure_ascii=False))


def pull_requests_table(job_id: str, tracked: list[Tracked], summary: dict[str, int]) -> None:
    from rich.table import Table

    table = Table(title=f"pull requests of {job_id}", title_justify="left")
    for column in ("repository", "pull request", "state", "checks", "review", "mergeable"):
        table.add_column(column, overflow="fold")
    for t in tracked:
        run = t.run
        mergeable = {True: "yes", False: "no", None: "unknown"}[run.mergeable]
        state = str(run.pull_request_state) + (f" ({t.error})" if t.error else "")
        review = (run.review_decision or "none").replace("_", " ")
        table.add_row(
            run.repository_name,
            pull_request_label(run.pull_request_url or ""),
            state,
            run.checks or "none",
            review,
            mergeable if run.pull_request_state in ("open", "draft") else "",
        )
    _console().print(table)
    print(counts_line(summary, "pull request"))


def counts_line(counts: dict[str, int], noun: str) -> str:
    total = sum(counts.values())
    shown = ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "none"
    return f"{total} {noun}{'s' * (total != 1)}: {shown}"


def outcome_line(outcome: Outcome) -> str:
    reason = f": {outcome.reason}" if outcome.reason else ""
    where = f"{outcome.repository_name} {pull_request_label(outcome.pull_request_url)}"
    return f"{outcome.action:<16} {where}{reason}"


def outcome_document(outcome: Outcome) -> dict[str, Any]:
    return {
        "repositoryName": outcome.repository_name,
        "pullRequestUrl": outcome.pull_request_url,
        "action": outcome.action,
        "reason": outcome.reason,
        "failed": outcome.failed,
    }
