"""DynamoDbJobStore against dynalite and moto: races, big jobs, stored shape and failures."""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import struct
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cody_adapters.aws.dynamodb_items import from_item
from cody_adapters.aws.dynamodb_store import DynamoDbJobStore, dynamodb_client
from cody_adapters.local.sqlite_store import SqliteJobStore
from cody_core.errors import InputError, TransientError
from cody_core.models import Job, JobStatus, RepositoryRun, RunError, RunStatus
from cody_core.testing.clock import FakeClock
from cody_core.testing.store_contract import full_job, full_run
from dynalite import fresh_store, moto_store

NOW = datetime(2025, 1, 1, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def job(job_id: str = "job-1") -> Job:
    return Job(job_id=job_id, name="n", prompt="p", created_at=NOW)


def names(count: int) -> list[str]:
    return [f"o/r{i:05d}" for i in range(count)]


def runs(count: int, job_id: str = "job-1") -> Iterator[RepositoryRun]:
    return (RepositoryRun(job_id=job_id, repository_name=name) for name in names(count))


class Proxy:
    """Passes every call to the real client except the ones a test overrides."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture
def on_dynalite(dynalite: str) -> Iterator[DynamoDbJobStore]:
    with fresh_store(dynalite) as store:
        yield store


@pytest.fixture
def on_moto() -> Iterator[DynamoDbJobStore]:
    with moto_store() as store:
        yield store


def proxied(store: DynamoDbJobStore, proxy: Proxy, sleep: Any = None) -> DynamoDbJobStore:
    """The same tables through `proxy`."""
    prefix = store._jobs.removesuffix("-jobs")
    return DynamoDbJobStore(proxy, prefix, sleep or (lambda _: None))


def test_eight_threads_claiming_500_runs_claim_each_exactly_once(
    on_dynalite: DynamoDbJobStore,
) -> None:
    every = names(500)
    on_dynalite.create_job(job(), runs(500))

    def claim_all(worker: int) -> list[str]:
        order = every[worker * 60 :] + every[: worker * 60]
        claims = (on_dynalite.claim_run("job-1", n, f"w{worker}", NOW, NOW + LEASE) for n in order)
        return [run.repository_name for run in claims if run is not None]

    with ThreadPoolExecutor(8) as pool:
        claimed = list(pool.map(claim_all, range(8)))

    counts = Counter(name for names_ in claimed for name in names_)
    assert sorted(counts) == every and set(counts.values()) == {1}
    stored = {run.repository_name: run.lease_owner for run in on_dynalite.iter_runs("job-1")}
    assert stored == {name: f"w{w}" for w, names_ in enumerate(claimed) for name in names_}


def test_a_job_of_10000_runs_is_created_and_read_back_in_order(
    on_dynalite: DynamoDbJobStore,
) -> None:
    on_dynalite.create_job(job(), reversed(list(runs(10_000))))

    read = [run.repository_name for run in on_dynalite.iter_runs("job-1")]

    assert len(read) == 10_000
    assert read == names(10_000)


class Unprocessing(Proxy):
    """BatchWriteItem leaves the last `left` requests unprocessed, the first `times` calls."""

    def __init__(self, client: Any, times: int, left: int = 10) -> None:
        super().__init__(client)
        self.times, self.left, self.sizes = times, left, []

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        ((table, requests),) = RequestItems.items()
        self.sizes.append(len(requests))
        if len(self.sizes) > self.times:
            return self.client.batch_write_item(RequestItems=RequestItems)
        if requests[: -self.left]:
            self.client.batch_write_item(RequestItems={table: requests[: -self.left]})
        return {"UnprocessedItems": {table: requests[-self.left :]}}


def throttling(operation: str) -> ClientError:
    """What botocore raises once its own retries of a throttled request have run out."""
    error = {"Code": "ThrottlingException", "Message": "Rate of requests exceeds the allowed"}
    meta = {"HTTPStatusCode": 400, "MaxAttemptsReached": True, "RetryAttempts": 7}
    return ClientError({"Error": error, "ResponseMetadata": meta}, operation)


def test_unprocessed_batch_items_are_resent_after_bounded_pauses(
    on_moto: DynamoDbJobStore,
) -> None:
    sleeps: list[float] = []
    proxy = Unprocessing(on_moto._client, times=7)

    proxied(on_moto, proxy, sleeps.append).create_job(job(), runs(60))

    assert [run.repository_name for run in on_moto.iter_runs("job-1")] == names(60)
    assert proxy.sizes == [25, 10, 10, 10, 10, 10, 10, 10, 25, 10]  # 60 runs = 25 + 25 + 10
    assert sleeps == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0]


def test_writes_left_unprocessed_for_good_fail_as_throttled_after_bounded_pauses(
    on_moto: DynamoDbJobStore,
) -> None:
    sleeps: list[float] = []
    store = proxied(on_moto, Unprocessing(on_moto._client, times=10**6), sleeps.append)

    with pytest.raises(TransientError) as raised:
        store.create_job(job(), runs(60))

    assert raised.value.kind == "throttled"
    assert 0 < max(sleeps) <= 2.0 and sum(sleeps) < 30


def test_a_failure_while_writing_runs_removes_the_job_and_its_runs(
    on_moto: DynamoDbJobStore,
) -> None:
    class FailingSecondBatch(Proxy):
        calls = 0

        def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            self.calls += 1
            ((requests),) = RequestItems.values()
            if self.calls == 2 and "PutRequest" in requests[0]:
                raise throttling("BatchWriteItem")
            return self.client.batch_write_item(RequestItems=RequestItems)

    on_moto.create_job(job("job-0"), runs(3, "job-0"))

    with pytest.raises(TransientError):
        proxied(on_moto, FailingSecondBatch(on_moto._client)).create_job(job(), runs(60))

    assert on_moto.get_job("job-1") is None
    assert list(on_moto.iter_runs("job-1")) == []
    assert len(list(on_moto.iter_runs("job-0"))) == 3
    on_moto.create_job(job(), runs(2))  # the id is free again
    assert len(list(on_moto.iter_runs("job-1"))) == 2


class Throttled(Proxy):
    """Every UpdateItem is throttled past botocore's retries."""

    def update_item(self, **_: Any) -> dict[str, Any]:
        raise throttling("UpdateItem")


def test_throttling_past_the_retries_is_transient_and_changes_nothing(
    on_moto: DynamoDbJobStore,
) -> None:
    on_moto.create_job(job(), runs(1))
    before = on_moto.get_run("job-1", "o/r00000")

    with pytest.raises(TransientError) as raised:
        proxied(on_moto, Throttled(on_moto._client)).claim_run(
            "job-1", "o/r00000", "w1", NOW, NOW + LEASE
        )

    assert (raised.value.kind, raised.value.transient) == ("throttled", True)
    assert on_moto.get_run("job-1", "o/r00000") == before


def test_a_server_error_is_transient(on_moto: DynamoDbJobStore) -> None:
    class Failing(Proxy):
        def get_item(self, **_: Any) -> dict[str, Any]:
            error = {"Error": {"Code": "InternalServerError", "Message": "boom"}}
            raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": 500}}, "GetItem")

    with pytest.raises(TransientError):
        proxied(on_moto, Failing(on_moto._client)).get_job("job-1")


def test_the_client_retries_in_standard_mode() -> None:
    client = dynamodb_client("http://127.0.0.1:9", "eu-west-1")

    # botocore counts max_attempts=8 as retries after the first attempt
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 9}
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (5, 30)
    assert (client.meta.endpoint_url, client.meta.region_name) == (
        "http://127.0.0.1:9",
        "eu-west-1",
    )


