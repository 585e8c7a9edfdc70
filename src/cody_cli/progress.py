"""One progress bar on a terminal, log lines printed above it; none when stderr is a pipe or
the log is JSON (the log says it all)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cody_cli.options import LogFormat

if TYPE_CHECKING:
    from cody_core.models import Job, RepositoryRun


@contextmanager
def progress_for(
    job: Job, log_format: LogFormat, limit: int | None = None
) -> Iterator[Callable[[RepositoryRun], None]]:
    """A callback for each run done; the bar counts to the run's limit (None: every run)."""
    if log_format == LogFormat.json or not sys.stderr.isatty():
        yield lambda run: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    from cody_cli import logs

    console = Console(stderr=True)
    progress = Progress(*columns, console=console, redirect_stderr=True, transient=False)
    with progress, logs.through(console):
        total = min(limit or job.repository_count, job.repository_count)
        task = progress.add_task(job.name, total=total)

        def advance(run: RepositoryRun) -> None:
            if run.status.terminal:
                progress.advance(task)

        yield advance
