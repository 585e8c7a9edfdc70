"""What every JobStore must do, as a pytest suite a backend runs by subclassing it.

    from cody_core.testing.store_contract import JobStoreContract

    class TestPostgresJobStore(JobStoreContract):
        @pytest.fixture
        def store(self, clock: FakeClock) -> Iterator[JobStore]:
            yield PostgresJobStore(dsn, clock=clock)  # empty, writing times from `clock`

The one module of cody_core that imports pytest. For pytest's detailed assertion messages, call
`pytest.register_assert_rewrite("cody_core.testing.store_contract")` in a conftest.py before
importing it.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from cody_core.bounds import diff_is_cut
from cody_core.errors import InputError
from cody_core.item_size import DYNAMODB_MAX_ITEM_BYTES, item_size
from cody_core.models import (
    MAX_LOG_ENTRIES,
    MAX_RUN_ITEM_BYTES,
    ClaudeConversation,
    ConversationMessage,
    Job,
    JobStatus,
    LogEntry,
    Record,
    RepositoryRun,
    RunError,
    RunStatus,
    TokenUsage,
    Verification,
)
from cody_core.ports import JobStore
from cody_core.testing.clock import FakeClock

T0 = datetime(2025, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)
LEASE = timedelta(seconds=30)
T = TypeVar("T")


def make_job(job_id: str = "job-1", created_at: datetime = T0, **fields: Any) -> Job:
    """A job as the stores write it at T0, the time of the stores' clock in these tests."""
    fields = {"updated_at": T0, **fields}
    return Job(job_id=job_id, name="rename", prompt="rename foo", created_at=created_at, **fields)


def make_runs(job_id: str, names: list[str]) -> list[RepositoryRun]:
    return [
        RepositoryRun(job_id=job_id, repository_name=name, created_at=T0, updated_at=T0)
        for name in names
    ]


def full_job() -> Job:
    return Job(
        job_id="job-ünï",
        name="Ünïcødé ☃ rename 🚀",
        description="désc\nline two",
        type="custom-type",
        prompt="Change ✓ everything\n" * 3,
        status=JobStatus.IN_PROGRESS,
        created_at=T0,
        started_at=T0 + timedelta(seconds=1),
        completed_at=T0 + timedelta(days=400),
        repository_count=7,
        completed_count=3,
        failed_count=2,
        skipped_count=1,
        create_pull_requests=False,
        assistant="command",
        command="sed -i 's/a/b/' *.py",
        verify_command="pytest -q",
        branch_template="cody/x/{jobId}",
        pr_title_template="Cody ✨: {name}",
        pr_body_template="Body of {jobId}",
        draft=True,
        require_verify_pass=True,
        labels=("cody", "été"),
        max_repositories=5,
        max_attempts=4,
        max_turns=9,
        max_tokens=123_456,
        max_files_changed=10,
        max_lines_changed=999,
        protected_paths=("secrets/**",),
        error="ërror",
        max_job_tokens=5_000_000,
        reviewers=("ålice", "bob"),
        batch_job_id="arn:aws:batch:us-east-1:1:job/ü",
        allowed_protected_paths=(".github/workflows/ci.yml",),
        on_existing_branch="replace",
        repositories=("ÖrgÜ/répo-☃", "o/b"),
        updated_at=T0,
        expires_at=1_900_000_000,
        network=True,
        command_timeout=45,
    )


