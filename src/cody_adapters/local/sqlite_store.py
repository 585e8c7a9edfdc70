"""JobStore on a SQLite file: one JSON document per row, conditional writes in transactions."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from cody_adapters.local.sqlite_errors import busy, make_home, translated
from cody_adapters.shared.clock import SystemClock
from cody_core.errors import InputError, TransientError
from cody_core.models import (
    Job,
    JobStatus,
    Record,
    RepositoryRun,
    RunStatus,
    apply_changes,
    checked_runs,
    format_timestamp,
    with_write_stamps,
)
from cody_core.ports import Clock

R = TypeVar("R", bound=Record)

_BUSY_RETRY_SECONDS = 0.01

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_created_at ON jobs (created_at);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at);
CREATE TABLE IF NOT EXISTS runs (
    job_id TEXT NOT NULL,
    repository_name TEXT NOT NULL,
    status TEXT NOT NULL,
    lease_owner TEXT,
    lease_expires_at TEXT,
    version INTEGER,
    doc TEXT NOT NULL,
    PRIMARY KEY (job_id, repository_name)
);
"""


def _known(model: type[Record]) -> str:
    """json_remove's paths for every attribute the model stores."""
    aliases = (field.alias or name for name, field in model.model_fields.items())
    return ", ".join(f"'$.{alias}'" for alias in (*aliases, *model.model_computed_fields))


# The stored document is the model's, with the attributes only other writers keep (the
# existing API, through the same documents on DynamoDB) patched in, so that they survive as
# they do on DynamoDB, whose writes are updates. The model's document is the target, never the
# patch: a JSON merge patch drops the nulls it carries, and its values may hold some.
# Both statements take `_run_row`'s values in order.
_INSERT_RUN = (
    "INSERT INTO runs (status, lease_owner, lease_expires_at, version, doc, job_id,"
    " repository_name) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_RUN = (
    "UPDATE runs SET status = ?, lease_owner = ?, lease_expires_at = ?, version = ?,"
    f" doc = json_patch(?, json_remove(doc, {_known(RepositoryRun)}))"
    " WHERE job_id = ? AND repository_name = ?"
)
_UPDATE_JOB = (
    f"UPDATE jobs SET status = ?, doc = json_patch(?, json_remove(doc, {_known(Job)}))"
    " WHERE job_id = ?"
)


