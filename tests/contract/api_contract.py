"""The existing Cody API shares the stores: what it writes cody reads and runs, and back.

A backend runs this by subclassing with `store` and `documents` fixtures (see
tests/store_documents.py); `clock` is the store's clock.
"""

from __future__ import annotations

from datetime import timedelta

from cody_core.models import (
    ClaudeConversation,
    Job,
    JobStatus,
    LogEntry,
    RepositoryRun,
    RunStatus,
    TokenUsage,
)
from cody_core.ports import JobStore
from cody_core.testing.clock import FakeClock
from cody_core.testing.store_contract import LEASE, T0, make_job, make_runs
from existing_api import (
    cancel_job,
    get_claude_thread,
    get_diff,
    get_job,
    get_jobs,
    get_repository,
    iso,
    post_job,
)
from store_documents import Documents

SECOND = timedelta(seconds=1)


class ExistingApiContract:
    def test_a_job_the_api_wrote_is_a_claude_job_whose_count_is_counted_and_stored(
        self, store: JobStore, documents: Documents
    ) -> None:
        job_id = post_job(documents, ["Owner/Repo-A", "o/b", "o/c"], prompt="Rename it, please")

        job = store.get_job(job_id)

        assert job is not None
        assert (job.assistant, job.prompt, job.repository_count) == (
            "claude",
            "Rename it, please",
            3,
        )
        stored = documents.job(job_id)
        assert stored["repositoryCount"] == 3
        assert stored["updatedAt"] == stored["createdAt"]  # counting is no change of state
        assert [j.repository_count for j in store.list_jobs()] == [3]

    def test_a_job_the_api_wrote_keeps_its_count_when_a_transition_is_the_first_write(
        self, store: JobStore, documents: Documents
    ) -> None:
        job_id = post_job(documents, ["o/a", "o/b"])

        cancelled = store.transition_job(job_id, [JobStatus.PENDING], {"status": "cancelled"})

        assert cancelled is not None and cancelled.repository_count == 2
        assert documents.job(job_id)["repositoryCount"] == 2
        assert store.get_job(job_id).repository_count == 2

    def test_rows_the_api_wrote_without_version_or_attempt_take_every_conditional_write(
        self, store: JobStore, documents: Documents
    ) -> None:
        job_id = post_job(documents, ["o/a", "o/b", "o/c", "o/d"])

        claimed = store.claim_run(job_id, "o/a", "w1", T0, T0 + LEASE)
        saved = store.save_run(claimed.evolve(summary="done")) if claimed else None
        cancelled = store.transition_run(
            job_id, "o/b", [RunStatus.PENDING], {"status": RunStatus.CANCELLED}
        )
        unleased = store.get_run(job_id, "o/c")
        noted = store.save_run(unleased.evolve(summary="noted"))
        stale = store.save_run(unleased.evolve(summary="again"))
        skipped = store.transition_run(
            job_id, "o/d", [RunStatus.PENDING], {"status": RunStatus.SKIPPED}
        )
        retried = store.transition_run(
            job_id, "o/d", [RunStatus.SKIPPED], {"status": RunStatus.PENDING, "attempt": 0}
        )

        assert claimed is not None and (claimed.attempt, claimed.version) == (1, 1)
        assert saved is not None and saved.version == 2
        assert cancelled is not None and cancelled.version == 1
        assert noted is not None and noted.version == 1 and stale is None
        assert skipped is not None and retried is not None and retried.version == 2
        assert store.get_run(job_id, "o/c").summary == "noted"
        assert store.transition_job(job_id, [JobStatus.PENDING], {"status": "in-progress"})

    def test_cody_writes_keep_what_the_api_wrote_and_stamp_updated_at(
        self, store: JobStore, documents: Documents, clock: FakeClock
    ) -> None:
        job_id = post_job(documents, ["o/a"], now=T0 - timedelta(days=1))
        assert cancel_job(documents, job_id, now=T0 - timedelta(hours=1))
        clock.advance(5)

        store.transition_run(job_id, "o/a", [RunStatus.PENDING], {"status": RunStatus.CANCELLED})
        store.transition_job(job_id, [JobStatus.CANCELLED], {"completed_at": T0})

        job, run = documents.job(job_id), documents.run(job_id, "o/a")
        assert job["status"] == "cancelled" and job["cancelledAt"] == iso(T0 - timedelta(hours=1))
        assert job["updatedAt"] == iso(T0 + 5 * SECOND) == run["updatedAt"]
        assert run["createdAt"] == iso(T0 - timedelta(days=1)) and run["status"] == "cancelled"
        assert store.get_job(job_id).status == JobStatus.CANCELLED

    def test_every_write_stamps_updated_at_and_new_runs_get_created_at(
        self, store: JobStore, documents: Documents, clock: FakeClock
    ) -> None:
        store.create_job(
            Job(job_id="job-1", name="n", prompt="p", created_at=T0 - SECOND),
            [RepositoryRun(job_id="job-1", repository_name=n) for n in ("o/a", "o/b")],
        )
        stamps = [(documents.job("job-1")["updatedAt"], documents.run("job-1", "o/a")["createdAt"])]
        writes = [
            lambda: store.claim_run("job-1", "o/a", "w1", clock.now(), clock.now() + LEASE),
            lambda: store.renew_lease("job-1", "o/a", "w1", clock.now() + LEASE),
            lambda: store.save_run(store.get_run("job-1", "o/a").evolve(summary="s")),
            lambda: store.transition_run("job-1", "o/b", [RunStatus.PENDING], {"turns": 1}),
        ]
        for write in writes:
            clock.advance(1)
            write()
            run = "o/b" if write is writes[-1] else "o/a"
            stamps.append((documents.run("job-1", run)["updatedAt"], iso(clock.now())))
        clock.advance(1)
        store.transition_job("job-1", [JobStatus.PENDING], {"description": "d"})

        assert stamps[0] == (iso(T0), iso(T0))
        assert all(stored == expected for stored, expected in stamps[1:]), stamps
        assert documents.job("job-1")["updatedAt"] == iso(T0 + 5 * SECOND)
        assert documents.run("job-1", "o/b")["createdAt"] == iso(T0)

    def test_what_cody_writes_the_api_reads_with_its_types(
        self, store: JobStore, documents: Documents
    ) -> None:
        job = make_job(repositories=("o/a", "o/b"), repository_count=2, description="d")
        store.create_job(job, make_runs("job-1", ["o/a", "o/b"]))
        claimed = store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE)
        conversation = ClaudeConversation(
            thread_id="mem://c",
            messages=[
                {"role": "human", "content": "Do it", "timestamp": 1, "type": "prompt"},
                {
                    "role": "assistant",
                    "content": [{"type": "text", "text": "ok"}],
                    "timestamp": 2,
                    "type": "response",
                },
            ],
            token_usage=TokenUsage(input=5, output=7, cache_read=100),
        )
        store.save_run(
            claimed.evolve(
                status=RunStatus.COMPLETED,
                completed_at=T0 + SECOND,
                were_changes_necessary=True,
                pull_request_url="https://github.com/o/a/pull/1",
                diff="--- a/x\n+++ b/x\n",
                claude_conversation=conversation,
                token_usage=TokenUsage(input=5, output=7, cache_read=100),
                logs=(LogEntry(timestamp=T0, message="cloned"),),
            )
        )

        [listed] = get_jobs(documents)
        detail = get_job(documents, "job-1")
        repository = get_repository(documents, "job-1", "o/a")
        thread = get_claude_thread(documents, "job-1", "o/a", view="simplified")

        assert listed["repositoryCount"] == 2 and detail["description"] == "d"
        assert [r["name"] for r in detail["repositories"]] == ["o/a", "o/b"]
        assert repository["wereChangesNecessary"] is True and repository["logs"][0]["level"]
        assert get_diff(documents, "job-1", "o/a") == "--- a/x\n+++ b/x\n"
        assert get_diff(documents, "job-1", "o/b") is None
        assert thread is not None and [m["type"] for m in thread["messages"]] == [
            "prompt",
            "response",
        ]
        assert thread["tokenUsage"] == {
            "input": 5,
            "output": 7,
            "cacheCreation": 0,
            "cacheRead": 100,
            "total": 12,
        }
        assert documents.run("job-1", "o/a")["tokenUsage"]["total"] == 12
        assert get_claude_thread(documents, "job-1", "o/b") is None
        get_repository(documents, "job-1", "o/b")

    def test_jobs_are_listed_by_status_newest_first_as_the_api_lists_them(
        self, store: JobStore, documents: Documents
    ) -> None:
        hour = timedelta(hours=1)
        for n, status in enumerate(["pending", "completed", "pending", "failed", "pending"]):
            store.create_job(make_job(f"job-{n}", created_at=T0 + n * hour, status=status), [])
        api_job = post_job(documents, ["o/a"], now=T0 + 10 * hour)
        store.create_job(make_job("job-9", created_at=T0 + 4 * hour, status="pending"), [])

        pending = [job.job_id for job in store.list_jobs(JobStatus.PENDING)]

        assert pending == [api_job, "job-9", "job-4", "job-2", "job-0"]
        assert [j.job_id for j in store.list_jobs(JobStatus.FAILED)] == ["job-3"]
        assert list(store.list_jobs(JobStatus.CANCELLED)) == []
        assert [j["jobId"] for j in get_jobs(documents, "pending")][:1] == [api_job]
        assert {j["jobId"] for j in get_jobs(documents, "pending")} == set(pending)
        assert [j.job_id for j in store.list_jobs()][:3] == [api_job, "job-9", "job-4"]
