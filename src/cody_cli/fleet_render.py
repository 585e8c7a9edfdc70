"""How repositories found on GitHub and a job's pull requests look on stdout.

Like `cody job status`: short columns first, then the repository and its pull request, folded
to the terminal's width and never cut (a URL stays on one line); one line a row when piped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cody_cli.render import MAX_ERROR_SHOWN, Outdented, continued, fold, fold_url, width
from cody_core.policies.wording import counted

if TYPE_CHECKING:
    from cody_core.ports import FoundRepository
    from cody_core.services.pull_request_actions import Outcome
    from cody_core.services.tracking import Tracked

ACTION_WIDTH = 17  # "already commented"
GAP = "  "


def repository_document(repository: FoundRepository) -> dict[str, Any]:
    return {
        "repositoryName": repository.name,
        "fork": repository.fork,
        "archived": repository.archived,
        "topics": list(repository.topics),
    }


def repositories_table(repositories: Iterable[FoundRepository]) -> None:
    """A row per repository, printed as it is found; how many on stderr."""
    head = f"fork{GAP}archived{GAP}"
    room = _room(len(head))
    sys.stdout.write(head + "repository\n")
    count = 0
    for r in repositories:
        count += 1
        topics = f"topics: {', '.join(r.topics)}" if r.topics else ""
        flags = f"{'yes' if r.fork else '':<4}{GAP}{'yes' if r.archived else '':<8}{GAP}"
        _write_row(flags, _together([r.name, topics], room, words=True, sep=GAP))
    print(counted(count, "repository"), file=sys.stderr)


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
    """A row per pull request; state, checks, review and mergeable only as wide as their
    longest value, so that the repository and its pull request get the rest of the line."""
    if not tracked:
        print(f"pull requests of {job_id}\n{counts_line(summary, 'pull request')}")
        return
    cells = [_cells(t) for t in tracked]
    headers = ("state", "checks", "review", "mergeable")
    widths = [max(len(row[i]) for row in [headers, *cells]) for i in range(len(headers))]

    def columns(row: tuple[str, ...]) -> str:
        return "".join(f"{cell:<{w}}{GAP}" for cell, w in zip(row, widths, strict=True))

    room = _room(len(columns(headers)))
    sys.stdout.write(f"pull requests of {job_id}\n{columns(headers)}repository\n")
    for t, row in zip(tracked, cells, strict=True):
        lines = _where(t.run.repository_name, t.run.pull_request_url or "", room)
        if t.error and room is None:  # piped: a row is one line
            lines = [f"{lines[0]}{GAP}{_shortened(t.error)}"]
        elif t.error:
            lines += fold(_shortened(t.error), room, words=True)
        _write_row(columns(row), lines)
    print(counts_line(summary, "pull request"))


def _cells(t: Tracked) -> tuple[str, str, str, str]:
    run = t.run
    mergeable = {True: "yes", False: "no", None: "unknown"}[run.mergeable]
    return (
        str(run.pull_request_state or "unknown"),
        run.checks or "none",
        (run.review_decision or "none").replace("_", " "),
        mergeable if run.pull_request_state in ("open", "draft") else "",
    )


def counts_line(counts: dict[str, int], noun: str) -> str:
    if not any(counts.values()):
        return f"no {noun}s"
    shown = ", ".join(f"{n:,} {what}" for what, n in counts.items() if n)
    return f"{counted(sum(counts.values()), noun)}: {shown}"


def outcome_lines(outcome: Outcome) -> str:
    """What a bulk action did to one pull request: the action, where, and why, folded under
    the action at the terminal's width; one line when piped."""
    indent = ACTION_WIDTH + len(GAP)
    room = _room(indent)
    lines = _where(outcome.repository_name, outcome.pull_request_url, room)
    if outcome.reason:
        last = lines.pop()
        if isinstance(last, Outdented):  # the reason goes under the action, not by the URL
            lines.append(last)
            last = ""
        lines += _together([last, outcome.reason], room, words=True, sep=": ")
    first = f"{outcome.action:<{ACTION_WIDTH}}{GAP}{lines[0]}\n"
    return (first + continued(lines[1:], indent)).rstrip("\n")


def outcome_document(outcome: Outcome) -> dict[str, Any]:
    return {
        "repositoryName": outcome.repository_name,
        "pullRequestUrl": outcome.pull_request_url,
        "action": outcome.action,
        "reason": outcome.reason,
        "failed": outcome.failed,
    }


def _room(indent: int) -> int | None:
    """What is left of the terminal's line after `indent` columns; None when piped."""
    columns = width()
    return None if columns is None else max(20, columns - indent)


def _where(name: str, url: str, room: int | None) -> list[str]:
    """The repository, then its pull request: on the same line if it fits, else on its own."""
    label = pull_request_label(url)
    lines = fold(name, room)
    if not label:
        return lines
    if room is None or len(lines[-1]) + 1 + len(label) <= room:
        return [*lines[:-1], f"{lines[-1]} {label}"]
    return [*lines, *fold_url(label, room, width())]


def _together(parts: list[str], room: int | None, words: bool, sep: str) -> list[str]:
    """The non-empty parts in lines of at most `room`: each after the one before while it
    fits, else from a line of its own, folded (by words if `words`) but never cut."""
    parts = [part for part in parts if part]
    if room is None:
        return [sep.join(parts)]
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(sep) + len(part) <= room:
            lines[-1] += sep + part
        else:
            lines += fold(part, room, words=words)
    return lines or [""]


def _shortened(error: str) -> str:
    error = " ".join(error.split())
    return error if len(error) <= MAX_ERROR_SHOWN else error[:MAX_ERROR_SHOWN] + " …"


def _write_row(first: str, lines: list[str]) -> None:
    sys.stdout.write(f"{first}{lines[0]}\n{continued(lines[1:], len(first))}")
