"""A submitter that records submissions and hands out ids batch-1, batch-2, ..."""

from __future__ import annotations


class FakeJobSubmitter:
    def __init__(self) -> None:
        self.submitted: list[tuple[str, int, int | None]] = []

    def submit(self, job_id: str, workers: int, max_repositories: int | None) -> str:
        self.submitted.append((job_id, workers, max_repositories))
        return f"batch-{len(self.submitted)}"
