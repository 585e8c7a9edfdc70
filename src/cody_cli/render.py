"""How results look on stdout: tables for people, JSON for programs."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table

from cody_core.models import Job, LogEntry, RepositoryRun

stdout = Console(soft_wrap=True)


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
    stdout.print(table)
    totals = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    stdout.print(f"{sum(counts.values())} repositories: {totals or 'none'}")


def jobs_table(jobs: Iterable[Job]) -> None:
    table = Table()
    for column in ("job id", "name", "status", "created", "repositories"):
        table.add_column(column)
    for job in jobs:
        created = job.to_document()["createdAt"]
        table.add_row(job.job_id, job.name, job.status, created, str(job.repository_count))
    stdout.print(table)


def log_lines(entries: Iterable[LogEntry]) -> None:
    for entry in entries:
        stamp = entry.to_document()["timestamp"]
        print(f"{stamp} {entry.level:<7} {entry.message}")
