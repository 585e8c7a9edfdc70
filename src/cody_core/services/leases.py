"""Keeps a claimed run's lease alive while its repository is processed."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from cody_core.models import RepositoryRun
from cody_core.ports import Clock, JobStore

log = logging.getLogger(__name__)


class Heartbeat:
    """Renews a lease every third of its length; `lost` turns true when another worker has it."""

    def __init__(self, store: JobStore, clock: Clock, run: RepositoryRun, lease_seconds: float):
        self._store = store
        self._clock = clock
        self._run = run
        self._lease_seconds = lease_seconds
        self._stopped = threading.Event()
        self._lost = threading.Event()
        self._expires_at = run.lease_expires_at
        self._thread = threading.Thread(target=self._beat, daemon=True, name="cody-heartbeat")

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    @property
    def expires_at(self) -> datetime | None:
        """The latest renewed expiry: a save of the whole run must write this, not the old one."""
        return self._expires_at

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopped.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stopped.wait(self._lease_seconds / 3):
            until = self._clock.now() + timedelta(seconds=self._lease_seconds)
            try:
                renewed = self._store.renew_lease(
                    self._run.job_id, self._run.repository_name, self._run.lease_owner or "", until
                )
            except Exception as exc:  # a store hiccup: the next beat tries again
                log.warning("lease renewal failed: %s", exc)
                continue
            if not renewed:
                self._lost.set()
                return
            self._expires_at = until
