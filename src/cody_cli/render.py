"""How results look on stdout: tables for people, JSON for programs."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cody_core.models import Job, LogEntry, RepositoryRun


def _console():
    from rich.console import Console  # rich is for tables: JSON output does without it

    return Console(soft_wrap=True)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def print_job_json(job: Job, runs: Iterable[RepositoryRun]) -> None:
    """The job with its `repositories`, written a run at a time: a job may have 10,000."""
    write = sys.stdout.write
    head = json.dumps(job.to_document(), indent=2, ensure_ascii=False)
    write(head[: head.rfind("}")].rstrip() + ',\n  "repositories": [')
    for index, run in enumerate(runs):
        write(("," if index else "") + "\n    " + json.dumps(run.to_document(), ensure_ascii=False))
    write("\n  ]\n}\n")


def status_table(job: Job, runs: Iterable[RepositoryRun]) -> None:
    from rich.table import Table

    table = Table(title=f"{job.name} ({job.job_id}): {job.status}", title_justify="left")
    for column in ("repository", "status", "changes", "pull request", "error"):
        table.add_column(column, overflow="fold")
    counts: Counter[str] = Counter()
    for run in runs:
        counts[run.status] += 1
        changes = "-"
        if run.were_changes_necessary is True:
            files = len(run.changed_files)
            changes = f"{files} file{'s' * (files != 1)} +{run.lines_added} -{run.lines_removed}"
        elif run.were_changes_necessary is False:
            changes = "none needed"
        error = f"{run.error.kind}: {run.error.message}" if run.error else ""
        table.add_row(
            run.repository_name, run.status, changes, run.pull_request_url or "", error[:200]
        )
    _console().print(table)
    totals = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    _console().print(f"{sum(counts.values())} repositories: {totals or 'none'}")


def jobs_table(jobs: Iterable[Job]) -> None:
    from rich.table import Table

    table = Table()
    for column in ("job id", "name", "status", "created", "repositories"):
        table.add_column(column)
    from cody_core.models import format_timestamp  # loaded already: the jobs are models

    for job in jobs:
        created = format_timestamp(job.created_at)
        table.add_row(job.job_id, job.name, job.status, created, str(job.repository_count))
    _console().print(table)


def log_lines(entries: Iterable[LogEntry]) -> None:
    from cody_core.models import format_timestamp

    for entry in entries:
        print(f"{format_timestamp(entry.timestamp)} {entry.level:<7} {entry.message}")


def conversation(entries: Iterable[dict[str, Any]]) -> None:
    """A conversation for people: who said what, tool calls and their results, shortened."""
    for entry in entries:
        role = entry.get("role", "?")
        if role == "verify":
            print(f"--- verify: exit {entry.get('exit_code')}\n{entry.get('output_tail', '')}")
            continue
        header = f"--- {role}"
        if "turn" in entry:
            usage = entry.get("usage", {})
            header += (
                f" (turn {entry['turn']}, {entry.get('stop_reason')}, "
                f"in {usage.get('input_tokens', 0)} out {usage.get('output_tokens', 0)} "
                f"cache read {usage.get('cache_read_input_tokens', 0)})"
            )
        print(header)
        content = entry.get("content", "")
        for block in [{"type": "text", "text": content}] if isinstance(content, str) else content:
            print(_block_text(block))


def _block_text(block: dict[str, Any], limit: int = 2_000) -> str:
    kind = block.get("type")
    if kind == "text":
        text = block.get("text", "")
    elif kind == "tool_use":
        text = f"[{block.get('name')}] {json.dumps(block.get('input'), ensure_ascii=False)}"
    elif kind == "tool_result":
        inner = block.get("content", "")
        if isinstance(inner, list):
            inner = "\n".join(part.get("text", "") for part in inner if isinstance(part, dict))
        error = " error" if block.get("is_error") else ""
        text = f"[result{error}] {inner}"
    else:
        text = f"[{kind}]"
    return text if len(text) <= limit else text[:limit] + f" … ({len(text) - limit} more)"
