"""Works through a job's runs: claims them under leases, processes them, finishes the job once."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from cody_core.errors import NotFoundError
from cody_core.models import Job, JobStatus, RepositoryRun, RunError, RunStatus
from cody_core.policies.wording import counted
from cody_core.ports import Clock, JobStore, Preflight
from cody_core.services.endings import cancel_pending_run, job_counts, record_counts
from cody_core.services.leases import Heartbeat
from cody_core.services.preflight import NoPreflight, check_job, kinds_of
from cody_core.services.repository_processor import RepositoryProcessor

BEYOND_LIMIT = "max-repositories"  # the error kind of a run skipped past MAX_REPOS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSettings:
    owner: str
    lease_seconds: float = 300.0
    poll_seconds: float = 2.0
    cancel_check_seconds: float = 2.0
    # Where in the job this worker starts claiming: workers of one array job start apart
    # (AWS_BATCH_JOB_ARRAY_INDEX times a stride) so that they rarely race for the same run.
    start_offset: int = 0


@dataclass(frozen=True)
class RunOutcome:
    job: Job
    processed: int
    beyond_limit: int = 0  # runs left skipped past this run's limit, for a later run to take up

    @property
    def terminal(self) -> bool:
        return self.job.status.terminal


class JobProcessor:
    """Runs a job to a terminal state; several processors may work on one job at once."""

    def __init__(
        self,
        store: JobStore,
        repositories: RepositoryProcessor,
        clock: Clock,
        settings: WorkerSettings,
        on_run_done: Callable[[RepositoryRun], None] = lambda run: None,
        preflight: Preflight | None = None,
        on_planned: Callable[[int], None] = lambda runs: None,
    ):
        self._store = store
        self._repositories = repositories
        self._clock = clock
        self._settings = settings
        self._on_run_done = on_run_done
        self._preflight = preflight or NoPreflight()
        self._on_planned = on_planned  # told how many runs this run has to do
        self._stop = threading.Event()
        self._cancel_checked_at = -float("inf")
        self._cancelled = False

    def stop(self) -> None:
        """Stop claiming; runs in flight finish their current step and are handed back."""
        self._stop.set()

    def run(
        self, job_id: str, max_repositories: int | None = None, concurrency: int = 1
    ) -> RunOutcome:
        """Process the job's first `max_repositories` runs in stored order (None: all of them).

        Runs past the limit are skipped with kind max-repositories; a later run with a higher
        limit (or none) takes them up again, reopening a job that had ended.
        """
        job = self._store.get_job(job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id}: see `cody job list` for the jobs there are")
        if job.status == JobStatus.CANCELLED:
            self._settle_cancelled(job_id)
            return RunOutcome(record_counts(self._store, job), 0)
        check_job(job, lambda: kinds_of(self._store.iter_runs(job_id)), self._preflight)
        to_do, beyond = self._apply_limit(job, max_repositories)
        self._on_planned(to_do)
        if job.status.terminal:
            if not to_do:
                return RunOutcome(job, 0, beyond)
            reopened = self._store.transition_job(
                job_id,
                [JobStatus.COMPLETED, JobStatus.FAILED],
                {"status": JobStatus.IN_PROGRESS, "completed_at": None, "error": None},
            )
            job = reopened or self._store.get_job(job_id) or job
        if job.status == JobStatus.PENDING:
            started = self._store.transition_job(
                job_id,
                [JobStatus.PENDING],
                {"status": JobStatus.IN_PROGRESS, "started_at": self._clock.now()},
            )
            job = started or self._store.get_job(job_id) or job
        processed = self._work(job, max(1, concurrency))
        return RunOutcome(self._finish(job_id), processed, beyond)

    def _apply_limit(self, job: Job, limit: int | None) -> tuple[int, int]:
        """Skip the pending runs past `limit`, take up skipped ones within it; one pass.

        Returns how many runs are left to do and how many are skipped past the limit.
        """
        reason = RunError(
            kind=BEYOND_LIMIT,
            message=f"past the first {counted(limit or 0, 'repository')}: "
            f"`cody job run {job.job_id} 0` "
            "processes every repository",
        )
        to_do = beyond = 0
        for index, run in enumerate(self._store.iter_runs(job.job_id)):
            within = limit is None or index < limit
            skipped_by_limit = run.status == RunStatus.SKIPPED and (
                run.error is not None and run.error.kind == BEYOND_LIMIT
            )
            if within and skipped_by_limit:
                changed = self._store.transition_run(
                    job.job_id,
                    run.repository_name,
                    [RunStatus.SKIPPED],
                    {"status": RunStatus.PENDING, "error": None, "completed_at": None},
                )
                to_do += changed is not None
            elif not within and run.status == RunStatus.PENDING:
                changed = self._store.transition_run(
                    job.job_id,
                    run.repository_name,
                    [RunStatus.PENDING],
                    {"status": RunStatus.SKIPPED, "error": reason, "completed_at": self._now()},
                )
                beyond += changed is not None
            elif not within and skipped_by_limit:
                beyond += 1
            elif not run.status.terminal:
                to_do += 1
        return to_do, beyond

    def _work(self, job: Job, concurrency: int) -> int:
        slots = threading.Semaphore(concurrency)
        processed = 0
        with ThreadPoolExecutor(concurrency, thread_name_prefix="cody-run") as pool:
            while not self._stopping(job.job_id):
                # Only runs in flight are held: a pass over 10,000 runs keeps no result.
                in_flight: set[Future[RepositoryRun]] = set()
                submitted = 0
                earliest_expiry: datetime | None = None
                lost_a_claim = False  # another worker took a run: it is not terminal yet
                for run in rotated(self._store.iter_runs(job.job_id), self._settings.start_offset):
                    if run.status.terminal:
                        continue
                    if not self._claimable(run):
                        expiry = run.lease_expires_at
                        if expiry and (earliest_expiry is None or expiry < earliest_expiry):
                            earliest_expiry = expiry
                        continue
                    slots.acquire()
                    if self._stopping(job.job_id):
                        slots.release()
                        break
                    claimed = self._claim(run)
                    if claimed is None:
                        slots.release()
                        lost_a_claim = True
                        continue
                    future = pool.submit(self._process, job, claimed)
                    in_flight.add(future)
                    future.add_done_callback(partial(_settled, in_flight, slots))
                    submitted += 1
                for future in list(in_flight):
                    future.result()  # waits, and raises what stopped a run (an interrupt)
                processed += submitted
                if submitted:
                    continue  # runs handed back for a retry are picked up on the next pass
                if earliest_expiry is None and not lost_a_claim:
                    break  # every run is terminal
                self._wait_for_others(earliest_expiry or self._now())
        return processed

    def _claimable(self, run: RepositoryRun) -> bool:
        if run.status == RunStatus.PENDING:
            return True
        return run.lease_expires_at is not None and run.lease_expires_at < self._now()

    def _claim(self, run: RepositoryRun) -> RepositoryRun | None:
        now = self._now()
        until = now + timedelta(seconds=self._settings.lease_seconds)
        return self._store.claim_run(
            run.job_id, run.repository_name, self._settings.owner, now, until
        )

    def _process(self, job: Job, run: RepositoryRun) -> RepositoryRun:
        with Heartbeat(self._store, self._clock, run, self._settings.lease_seconds) as beat:
            done = self._repositories.process(
                job,
                run,
                should_stop=lambda: beat.lost or self._stopping(job.job_id),
                lease_expiry=lambda: beat.expires_at,
            )
        context = {
            "event": f"run.{done.status}",
            "jobId": job.job_id,
            "repository": run.repository_name,
        }
        if done.status == RunStatus.FAILED and done.error is not None:
            error = done.error
            log.warning(
                "failed %s: %s: %s", run.repository_name, error.kind, error.message, extra=context
            )
        else:
            log.info("%s %s", done.status, run.repository_name, extra=context)
        self._on_run_done(done)
        return done

    def _wait_for_others(self, earliest_expiry: datetime) -> None:
        """Other workers hold the remaining runs: wait for them to finish or their leases to end."""
        until_expiry = (earliest_expiry - self._now()).total_seconds()
        self._stop.wait(max(0.05, min(self._settings.poll_seconds, until_expiry + 0.05)))

    def _stopping(self, job_id: str) -> bool:
        if self._stop.is_set() or self._cancelled:
            return True
        now = time.monotonic()
        if now - self._cancel_checked_at >= self._settings.cancel_check_seconds:
            self._cancel_checked_at = now
            job = self._store.get_job(job_id)
            self._cancelled = job is None or job.status == JobStatus.CANCELLED
        return self._cancelled

    def _finish(self, job_id: str) -> Job:
        job = self._store.get_job(job_id)
        if job is None:
            raise NotFoundError(f"job {job_id} disappeared while it ran")
        if job.status == JobStatus.CANCELLED:
            self._settle_cancelled(job_id)
            return record_counts(self._store, job)
        if job.status.terminal:
            return job
        counts = Counter(run.status for run in self._store.iter_runs(job_id))
        if counts[RunStatus.PENDING] or counts[RunStatus.IN_PROGRESS]:
            return job  # stopped early, or other workers still hold runs
        processed = counts[RunStatus.COMPLETED] + counts[RunStatus.FAILED]
        all_failed = processed > 0 and counts[RunStatus.COMPLETED] == 0
        final = self._store.transition_job(
            job_id,
            [JobStatus.IN_PROGRESS],
            {
                "status": JobStatus.FAILED if all_failed else JobStatus.COMPLETED,
                "completed_at": self._now(),
                **job_counts(counts),
            },
        )
        return final or self._store.get_job(job_id) or job

    def _settle_cancelled(self, job_id: str) -> None:
        """Cancel what nobody works on: pending runs, and runs whose worker died holding them."""
        for run in self._store.iter_runs(job_id):  # one pass over a job that may be large
            if run.status == RunStatus.PENDING:
                cancel_pending_run(self._store, run, self._now())
            elif run.status == RunStatus.IN_PROGRESS and self._claimable(run):
                claimed = self._claim(run)
                if claimed is not None:
                    self._store.save_run(
                        claimed.evolve(status=RunStatus.CANCELLED, completed_at=self._now())
                    )

    def _now(self) -> datetime:
        return self._clock.now()


def _settled(
    in_flight: set[Future[RepositoryRun]], slots: threading.Semaphore, future: Future[RepositoryRun]
) -> None:
    if future.exception() is None:  # a failed one stays, for the pass to raise its error
        in_flight.discard(future)
    slots.release()


def rotated(runs: Iterator[RepositoryRun], offset: int) -> Iterator[RepositoryRun]:
    """The runs from position `offset` on, then the ones before it (only those are held)."""
    skipped = []
    for position, run in enumerate(runs):
        if position < offset:
            skipped.append(run)
        else:
            yield run
    yield from skipped