def test_items_use_the_camelcase_names_and_core_status_strings(
    on_dynalite: DynamoDbJobStore,
) -> None:
    on_dynalite.create_job(job(), runs(1))
    on_dynalite.claim_run("job-1", "o/r00000", "w1", NOW, NOW + LEASE)
    on_dynalite.transition_job("job-1", [JobStatus.PENDING], {"status": JobStatus.IN_PROGRESS})
    client = on_dynalite._client

    job_item = client.get_item(TableName=on_dynalite._jobs, Key={"jobId": {"S": "job-1"}})["Item"]
    run_key = {"jobId": {"S": "job-1"}, "repositoryName": {"S": "o/r00000"}}
    run_item = client.get_item(TableName=on_dynalite._runs, Key=run_key)["Item"]

    assert on_dynalite._jobs.endswith("-jobs") and on_dynalite._runs.endswith("-repositories")
    assert set(job_item) == set(job().to_document()) | {"updatedAt"}
    assert {"jobId", "createdAt", "repositoryCount", "createPullRequests"} <= set(job_item)
    assert job_item["status"] == {"S": "in-progress"}
    assert job_item["createdAt"] == {"S": "2025-01-01T00:00:00.000Z"}
    assert set(run_item) == {
        "jobId",
        "repositoryName",
        "status",
        "attempt",
        "leaseOwner",
        "leaseExpiresAt",
        "version",
        "startedAt",
        "changedFiles",
        "linesAdded",
        "turns",
        "linesRemoved",
        "tokenUsage",
        "logs",
        "createdAt",
        "updatedAt",
    }
    assert run_item["status"] == {"S": "in-progress"}
    assert (run_item["attempt"], run_item["version"]) == ({"N": "1"}, {"N": "1"})
    assert run_item["tokenUsage"]["M"]["cacheRead"] == {"N": "0"}


def test_a_change_to_none_removes_the_attribute(on_dynalite: DynamoDbJobStore) -> None:
    on_dynalite.create_job(job(), runs(1))
    failed = {"status": RunStatus.FAILED, "error": RunError(kind="x", message="m")}
    on_dynalite.transition_run("job-1", "o/r00000", [RunStatus.PENDING], failed)
    retry = {"status": RunStatus.PENDING, "error": None}

    on_dynalite.transition_run("job-1", "o/r00000", [RunStatus.FAILED], retry)

    key = {"jobId": {"S": "job-1"}, "repositoryName": {"S": "o/r00000"}}
    item = on_dynalite._client.get_item(TableName=on_dynalite._runs, Key=key)["Item"]
    assert "error" not in item and item["status"] == {"S": "pending"}


