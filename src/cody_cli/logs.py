"""Logging to stderr: one JSON object per line for CloudWatch, or plain text on a terminal."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from cody_core.models import format_timestamp
from cody_core.policies.secrets import redact

CONTEXT_FIELDS = ("event", "jobId", "repository")
# Set by AWS Batch in every container; on each line so that CloudWatch queries can group by them.
BATCH_FIELDS = {
    "AWS_BATCH_JOB_ID": "batchJobId",
    "AWS_BATCH_JOB_ATTEMPT": "batchJobAttempt",
    "AWS_BATCH_JOB_ARRAY_INDEX": "batchArrayIndex",
}


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._batch = {
            key: os.environ[name] for name, key in BATCH_FIELDS.items() if name in os.environ
        }

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": format_timestamp(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", record.name),
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS[1:]:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        entry.update(self._batch)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RedactingFilter(logging.Filter):
    """The last line of defence: no configured secret leaves through a log line."""

    def __init__(self, secrets: Sequence[str]):
        super().__init__()
        self._secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg = redact(record.getMessage(), self._secrets)
            record.args = ()
        return True


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes records to stderr, or, while a progress bar is shown, through the live display's
    console, which prints them above the bar instead of over it."""

    console: Any = None  # a rich Console with a live display, set by `through`

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        console = StderrHandler.console
        if console is None:
            self.stream = sys.stderr
            super().emit(record)
            return
        try:
            text = self.format(record)
        except Exception:
            self.handleError(record)
            return
        # soft_wrap: the terminal folds a long line; rich would rewrap it at word breaks.
        console.print(text, soft_wrap=True, markup=False, highlight=False, emoji=False)


@contextmanager
def through(console: Any) -> Iterator[None]:
    """Send log records through `console` (a rich Console showing a live display) meanwhile."""
    StderrHandler.console = console
    try:
        yield
    finally:
        StderrHandler.console = None


def configure(log_format: str, secrets: Sequence[str]) -> None:
    """`auto` means JSON unless stderr is a terminal."""
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    handler = StderrHandler()
    handler.setFormatter(
        JsonFormatter() if use_json else logging.Formatter("%(levelname)s %(message)s")
    )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("botocore", "urllib3", "github", "httpx", "anthropic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
