"""One progress bar on a terminal, log lines printed above it; none when stderr is a pipe or
the log is JSON (the log says it all)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cody_cli.options import LogFormat

if TYPE_CHECKING:
    from cody_core.models import Job, RepositoryRun


@dataclass(frozen=True)
class Hooks:
    """What the job processor tells the display: the runs it plans, and each run it ends."""

    planned: Callable[[int], None] = lambda runs: None
    run_done: Callable[[RepositoryRun], None] = lambda run: None


@contextmanager
def progress_for(job: Job, log_format: LogFormat) -> Iterator[Hooks]:
    if log_format == LogFormat.json or not sys.stderr.isatty():
        yield Hooks()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from cody_cli import logs

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    console = Console(stderr=True)
    progress = Progress(*columns, console=console, redirect_stderr=True, transient=False)
    with progress, logs.through(console):
        task = progress.add_task(job.name, total=None)

        def planned(runs: int) -> None:
            progress.update(task, total=runs, completed=0)

        def run_done(run: RepositoryRun) -> None:
            if run.status.terminal:
                progress.advance(task)

        yield Hooks(planned, run_done)