class SqliteJobStore:
    """Safe to share between threads (a connection each) and between processes (WAL, locks);
    every write stamps `updatedAt` with the clock's time.

    Nothing is created on disk until the first write: reading a store that does not exist
    finds no jobs and leaves no file behind.
    """

    def __init__(
        self,
        path: Path,
        *,
        page_size: int = 500,
        busy_timeout: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        self._path = path
        self._clock = clock or SystemClock()
        self._page_size = page_size
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._prepared = False
        self._prepare_lock = threading.Lock()

    def prepare(self) -> None:
        """Create CODY_HOME and the tables if they are missing; every write does it first."""
        if self._prepared:
            return
        # One thread at a time: threads that switch a new file to WAL and create its tables
        # together get "database is locked" at once, without waiting out busy_timeout.
        with self._prepare_lock:
            if self._prepared:
                return
            make_home(self._path.parent)
            with self._translated():
                self._connection().executescript(_SCHEMA)
            self._prepared = True

    def close(self) -> None:
        """Close every thread's connection; the store is unusable afterwards."""
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def create_job(self, job: Job, runs: Iterable[RepositoryRun]) -> None:
        now = self._clock.now()
        # Checked as they are written: a run that fails the check rolls the transaction back.
        runs = (with_write_stamps(run, now) for run in checked_runs(job, runs))
        self.prepare()
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job.job_id,)).fetchone():
                raise InputError(f"job {job.job_id} already exists")
            document = with_write_stamps(job, now).to_document()
            db.execute(
                "INSERT INTO jobs (job_id, status, created_at, doc) VALUES (?, ?, ?, ?)",
                (job.job_id, document["status"], document["createdAt"], _dumps(document)),
            )
            db.executemany(_INSERT_RUN, map(_run_row, runs))

    def get_job(self, job_id: str) -> Job | None:
        rows = self._read("SELECT doc FROM jobs WHERE job_id = ?", job_id)
        return self._job(rows[0][0]) if rows else None

    def list_jobs(self, status: JobStatus | None = None) -> Iterator[Job]:
        order = "ORDER BY created_at DESC, job_id DESC"
        if status is None:
            rows = self._read(f"SELECT doc FROM jobs {order}")
        else:
            query = f"SELECT doc FROM jobs WHERE status = ? {order}"
            rows = self._read(query, str(status))
        return (self._job(doc) for (doc,) in rows)

    def transition_job(
        self, job_id: str, allowed: Sequence[JobStatus], changes: dict[str, Any]
    ) -> Job | None:
        if not self._exists():
            return None
        self.prepare()
        with self._transaction() as db:
            row = db.execute(
                f"SELECT doc FROM jobs WHERE job_id = ? AND status IN ({_marks(allowed)})",
                (job_id, *map(str, allowed)),
            ).fetchone()
            if row is None:
                return None
            changes = {**changes, "updated_at": self._clock.now()}
            stored = _counted(db, json.loads(row[0]))
            document = apply_changes(Job.model_validate(stored), changes).to_document()
            db.execute(_UPDATE_JOB, (document["status"], _dumps(document), job_id))
        return Job.model_validate(document)

    def iter_runs(self, job_id: str) -> Iterator[RepositoryRun]:
        after = ""  # every repository name sorts after the empty string
        while True:
            rows = self._read(
                "SELECT repository_name, doc FROM runs WHERE job_id = ? AND repository_name > ?"
                " ORDER BY repository_name LIMIT ?",
                job_id,
                after,
                self._page_size,
            )
            yield from (_load(RepositoryRun, doc) for _, doc in rows)
            if len(rows) < self._page_size:
                return
            after = rows[-1][0]

    def get_run(self, job_id: str, repository_name: str) -> RepositoryRun | None:
        rows = self._read(
            "SELECT doc FROM runs WHERE job_id = ? AND repository_name = ?", job_id, repository_name
        )
        return _load(RepositoryRun, rows[0][0]) if rows else None

    def claim_run(
        self, job_id: str, repository_name: str, owner: str, now: datetime, lease_until: datetime
    ) -> RepositoryRun | None:
        def claim(run: RepositoryRun) -> RepositoryRun:
            return run.claimed(owner, now, lease_until).evolve(updated_at=self._clock.now())

        return self._update_run(
            job_id,
            repository_name,
            "status = ? OR (status = ? AND lease_expires_at < ?)",
            (RunStatus.PENDING.value, RunStatus.IN_PROGRESS.value, format_timestamp(now)),
            claim,
        )

    def renew_lease(
        self, job_id: str, repository_name: str, owner: str, lease_until: datetime
    ) -> bool:
        renewed = self._update_run(
            job_id,
            repository_name,
            "status = ? AND lease_owner = ?",
            (RunStatus.IN_PROGRESS.value, owner),
            lambda run: apply_changes(
                run, {"lease_expires_at": lease_until, "updated_at": self._clock.now()}
            ),
        )
        return renewed is not None

    def save_run(self, run: RepositoryRun) -> RepositoryRun | None:
        stamps = {"version": run.version + 1, "updated_at": self._clock.now()}
        row = _run_row(run.model_copy(update=stamps))
        if not self._exists():
            return None
        self.prepare()
        with self._translated():
            cursor = self._connection().execute(  # a row another writer left has no version: 0
                f"{_UPDATE_RUN} AND lease_owner IS ? AND IFNULL(version, 0) = ?",
                (*row, run.lease_owner, run.version),
            )
        return _load(RepositoryRun, row[4]) if cursor.rowcount == 1 else None

    def transition_run(
        self,
        job_id: str,
        repository_name: str,
        allowed: Sequence[RunStatus],
        changes: dict[str, Any],
    ) -> RepositoryRun | None:
        return self._update_run(
            job_id,
            repository_name,
            f"status IN ({_marks(allowed)})",
            tuple(map(str, allowed)),
            lambda run: apply_changes(
                run, {**changes, "version": run.version + 1, "updated_at": self._clock.now()}
            ),
        )

    def _update_run(
        self,
        job_id: str,
        repository_name: str,
        condition: str,
        parameters: tuple[Any, ...],
        change: Callable[[RepositoryRun], RepositoryRun],
    ) -> RepositoryRun | None:
        if not self._exists():
            return None
        self.prepare()
        with self._transaction() as db:
            row = db.execute(
                f"SELECT doc FROM runs WHERE job_id = ? AND repository_name = ? AND ({condition})",
                (job_id, repository_name, *parameters),
            ).fetchone()
            if row is None:
                return None
            new_row = _run_row(change(_load(RepositoryRun, row[0])))
            db.execute(_UPDATE_RUN, new_row)
        return _load(RepositoryRun, new_row[4])

    def _job(self, stored: str) -> Job:
        """The job of a row; one the existing API wrote gets its repositoryCount counted."""
        document = json.loads(stored)
        if "repositoryCount" not in document:
            with self._transaction() as db:
                document = _counted(db, document)
        return Job.model_validate(document)

    def _exists(self) -> bool:
        return self._prepared or self._path.exists()

    def _read(self, query: str, *parameters: Any) -> list[Any]:
        """The rows of a query; none when the store was never written."""
        if not self._exists():
            return []
        with self._translated():
            try:
                return self._connection().execute(query, parameters).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):  # an empty database file: no jobs yet
                    return []
                raise

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock before reading, so read-check-write cannot interleave.
        with self._translated():
            connection = self._connection()
            self._execute_when_free(connection, "BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                if connection.in_transaction:  # some errors have rolled back already
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _execute_when_free(self, connection: sqlite3.Connection, statement: str) -> None:
        # While another process switches a new file to WAL, BEGIN and the switch itself answer
        # "locked" at once, without waiting on the busy handler: retried until busy_timeout.
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                connection.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if not busy(exc):
                    raise
                if time.monotonic() >= deadline:  # worth another attempt later
                    message = f"the SQLite store is busy: {exc}"
                    raise TransientError(message, kind="throttled") from exc
                time.sleep(_BUSY_RETRY_SECONDS)

    def _translated(self) -> AbstractContextManager[None]:
        return translated(self._path)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves; timeout is busy_timeout.
            connection = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            self._execute_when_free(connection, "PRAGMA journal_mode = WAL")
            # WAL with NORMAL survives a crash of the process; only a power loss can undo the
            # last commits, and leases make that safe to redo.
            connection.execute("PRAGMA synchronous = NORMAL")
            # The OS caches the file: a thread's connection keeps only a small cache of its own,
            # not the default 2 MB that every worker thread would fill with the same pages.
            connection.execute("PRAGMA cache_size = -512")
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection


def _counted(db: sqlite3.Connection, document: dict[str, Any]) -> dict[str, Any]:
    """A job document with its repositoryCount, counted from its runs and stored if it had none
    (the existing API writes none); a fix of what was left out, so updatedAt stays."""
    if "repositoryCount" in document:
        return document
    job_id = document.get("jobId", "")
    (count,) = db.execute("SELECT COUNT(*) FROM runs WHERE job_id = ?", (job_id,)).fetchone()
    db.execute(
        "UPDATE jobs SET doc = json_set(doc, '$.repositoryCount', ?)"
        " WHERE job_id = ? AND json_type(doc, '$.repositoryCount') IS NULL",
        (count, job_id),
    )
    return {**document, "repositoryCount": count}


def _run_row(run: RepositoryRun) -> tuple[Any, ...]:
    document = run.to_document()
    return (
        document["status"],
        document.get("leaseOwner"),
        document.get("leaseExpiresAt"),
        document["version"],
        _dumps(document),
        run.job_id,
        run.repository_name,
    )


def _load(model: type[R], document: str) -> R:
    return model.model_validate(json.loads(document))


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))
