"""An in-memory JobStore that keeps the documents a real store keeps and records what happened."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from cody_core.errors import InputError
from cody_core.models import (
    Job,
    JobStatus,
    Record,
    RepositoryRun,
    RunStatus,
    apply_changes,
    format_timestamp,
    runs_by_name,
    with_write_stamps,
)
from cody_core.ports import Clock

Document = dict[str, Any]


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeJobStore:
    """Same conditions as the real stores; `writes` and `claims` record the calls.

    `put_job_document` and `put_run_document` store documents as another writer (the existing
    API) would, and `job_document` and `run_document` read back what is stored.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._lock = threading.Lock()
        self._clock = clock or _SystemClock()
        self._jobs: dict[str, Document] = {}
        self._runs: dict[str, dict[str, Document]] = {}
        self.writes = 0
        self.claims: list[tuple[str, str, str]] = []
        self.transitions: list[tuple[str, JobStatus]] = []

    def runs(self, job_id: str) -> list[RepositoryRun]:
        return list(self.iter_runs(job_id))

    def job_transitions(self, job_id: str, status: JobStatus) -> int:
        """How many transitions of the job ended in `status`."""
        return self.transitions.count((job_id, status))

    def put_job_document(self, document: Document) -> None:
        with self._lock:
            self._jobs[document["jobId"]] = dict(document)

    def put_run_document(self, document: Document) -> None:
        with self._lock:
            self._runs.setdefault(document["jobId"], {})[document["repositoryName"]] = dict(
                document
            )

    def update_job_document(self, job_id: str, attributes: Document) -> None:
        with self._lock:
            self._jobs[job_id] = {**self._jobs.get(job_id, {"jobId": job_id}), **attributes}

    def job_document(self, job_id: str) -> Document | None:
        with self._lock:
            return dict(self._jobs[job_id]) if job_id in self._jobs else None

    def job_documents(self) -> list[Document]:
        with self._lock:
            return [dict(d) for d in self._jobs.values()]

    def run_documents(self, job_id: str) -> list[Document]:
        with self._lock:
            return [dict(d) for _, d in sorted(self._runs.get(job_id, {}).items())]

    def run_document(self, job_id: str, repository_name: str) -> Document | None:
        with self._lock:
            document = self._runs.get(job_id, {}).get(repository_name)
        return None if document is None else dict(document)

    def create_job(self, job: Job, runs: Iterable[RepositoryRun]) -> None:
        now = self._clock.now()
        documents = {
            name: with_write_stamps(run, now).to_document()
            for name, run in runs_by_name(job, runs).items()
        }
        with self._lock:
            if job.job_id in self._jobs:
                raise InputError(f"job {job.job_id} already exists")
            self._jobs[job.job_id] = with_write_stamps(job, now).to_document()
            self._runs[job.job_id] = documents
            self.writes += 1

    def get_job(self, job_id: str) -> Job | None:
        with self._lock:
            document = self._jobs.get(job_id)
        return None if document is None else self._job(document)

    def list_jobs(self, status: JobStatus | None = None) -> Iterator[Job]:
        with self._lock:
            documents = sorted(
                (d for d in self._jobs.values() if status is None or d["status"] == status),
                key=lambda d: (d["createdAt"], d["jobId"]),
                reverse=True,
            )
        return (self._job(d) for d in documents)

    def transition_job(
        self, job_id: str, allowed: Sequence[JobStatus], changes: dict[str, Any]
    ) -> Job | None:
        statuses = {str(s) for s in allowed}
        changes = {**changes, "updated_at": self._clock.now()}
        with self._lock:
            stored = self._jobs.get(job_id)
            if stored is None or stored["status"] not in statuses:
                return None
            stored = self._counted(stored)
            document = apply_changes(Job.model_validate(stored), changes).to_document()
            self._jobs[job_id] = _merged(Job, stored, document)
            self.writes += 1
            self.transitions.append((job_id, JobStatus(document["status"])))
        return Job.model_validate(document)

    def iter_runs(self, job_id: str) -> Iterator[RepositoryRun]:
        with self._lock:
            documents = sorted(self._runs.get(job_id, {}).items())
        return (RepositoryRun.model_validate(d) for _, d in documents)

    def get_run(self, job_id: str, repository_name: str) -> RepositoryRun | None:
        with self._lock:
            document = self._runs.get(job_id, {}).get(repository_name)
        return None if document is None else RepositoryRun.model_validate(document)

    def claim_run(
        self, job_id: str, repository_name: str, owner: str, now: datetime, lease_until: datetime
    ) -> RepositoryRun | None:
        def claimable(d: Document) -> bool:
            if d["status"] == RunStatus.PENDING:
                return True
            expires = d.get("leaseExpiresAt")
            in_progress = d["status"] == RunStatus.IN_PROGRESS
            return in_progress and expires is not None and expires < format_timestamp(now)

        def claim(run: RepositoryRun) -> RepositoryRun:
            return run.claimed(owner, now, lease_until)

        claimed = self._update_run(job_id, repository_name, claimable, claim)
        if claimed is not None:
            with self._lock:
                self.claims.append((job_id, repository_name, owner))
        return claimed

    def renew_lease(
        self, job_id: str, repository_name: str, owner: str, lease_until: datetime
    ) -> bool:
        def leased(d: Document) -> bool:
            return d["status"] == RunStatus.IN_PROGRESS and d.get("leaseOwner") == owner

        def renew(run: RepositoryRun) -> RepositoryRun:
            return apply_changes(run, {"lease_expires_at": lease_until})

        renewed = self._update_run(job_id, repository_name, leased, renew)
        return renewed is not None

    def save_run(self, run: RepositoryRun) -> RepositoryRun | None:
        def unchanged(d: Document) -> bool:
            return d.get("leaseOwner") == run.lease_owner and d.get("version", 0) == run.version

        return self._update_run(
            run.job_id,
            run.repository_name,
            unchanged,
            lambda _: run.model_copy(update={"version": run.version + 1}),
        )

    def transition_run(
        self,
        job_id: str,
        repository_name: str,
        allowed: Sequence[RunStatus],
        changes: dict[str, Any],
    ) -> RepositoryRun | None:
        statuses = {str(s) for s in allowed}
        return self._update_run(
            job_id,
            repository_name,
            lambda d: d["status"] in statuses,
            lambda r: apply_changes(r, {**changes, "version": r.version + 1}),
        )

    def _job(self, document: Document) -> Job:
        """As the real stores do: a job without repositoryCount gets it counted and stored."""
        if "repositoryCount" not in document:
            with self._lock:
                document = self._counted(document)
        return Job.model_validate(document)

    def _counted(self, document: Document) -> Document:
        """`document` with its repositoryCount, stored; the caller holds the lock."""
        if "repositoryCount" not in document:
            count = len(self._runs.get(document["jobId"], {}))
            self._jobs[document["jobId"]] = document = {**document, "repositoryCount": count}
        return document

    def _update_run(
        self,
        job_id: str,
        repository_name: str,
        condition: Callable[[Document], bool],
        change: Callable[[RepositoryRun], RepositoryRun],
    ) -> RepositoryRun | None:
        with self._lock:
            stored = self._runs.get(job_id, {}).get(repository_name)
            if stored is None or not condition(stored):
                return None
            changed = change(RepositoryRun.model_validate(stored))
            document = changed.model_copy(update={"updated_at": self._clock.now()}).to_document()
            self._runs[job_id][repository_name] = _merged(RepositoryRun, stored, document)
            self.writes += 1
        return RepositoryRun.model_validate(document)


def _merged(model: type[Record], stored: Document, document: Document) -> Document:
    """`document`, keeping what another writer stored under names the model does not know."""
    known = {field.alias or name for name, field in model.model_fields.items()}
    return {**{k: v for k, v in stored.items() if k not in known}, **document}
