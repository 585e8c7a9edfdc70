"""Logging to stderr: one JSON object per line for CloudWatch, or plain text on a terminal."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

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
    """Writes to whatever sys.stderr is when a record comes: while a progress bar is shown,
    that is the live display's console, which prints the line above the bar."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


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
