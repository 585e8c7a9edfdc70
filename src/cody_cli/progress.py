"""A progress bar on a terminal; nothing extra when stderr is a pipe (the JSON log says it all)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cody_cli.options import LogFormat

if TYPE_CHECKING:
    from cody_core.models import Job, RepositoryRun


@contextmanager
def progress_for(job: Job, log_format: LogFormat) -> Iterator[Callable[[RepositoryRun], None]]:
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
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(job.name, total=job.repository_count)

        def advance(run: RepositoryRun) -> None:
            if run.status.terminal:
                progress.advance(task)

        yield advance
