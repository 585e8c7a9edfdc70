"""A store as an embedder would write one, from cody_core's public names only, passes the contract.

It keeps each job and run as a JSON string in one dict and holds one lock for every write:
nothing like the shipped FakeJobStore, which is the point. If this needs an internal import to
pass, the public API is missing something.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest

from cody_core import (
    Clock,
    InputError,
    Job,
    JobStatus,
    JobStore,
    RepositoryRun,
    RunStatus,
    apply_changes,
    runs_by_name,
    with_write_stamps,
)
from cody_core.testing import FakeClock
from cody_core.testing.store_contract import JobStoreContract

Key = tuple[str, ...]  # ("job", job id) or ("run", job id, repository name)


class JsonDictJobStore:
    """Every record a JSON string under its key; a write re-reads, checks and replaces it."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._texts: dict[Key, str] = {}
        self._lock = threading.Lock()

    def create_job(self, job: Job, runs: Iterable[RepositoryRun]) -> None:
        now = self._clock.now()
        checked = runs_by_name(job, runs)  # duplicates and runs of another job raise here
        with self._lock:
            if ("job", job.job_id) in self._texts:
                raise InputError(f"job {job.job_id} already exists")
            self._texts[("job", job.job_id)] = _json(with_write_stamps(job, now))
            for name, run in checked.items():
                self._texts[("run", job.job_id, name)] = _json(with_write_stamps(run, now))

    def get_job(self, job_id: str) -> Job | None:
        text = self._texts.get(("job", job_id))
        return None if text is None else Job.model_validate_json(text)

    def list_jobs(self, status: JobStatus | None = None) -> Iterator[Job]:
        with self._lock:
            texts = [text for key, text in self._texts.items() if key[0] == "job"]
        jobs = [Job.model_validate_json(text) for text in texts]
        jobs.sort(key=lambda job: (job.created_at is not None, job.created_at, job.job_id))
        return iter([job for job in reversed(jobs) if status in (None, job.status)])

    def transition_job(
        self, job_id: str, allowed: Sequence[JobStatus], changes: dict[str, Any]
    ) -> Job | None:
        with self._lock:
            job = self.get_job(job_id)
            if job is None or job.status not in allowed:
                return None
            job = apply_changes(job, {**changes, "updated_at": self._clock.now()})
            self._texts[("job", job_id)] = _json(job)
            return job

    def iter_runs(self, job_id: str) -> Iterator[RepositoryRun]:
        with self._lock:
            found = sorted(
                (key[2], text)
                for key, text in self._texts.items()
                if key[0] == "run" and key[1] == job_id
            )
        return (RepositoryRun.model_validate_json(text) for _, text in found)

    def get_run(self, job_id: str, repository_name: str) -> RepositoryRun | None:
        text = self._texts.get(("run", job_id, repository_name))
        return None if text is None else RepositoryRun.model_validate_json(text)

    def claim_run(
        self, job_id: str, repository_name: str, owner: str, now: datetime, lease_until: datetime
    ) -> RepositoryRun | None:
        def free(run: RepositoryRun) -> bool:
            expired = run.lease_expires_at is not None and run.lease_expires_at < now
            return run.status == RunStatus.PENDING or (
                run.status == RunStatus.IN_PROGRESS and expired
            )

        return self._replace(
            job_id, repository_name, free, lambda run: run.claimed(owner, now, lease_until)
        )

    def renew_lease(
        self, job_id: str, repository_name: str, owner: str, lease_until: datetime
    ) -> bool:
        def held(run: RepositoryRun) -> bool:
            return run.status == RunStatus.IN_PROGRESS and run.lease_owner == owner

        renewed = self._replace(
            job_id,
            repository_name,
            held,
            lambda run: apply_changes(run, {"lease_expires_at": lease_until}),
        )
        return renewed is not None

    def save_run(self, run: RepositoryRun) -> RepositoryRun | None:
        def same(stored: RepositoryRun) -> bool:
            return (stored.lease_owner, stored.version) == (run.lease_owner, run.version)

        return self._replace(
            run.job_id, run.repository_name, same, lambda _: run.evolve(version=run.version + 1)
        )

    def transition_run(
        self,
        job_id: str,
        repository_name: str,
        allowed: Sequence[RunStatus],
        changes: dict[str, Any],
    ) -> RepositoryRun | None:
        return self._replace(
            job_id,
            repository_name,
            lambda run: run.status in allowed,
            lambda run: apply_changes(run, {**changes, "version": run.version + 1}),
        )

    def _replace(
        self,
        job_id: str,
        repository_name: str,
        condition: Callable[[RepositoryRun], bool],
        change: Callable[[RepositoryRun], RepositoryRun],
    ) -> RepositoryRun | None:
        with self._lock:
            run = self.get_run(job_id, repository_name)
            if run is None or not condition(run):
                return None
            run = change(run).evolve(updated_at=self._clock.now())
            self._texts[("run", job_id, repository_name)] = _json(run)
            return run


def _json(record: Job | RepositoryRun) -> str:
    return record.model_dump_json(by_alias=True, exclude_none=True)


class TestJsonDictJobStore(JobStoreContract):
    @pytest.fixture
    def store(self, clock: FakeClock) -> JobStore:
        return JsonDictJobStore(clock)
