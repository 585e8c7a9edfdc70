"""How results look on stdout: tables for people, JSON for programs, a row at a time."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from cody_core.policies.wording import counted

if TYPE_CHECKING:
    from cody_core.models import Job, LogEntry, RepositoryRun

STATUS_WIDTH = 11  # "in-progress"
CHANGES_WIDTH = 16
ID_WIDTH = 36  # a uuid: never cut, never folded
MAX_ERROR_SHOWN = 300
URL_MARGIN = 2  # where a URL too long for its column starts: left, whole on its line


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def print_job_json(job: Job, runs: Iterable[RepositoryRun]) -> None:
    """The job with its `repositories`, written a run at a time: a job may have 100,000."""
    write = sys.stdout.write
    head = json.dumps(job.to_document(), indent=2, ensure_ascii=False)
    write(head[: head.rfind("}")].rstrip() + ',\n  "repositories": [')
    for index, run in enumerate(runs):
        write(("," if index else "") + "\n    " + json.dumps(run.to_document(), ensure_ascii=False))
    write("\n  ]\n}\n")


def width() -> int | None:
    """Columns to fit: the terminal's (or COLUMNS); None when piped, so rows stay one line."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return max(40, shutil.get_terminal_size().columns)
    return None


def fold(text: str, room: int | None, words: bool = False) -> list[str]:
    """`text` in lines of at most `room` characters; nothing is ever cut off."""
    if room is None or len(text) <= room:
        return [text]
    if words:
        return textwrap.wrap(text, room, break_on_hyphens=False) or [""]
    return [text[i : i + room] for i in range(0, len(text), room)]


class Outdented(str):
    """A row's line written at URL_MARGIN rather than under its column."""


def fold_url(url: str, room: int | None, columns: int | None) -> list[str]:
    """A URL on one line, so that a terminal can open it: under its column when it fits, else
    from the left margin; folded only when it is longer than the whole line."""
    if room is None or columns is None or len(url) <= room:
        return [url]
    return [Outdented(part) for part in fold(url, columns - URL_MARGIN)]


def continued(lines: Iterable[str], indent: int) -> str:
    """A row's further lines, each under its column (or at the margin, if Outdented)."""
    return "".join(
        " " * (URL_MARGIN if isinstance(line, Outdented) else indent) + line + "\n"
        for line in lines
    )


def status_table(job: Job, runs: Iterable[RepositoryRun]) -> None:
    """The job's runs as rows, printed as they are read: memory stays flat for any size."""
    columns = width()
    indent = STATUS_WIDTH + CHANGES_WIDTH + 4
    room = None if columns is None else columns - indent
    write = sys.stdout.write
    write(f"{job.name} ({job.job_id}): {job.status}\n")
    write(f"{'status':<{STATUS_WIDTH}}  {'changes':<{CHANGES_WIDTH}}  repository\n")
    counts: Counter[str] = Counter()
    for run in runs:
        counts[run.status] += 1
        lines = fold(run.repository_name, room)
        if run.pull_request_url:
            lines += fold_url(run.pull_request_url, room, columns)
        if run.error:
            error = f"{run.error.kind}: {run.error.message}"
            if len(error) > MAX_ERROR_SHOWN:
                error = error[:MAX_ERROR_SHOWN] + " …"
            lines += fold(" ".join(error.split()), room, words=True)
        first = f"{run.status:<{STATUS_WIDTH}}  {_changes(run):<{CHANGES_WIDTH}}  "
        write(first + lines[0] + "\n")
        write(continued(lines[1:], indent))
    totals = ", ".join(f"{count:,} {status}" for status, count in sorted(counts.items()))
    write(f"{counted(sum(counts.values()), 'repository')}: {totals or 'none'}\n")


def _changes(run: RepositoryRun) -> str:
    if run.were_changes_necessary is True:
        files = counted(len(run.changed_files), "file")
        return f"{files} +{run.lines_added} -{run.lines_removed}"
    if run.were_changes_necessary is False:
        return "none needed"
    return "-"


def jobs_table(jobs: Iterator[Job]) -> None:
    """One row per job; the id is whole, and `created` goes before the id would be cut."""
    columns = width()
    fixed = ID_WIDTH + STATUS_WIDTH + 11  # the id, status and repos columns with their gaps
    created = columns is None or columns - fixed - 18 >= 20
    room = None if columns is None else columns - fixed - (18 if created else 0)
    write = sys.stdout.write
    header = f"{'job id':<{ID_WIDTH}}  {'status':<{STATUS_WIDTH}}  {'repos':>5}  "
    write(header + ("created           " if created else "") + "name\n")
    for job in jobs:
        row = f"{job.job_id:<{ID_WIDTH}}  {job.status:<{STATUS_WIDTH}}  {job.repository_count:>5}  "
        if created:
            row += job.created_at.strftime("%Y-%m-%d %H:%M") + "  "
        names = fold(job.name, room, words=True)
        write(row + names[0] + "\n")
        write("".join(" " * len(row) + line + "\n" for line in names[1:]))


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
    text: str
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