def full_run(job_id: str, summary: str = "Sümmary 🚀") -> RepositoryRun:
    return RepositoryRun(
        job_id=job_id,
        repository_name="ÖrgÜ/répo-☃",
        status=RunStatus.FAILED,
        attempt=2,
        lease_owner="wörker-1",
        lease_expires_at=T0 + LEASE,
        version=7,
        started_at=T0,
        completed_at=T0 + timedelta(minutes=3, milliseconds=1),
        were_changes_necessary=True,
        branch="cody/job-ünï",
        commit_sha="a" * 40,
        pull_request_url="https://github.com/o/r/pull/7",
        changed_files=("src/ä.py", "README.md"),
        lines_added=12,
        lines_removed=3,
        summary=summary,
        token_usage=TokenUsage(input=1, output=2, cache_creation=3, cache_read=4),
        estimated_cost_usd=0.1234,
        turns=12,
        stop_reason="max_turns",
        verification=Verification(status="failed", output_tail="FAILED ✗"),
        error=RunError(kind="network", message="tïmeout", transient=True),
        logs=(
            LogEntry(timestamp=T0, level="warning", message="wärn"),
            LogEntry(timestamp=T0 + timedelta(milliseconds=5), message="ok 👍"),
        ),
        diff="--- a/ä\n+++ b/ä\n",
        diff_ref="mem://job/repo/diff",
        conversation_ref="mem://job/repo/conversation",
        pushed_sha="b" * 40,
        pull_request_number=7,
        pull_request_state="draft",
        checks="pending",
        review_decision="changes_requested",
        mergeable=False,
        pull_request_cache={"pull": {"etag": 'W/"ü1"', "value": {"state": "draft", "n": 1.5}}},
        comments_posted=("0123456789abcdef",),
        branch_deleted=True,
        publish_requested=True,
        created_at=T0 - timedelta(days=1),
        updated_at=T0,
        expires_at=1_900_000_000,
        claude_conversation=ClaudeConversation(
            thread_id="mem://job/repo/conversation",
            messages=(
                ConversationMessage(role="human", content="Chänge", timestamp=1, type="prompt"),
                ConversationMessage(
                    role="assistant",
                    content=[{"type": "tool_use", "id": "t1", "name": "read", "input": {"n": 1.5}}],
                    timestamp=2,
                    type="tool_call",
                ),
            ),
            token_usage=TokenUsage(input=1, output=2, cache_creation=3, cache_read=4),
        ),
        sandbox="uid",
    )


def defaulted_fields(record: Record) -> list[str]:
    """Fields still at their default: a round trip of such a field proves little."""
    fields = type(record).model_fields.items()
    return [
        name
        for name, info in fields
        if not info.is_required()
        and getattr(record, name) == info.get_default(call_default_factory=True)
    ]


def present(value: T | None) -> T:
    """`value`, which the store must have returned: a failed assertion if it gave None."""
    assert value is not None
    return value