def test_lost_conditions_are_not_logged_as_errors(
    on_dynalite: DynamoDbJobStore, caplog: pytest.LogCaptureFixture
) -> None:
    on_dynalite.create_job(job(), runs(1))
    claimed = on_dynalite.claim_run("job-1", "o/r00000", "w1", NOW, NOW + LEASE)

    with caplog.at_level(logging.INFO):
        assert on_dynalite.claim_run("job-1", "o/r00000", "w2", NOW, NOW + LEASE) is None
        assert on_dynalite.renew_lease("job-1", "o/r00000", "w2", NOW + LEASE) is False
        assert on_dynalite.save_run(claimed.evolve(lease_owner="w2")) is None
        with pytest.raises(InputError):
            on_dynalite.create_job(job(), [])

    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_items_hold_the_same_documents_as_the_sqlite_store(
    on_dynalite: DynamoDbJobStore, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)  # both stamp updatedAt at the same time
    sqlite = SqliteJobStore(tmp_path / "cody.db", clock=clock)
    jobs, runs_table = on_dynalite.tables
    dynamodb = DynamoDbJobStore(
        on_dynalite._client, "-", jobs_table=jobs, runs_table=runs_table, clock=clock
    )
    for store in (sqlite, dynamodb):
        store.create_job(full_job(), [full_run("job-ünï").evolve(status=RunStatus.PENDING)])
        claimed = store.claim_run("job-ünï", "ÖrgÜ/répo-☃", "w1", NOW, NOW + LEASE)
        store.save_run(claimed.evolve(summary="done", diff=None, status=RunStatus.COMPLETED))
        store.transition_job("job-ünï", [JobStatus.IN_PROGRESS], {"error": None})
    with sqlite3.connect(tmp_path / "cody.db") as db:
        ((job_doc,),) = db.execute("SELECT doc FROM jobs")
        ((run_doc,),) = db.execute("SELECT doc FROM runs")
    sqlite.close()
    client = on_dynalite._client

    job_item = client.get_item(TableName=on_dynalite._jobs, Key={"jobId": {"S": "job-ünï"}})
    run_key = {"jobId": {"S": "job-ünï"}, "repositoryName": {"S": "ÖrgÜ/répo-☃"}}
    run_item = client.get_item(TableName=on_dynalite._runs, Key=run_key)

    assert from_item(job_item["Item"]) == json.loads(job_doc)
    assert from_item(run_item["Item"]) == json.loads(run_doc)


def test_attributes_other_writers_keep_on_a_run_survive_its_saves(
    on_dynalite: DynamoDbJobStore,
) -> None:
    on_dynalite.create_job(job(), runs(1))
    key = {"jobId": {"S": "job-1"}, "repositoryName": {"S": "o/r00000"}}
    on_dynalite._client.update_item(
        TableName=on_dynalite._runs,
        Key=key,
        UpdateExpression="SET expiresAt = :t, changes = :c",
        ExpressionAttributeValues={":t": {"N": "1767225600"}, ":c": {"L": [{"S": "a.py"}]}},
    )
    claimed = on_dynalite.claim_run("job-1", "o/r00000", "w1", NOW, NOW + LEASE)

    done = claimed.evolve(status=RunStatus.COMPLETED, lease_expires_at=None)

    saved = on_dynalite.save_run(done)

    item = on_dynalite._client.get_item(TableName=on_dynalite._runs, Key=key)["Item"]
    assert item["expiresAt"] == {"N": "1767225600"} and "leaseExpiresAt" not in item
    assert item["changes"] == {"L": [{"S": "a.py"}]}
    stamped = done.evolve(version=2, updated_at=saved.updated_at)
    assert on_dynalite.get_run("job-1", "o/r00000") == saved == stamped


def test_keys_dynamodb_cannot_hold_are_refused_before_anything_is_written(
    on_moto: DynamoDbJobStore,
) -> None:
    too_long = RepositoryRun(job_id="job-1", repository_name="/" + "x" * 1024)

    with pytest.raises(InputError, match="job id"):
        on_moto.create_job(job(""), [])
    with pytest.raises(InputError, match="1 to 1024 bytes"):
        on_moto.create_job(job(), [*runs(3), too_long])

    assert on_moto.get_job("job-1") is None
    assert list(on_moto.list_jobs()) == []


def test_dynalite_outlives_a_client_that_dies_in_the_middle_of_a_request(dynalite):
    host, port = dynalite.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as client:
        client.sendall(
            b"POST / HTTP/1.1\r\nHost: dynalite\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 100\r\n\r\n{"
        )
        # Closing with a zero linger resets the connection, as the kernel does for a killed process.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    assert "TableNames" in dynamodb_client(dynalite, "us-east-1").list_tables(Limit=1)
