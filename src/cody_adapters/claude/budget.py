"""Tokens each job has spent across every Claude session of this process."""

from __future__ import annotations

import threading


class TokenBudget:
    """A thread-safe tally of tokens per job id, shared by every worker thread's sessions."""

    def __init__(self) -> None:
        self._spent: dict[str, int] = {}
        self._lock = threading.Lock()

    def spend(self, job_id: str, tokens: int) -> int:
        """Add `tokens` to the job's tally and return the new total."""
        with self._lock:
            total = self._spent.get(job_id, 0) + tokens
            self._spent[job_id] = total
            return total

    def spent(self, job_id: str) -> int:
        with self._lock:
            return self._spent.get(job_id, 0)

    def exhausted(self, job_id: str, limit: int | None) -> bool:
        return limit is not None and self.spent(job_id) >= limit