def race(workers: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(i)` on `workers` threads released together; their results in order."""
    start = threading.Barrier(workers)

    def run(index: int) -> T:
        start.wait()
        return work(index)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, range(workers)))


class JobStoreContract:
    """Subclasses provide a `store` fixture that yields an empty store whose clock is `clock`."""

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock(T0)

    # Creating, reading and listing

    def test_a_created_job_and_its_runs_read_back(self, store: JobStore) -> None:
        job = make_job()
        store.create_job(job, make_runs(job.job_id, ["o/b", "o/a"]))

        assert store.get_job(job.job_id) == job
        assert list(store.list_jobs()) == [job]
        assert [r.repository_name for r in store.iter_runs(job.job_id)] == ["o/a", "o/b"]
        assert store.get_run(job.job_id, "o/a") == make_runs("job-1", ["o/a"])[0]

    def test_unknown_jobs_and_runs_are_none_or_empty(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))

        assert store.get_job("job-2") is None
        assert store.get_run("job-1", "o/b") is None
        assert store.get_run("job-2", "o/a") is None
        assert list(store.iter_runs("job-2")) == []

    def test_jobs_are_listed_newest_first(self, store: JobStore) -> None:
        hour = timedelta(hours=1)
        for job_id, created in [("b", T0), ("c", T0 - hour), ("a", T0 + hour)]:
            store.create_job(make_job(job_id, created_at=created), [])

        assert [job.job_id for job in store.list_jobs()] == ["a", "b", "c"]

    def test_creating_an_existing_job_is_refused_and_changes_nothing(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a", "o/b"]))

        with pytest.raises(InputError, match="job-1"):
            store.create_job(make_job(description="again"), make_runs("job-1", ["o/c"]))

        assert store.get_job("job-1") == make_job()
        assert [r.repository_name for r in store.iter_runs("job-1")] == ["o/a", "o/b"]

    def test_a_job_listing_a_repository_twice_is_not_created_at_all(self, store: JobStore) -> None:
        with pytest.raises(InputError, match="o/a"):
            store.create_job(make_job(), make_runs("job-1", ["o/a", "o/b", "o/a"]))

        assert store.get_job("job-1") is None
        assert list(store.iter_runs("job-1")) == []

    def test_a_run_of_another_job_is_refused(self, store: JobStore) -> None:
        with pytest.raises(ValueError, match="job-2"):
            store.create_job(make_job(), make_runs("job-2", ["o/a"]))

        assert store.get_job("job-1") is None
        assert store.get_run("job-2", "o/a") is None

    def test_runs_come_in_name_order_across_pages_and_only_from_their_job(
        self, store: JobStore
    ) -> None:
        names = [f"owner-{i % 7}/repo-{i:05d}" for i in range(1_195)]
        names += ["Org/a", "org/a", "org/ä", "org/b", "org/Ω", "org/😀", "a", "~"]
        random.Random(7).shuffle(names)
        store.create_job(make_job("job-1"), make_runs("job-1", names))
        store.create_job(make_job("job-0"), make_runs("job-0", ["org/a0", "owner-1/x"]))
        store.create_job(make_job("job-2"), make_runs("job-2", ["org/a0", "owner-1/x"]))

        runs = list(store.iter_runs("job-1"))

        assert len(runs) == 1_203
        assert [r.repository_name for r in runs] == sorted(names)
        assert {r.job_id for r in runs} == {"job-1"}

    # Claims and leases

    def test_a_pending_run_is_claimed_with_a_lease(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))

        claimed = present(store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE))

        assert claimed is not None
        assert claimed.status == RunStatus.IN_PROGRESS
        assert (claimed.lease_owner, claimed.lease_expires_at) == ("w1", T0 + LEASE)
        assert (claimed.attempt, claimed.version, claimed.started_at) == (1, 1, T0)
        assert store.get_run("job-1", "o/a") == claimed

    def test_a_claimed_run_cannot_be_claimed_before_its_lease_expires(
        self, store: JobStore
    ) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))
        claimed = present(store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE))

        assert store.claim_run("job-1", "o/a", "w2", T0 + timedelta(seconds=1), T0 + LEASE) is None
        assert store.claim_run("job-1", "o/a", "w2", T0 + LEASE, T0 + 2 * LEASE) is None
        assert store.get_run("job-1", "o/a") == claimed

    def test_claims_of_unknown_or_finished_runs_fail(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))
        store.transition_run("job-1", "o/a", [RunStatus.PENDING], {"status": RunStatus.SKIPPED})

        assert store.claim_run("job-1", "o/b", "w1", T0, T0 + LEASE) is None
        assert store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE) is None
        assert present(store.get_run("job-1", "o/a")).status == RunStatus.SKIPPED

    def test_an_expired_lease_is_taken_over_by_another_owner(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))
        store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE)
        later = T0 + LEASE + timedelta(milliseconds=1)

        taken = store.claim_run("job-1", "o/a", "w2", later, later + LEASE)

        assert taken is not None
        assert (taken.lease_owner, taken.lease_expires_at) == ("w2", later + LEASE)
        assert (taken.attempt, taken.version, taken.started_at) == (2, 2, T0)

    def test_the_stale_owner_cannot_save_after_a_takeover(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))
        stale = present(store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE))
        later = T0 + 2 * LEASE
        current = present(store.claim_run("job-1", "o/a", "w2", later, later + LEASE))
        saved = present(store.save_run(current.model_copy(update={"summary": "by w2"})))

        refused = store.save_run(stale.model_copy(update={"summary": "by w1"}))

        assert refused is None
        assert store.renew_lease("job-1", "o/a", "w1", later + 3 * LEASE) is False
        assert store.get_run("job-1", "o/a") == saved
        assert (saved.summary, saved.lease_owner, saved.version) == ("by w2", "w2", 3)

    def test_a_save_bumps_the_version_and_a_second_save_of_the_old_version_fails(
        self, store: JobStore
    ) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))
        claimed = present(store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE))

        first = present(store.save_run(claimed.model_copy(update={"summary": "first"})))
        second = store.save_run(claimed.model_copy(update={"summary": "second"}))

        assert first == claimed.model_copy(update={"summary": "first", "version": 2})
        assert second is None
        assert store.get_run("job-1", "o/a") == first

    def test_saving_a_run_that_was_never_created_stores_nothing(self, store: JobStore) -> None:
        store.create_job(make_job(), [])

        assert store.save_run(RepositoryRun(job_id="job-1", repository_name="o/a")) is None
        assert store.get_run("job-1", "o/a") is None

    def test_only_the_owner_renews_a_lease_and_the_version_stays(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a", "o/b"]))
        claimed = present(store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE))

        assert store.renew_lease("job-1", "o/a", "w2", T0 + 9 * LEASE) is False
        assert present(store.get_run("job-1", "o/a")).lease_expires_at == T0 + LEASE
        assert store.renew_lease("job-1", "o/a", "w1", T0 + 2 * LEASE) is True
        renewed = present(store.get_run("job-1", "o/a"))
        assert (renewed.lease_expires_at, renewed.version) == (T0 + 2 * LEASE, claimed.version)
        assert store.save_run(claimed) is not None
        assert store.renew_lease("job-1", "o/b", "w1", T0 + 2 * LEASE) is False

    def test_a_finished_run_keeps_no_lease_to_renew(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))
        claimed = present(store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE))
        store.save_run(claimed.model_copy(update={"status": RunStatus.COMPLETED}))

        assert store.renew_lease("job-1", "o/a", "w1", T0 + 2 * LEASE) is False
        assert store.claim_run("job-1", "o/a", "w2", T0 + 9 * LEASE, T0 + 10 * LEASE) is None

    # Transitions

    def test_a_job_transitions_only_from_an_allowed_status(self, store: JobStore) -> None:
        store.create_job(make_job(), [])
        done = {"status": JobStatus.COMPLETED, "completed_at": T0, "completed_count": 3}

        assert store.transition_job("job-1", [JobStatus.IN_PROGRESS], done) is None
        started = present(
            store.transition_job("job-1", [JobStatus.PENDING], {"status": "in-progress"})
        )
        finished = store.transition_job("job-1", [JobStatus.IN_PROGRESS], done)

        assert started.status == JobStatus.IN_PROGRESS
        assert finished == make_job(status=JobStatus.COMPLETED, completed_at=T0, completed_count=3)
        assert store.get_job("job-1") == finished
        assert store.transition_job("job-2", list(JobStatus), done) is None

    def test_a_transition_naming_an_unknown_or_key_field_changes_nothing(
        self, store: JobStore
    ) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))

        with pytest.raises(ValueError, match="colour"):
            store.transition_job("job-1", [JobStatus.PENDING], {"status": "failed", "colour": 1})
        with pytest.raises(ValueError, match="job_id"):
            store.transition_job("job-1", [JobStatus.PENDING], {"job_id": "job-2"})
        with pytest.raises(ValueError, match="repository_name"):
            store.transition_run("job-1", "o/a", [RunStatus.PENDING], {"repository_name": "o/b"})

        assert store.get_job("job-1") == make_job()
        assert present(store.get_run("job-1", "o/a")).version == 0

    def test_exactly_one_of_eight_racing_job_transitions_wins(self, store: JobStore) -> None:
        store.create_job(make_job(), [])

        results = race(
            8,
            lambda i: store.transition_job(
                "job-1",
                [JobStatus.PENDING],
                {"status": JobStatus.IN_PROGRESS, "description": f"worker {i}"},
            ),
        )

        winners = [job for job in results if job is not None]
        assert len(winners) == 1
        assert store.get_job("job-1") == winners[0]

    def test_runs_claimed_by_eight_racing_workers_are_each_claimed_once(
        self, store: JobStore
    ) -> None:
        names = [f"o/r{i:03d}" for i in range(200)]
        store.create_job(make_job(), make_runs("job-1", names))

        def claim_all(worker: int) -> list[str]:
            order = names[worker * 25 :] + names[: worker * 25]
            owner = f"w{worker}"
            return [n for n in order if store.claim_run("job-1", n, owner, T0, T0 + LEASE)]

        claimed = race(8, claim_all)

        counts = Counter(name for names_ in claimed for name in names_)
        assert sorted(counts) == names and set(counts.values()) == {1}
        owners = {name: f"w{w}" for w, names_ in enumerate(claimed) for name in names_}
        runs = list(store.iter_runs("job-1"))
        assert {r.repository_name: r.lease_owner for r in runs} == owners
        assert {(r.attempt, r.version) for r in runs} == {(1, 1)}

    def test_pending_runs_are_cancelled_and_failed_ones_retried(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a", "o/b"]))
        cancel = {"status": RunStatus.CANCELLED, "completed_at": T0}
        claimed = present(store.claim_run("job-1", "o/b", "w1", T0, T0 + LEASE))
        error = RunError(kind="network", message="down")
        store.save_run(claimed.model_copy(update={"status": RunStatus.FAILED, "error": error}))
        retry = {"status": RunStatus.PENDING, "attempt": 0, "error": None, "completed_at": None}

        cancelled = present(store.transition_run("job-1", "o/a", [RunStatus.PENDING], cancel))
        retried = present(store.transition_run("job-1", "o/b", [RunStatus.FAILED], retry))

        assert (cancelled.status, cancelled.completed_at, cancelled.version) == (
            RunStatus.CANCELLED,
            T0,
            1,
        )
        assert store.transition_run("job-1", "o/a", [RunStatus.PENDING], cancel) is None
        assert (retried.status, retried.error, retried.attempt, retried.version) == (
            RunStatus.PENDING,
            None,
            0,
            3,
        )
        assert store.get_run("job-1", "o/b") == retried
        assert present(store.claim_run("job-1", "o/b", "w2", T0, T0 + LEASE)).attempt == 1
        assert store.transition_run("job-1", "o/c", list(RunStatus), cancel) is None

    def test_a_transition_of_a_leased_run_makes_its_owners_next_save_fail(
        self, store: JobStore
    ) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))
        claimed = present(store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE))
        cancel = {"status": RunStatus.CANCELLED}

        assert store.transition_run("job-1", "o/a", [RunStatus.PENDING], cancel) is None
        assert store.transition_run("job-1", "o/a", [RunStatus.IN_PROGRESS], cancel) is not None
        assert store.save_run(claimed.model_copy(update={"status": RunStatus.COMPLETED})) is None
        assert present(store.get_run("job-1", "o/a")).status == RunStatus.CANCELLED

    # Round trips

    def test_every_job_field_survives_a_round_trip(self, store: JobStore) -> None:
        job = full_job()
        assert defaulted_fields(job) == []

        store.create_job(job, [])

        assert store.get_job(job.job_id) == job
        assert list(store.list_jobs()) == [job]

    def test_every_run_field_survives_creation_and_saving(self, store: JobStore) -> None:
        created = full_run("job-1")
        assert defaulted_fields(created) == []
        store.create_job(make_job(), [created])
        store.create_job(make_job("job-2"), make_runs("job-2", [created.repository_name]))
        claimed = present(store.claim_run("job-2", created.repository_name, "w1", T0, T0 + LEASE))
        saved = full_run("job-2").model_copy(update={"lease_owner": "w1", "version": 1})

        assert store.get_run("job-1", created.repository_name) == created
        assert list(store.iter_runs("job-1")) == [created]
        assert claimed is not None
        assert store.save_run(saved) == saved.model_copy(update={"version": 2})
        assert store.get_run("job-2", created.repository_name) == saved.model_copy(
            update={"version": 2}
        )

    def test_the_largest_run_the_model_allows_round_trips_and_fits_one_dynamodb_item(
        self, store: JobStore
    ) -> None:
        wide = "Ünïcødé ☃ 🚀 line\n" * 60_000  # a megabyte; the model keeps what fits
        run = full_run("job-1", summary=wide).evolve(
            status=RunStatus.IN_PROGRESS,
            diff=wide,
            changed_files=tuple(f"src/ü{i:05d}/" + "é" * 200 for i in range(2_000)),
            logs=tuple(LogEntry(timestamp=T0, message=wide) for _ in range(MAX_LOG_ENTRIES)),
            error=RunError(kind="network", message=wide),
            verification=Verification(status="failed", output_tail=wide),
            claude_conversation=ClaudeConversation.model_validate(
                {
                    "thread_id": wide,
                    "messages": [
                        {
                            "role": "human",
                            "content": [{"type": "text", "text": wide}] * 9,
                            "timestamp": n,
                            "type": "prompt",
                        }
                        for n in range(200)
                    ],
                }
            ),
        )
        diff = present(run.diff)
        assert item_size(run.to_document()) <= MAX_RUN_ITEM_BYTES < DYNAMODB_MAX_ITEM_BYTES
        assert diff_is_cut(diff) and diff.startswith(wide[:30_000])
        assert len(diff.encode()) > 100_000
        store.create_job(make_job(), [run])
        claimed = present(
            store.claim_run("job-1", run.repository_name, "w9", T0 + 9 * LEASE, T0 + LEASE * 10)
        )

        saved = present(store.save_run(claimed.evolve(summary=wide[::-1])))

        assert claimed.summary == run.summary and claimed.logs == run.logs
        assert saved is not None
        assert store.get_run("job-1", run.repository_name) == saved
        assert present(saved.summary).startswith(wide[::-1][:1000])
        assert item_size(saved.to_document()) <= MAX_RUN_ITEM_BYTES

    def test_a_pull_requests_refresh_is_stored_on_its_finished_run(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))
        done = {"status": RunStatus.COMPLETED, "pull_request_url": "https://x/o/a/pull/3"}
        store.transition_run("job-1", "o/a", [RunStatus.PENDING], done)
        cache = {"pull": {"etag": 'W/"1"', "value": {"mergeable": None, "head": "c" * 40}}}
        refreshed = {
            "pull_request_state": "open",
            "checks": "success",
            "review_decision": "approved",
            "mergeable": True,
            "pull_request_cache": cache,
            "comments_posted": ("feedfacefeedface",),
        }

        stored = store.transition_run("job-1", "o/a", [RunStatus.COMPLETED], refreshed)
        reread = store.get_run("job-1", "o/a")  # a null inside a value is kept, not dropped
        cleared = store.transition_run(
            "job-1", "o/a", [RunStatus.COMPLETED], {"mergeable": None, "pull_request_cache": {}}
        )

        assert stored is not None and stored.pull_request_cache == cache
        assert reread is not None and reread.pull_request_cache == cache
        assert {name: getattr(stored, name) for name in refreshed} == refreshed
        assert cleared is not None and (cleared.mergeable, cleared.pull_request_cache) == (None, {})
        assert store.get_run("job-1", "o/a") == cleared
        assert store.transition_run("job-1", "o/a", [RunStatus.IN_PROGRESS], refreshed) is None

    # Points where a key-value store could differ from SQLite

    def test_empty_ids_find_nothing_and_change_nothing(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))

        assert store.get_job("") is None
        assert store.get_run("", "o/a") is None
        assert store.get_run("job-1", "") is None
        assert list(store.iter_runs("")) == []
        assert store.claim_run("job-1", "", "w1", T0, T0 + LEASE) is None
        assert store.renew_lease("", "o/a", "w1", T0 + LEASE) is False
        assert store.transition_job("", list(JobStatus), {"status": JobStatus.FAILED}) is None
        assert store.transition_run("job-1", "", list(RunStatus), {"status": "skipped"}) is None

    def test_runs_sort_by_the_utf8_bytes_of_their_names(self, store: JobStore) -> None:
        # UTF-16 code units would put U+FF61 after the emoji; UTF-8 bytes and code points do not.
        names = ["o/😀", "o/\uff61", "o/\ue000", "o/z", "o/é"]
        store.create_job(make_job(), make_runs("job-1", names))

        assert [r.repository_name for r in store.iter_runs("job-1")] == sorted(names)

    def test_jobs_created_at_the_same_time_are_listed_by_id_descending(
        self, store: JobStore
    ) -> None:
        for job_id in ["b", "c", "a"]:
            store.create_job(make_job(job_id), [])

        assert [job.job_id for job in store.list_jobs()] == ["c", "b", "a"]

    def test_runs_may_come_from_a_generator(self, store: JobStore) -> None:
        names = [f"o/r{i:02d}" for i in range(60)]
        store.create_job(
            make_job(), (RepositoryRun(job_id="job-1", repository_name=n) for n in names)
        )

        assert [r.repository_name for r in store.iter_runs("job-1")] == names

    def test_an_unleased_run_is_saved_when_its_version_matches(self, store: JobStore) -> None:
        store.create_job(make_job(), make_runs("job-1", ["o/a"]))
        run = present(store.get_run("job-1", "o/a"))

        saved = present(store.save_run(run.evolve(summary="noted")))

        assert saved == run.evolve(summary="noted", version=1)
        assert store.save_run(run.evolve(lease_owner="w1", version=1)) is None
        assert store.get_run("job-1", "o/a") == saved

    def test_exactly_one_of_four_racing_creations_of_a_job_wins(self, store: JobStore) -> None:
        def create(i: int) -> list[str] | None:
            names = [f"o/w{i}-{n:02d}" for n in range(30)]
            try:
                store.create_job(make_job(description=f"worker {i}"), make_runs("job-1", names))
            except InputError:
                return None
            return names

        results = race(4, create)

        winners = [names for names in results if names is not None]
        assert len(winners) == 1
        assert [r.repository_name for r in store.iter_runs("job-1")] == winners[0]
        assert present(store.get_job("job-1")).description == f"worker {results.index(winners[0])}"

    def test_a_field_set_to_none_reads_back_as_none(self, store: JobStore) -> None:
        store.create_job(make_job(error="old"), make_runs("job-1", ["o/a"]))
        claimed = present(store.claim_run("job-1", "o/a", "w1", T0, T0 + LEASE))
        store.save_run(claimed.evolve(summary="s", error=RunError(kind="x", message="m")))

        job = present(store.transition_job("job-1", [JobStatus.PENDING], {"error": None}))
        run = present(
            store.transition_run(
                "job-1", "o/a", [RunStatus.IN_PROGRESS], {"summary": None, "error": None}
            )
        )

        assert (job.error, present(store.get_job("job-1")).error) == (None, None)
        assert (run.summary, run.error) == (None, None)
        assert store.get_run("job-1", "o/a") == run
