"""The DynamoDB tables as the existing deployment has them: indexes, TTL, names, listing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from cody_adapters.aws.dynamodb_store import DynamoDbJobStore, dynamodb_client
from cody_adapters.aws.dynamodb_tables import key_schema
from cody_core.models import Job, JobStatus, RepositoryRun
from dynalite import fresh_store

NOW = datetime(2025, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def job(job_id: str = "job-1", **fields: Any) -> Job:
    return Job.model_validate(
        {"job_id": job_id, "name": "n", "prompt": "p", "created_at": NOW, **fields}
    )


def runs(count: int, job_id: str = "job-1") -> Iterator[RepositoryRun]:
    return (RepositoryRun(job_id=job_id, repository_name=f"o/r{i:05d}") for i in range(count))


class Counting:
    """The client, counting the operations asked of it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self.client, name)


@pytest.fixture
def on_dynalite(dynalite: str) -> Iterator[DynamoDbJobStore]:
    with fresh_store(dynalite) as store:
        yield store


@pytest.fixture
def on_moto_bare() -> Iterator[tuple[Any, DynamoDbJobStore]]:
    """A store on moto whose tables were made as an older cody made them: keys only."""
    with mock_aws():
        client = dynamodb_client(None, "us-east-1")
        store = DynamoDbJobStore(client, "bare")
        make_bare_tables(client, store)
        yield client, store


def make_bare_tables(client: Any, store: DynamoDbJobStore) -> None:
    """The tables as an older cody made them: keys only, no index, no TTL."""
    for name, keys in zip(store.tables, [("jobId",), ("jobId", "repositoryName")], strict=True):
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
            KeySchema=key_schema(keys),
        )


def test_tables_are_found_missing_created_with_their_indexes_once_and_then_found(
    dynalite: str,
) -> None:
    client = dynamodb_client(dynalite, "us-east-1")
    store = DynamoDbJobStore(client, "cody-ensure-test")

    reported = store.ensure_tables(create=False)
    created = store.ensure_tables(create=True)
    again = store.ensure_tables(create=True)
    jobs = client.describe_table(TableName="cody-ensure-test-jobs")["Table"]
    runs = client.describe_table(TableName="cody-ensure-test-repositories")["Table"]
    for name in ("cody-ensure-test-jobs", "cody-ensure-test-repositories"):
        client.delete_table(TableName=name)

    assert reported.missing == [
        "table cody-ensure-test-jobs",
        "table cody-ensure-test-repositories",
    ]
    assert reported.done == [] and created.missing == reported.missing
    assert created.done == [
        "created table cody-ensure-test-jobs with index status-createdAt-index",
        "created table cody-ensure-test-repositories with index status-index",
    ]
    assert (again.missing, again.done) == ([], [])
    assert (
        again.notes
        == created.notes
        == [  # dynalite has no UpdateTimeToLive
            "this endpoint has no TTL for cody-ensure-test-jobs",
            "this endpoint has no TTL for cody-ensure-test-repositories",
        ]
    )
    assert runs["TableStatus"] == "ACTIVE"
    assert runs["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert runs["KeySchema"] == [
        {"AttributeName": "jobId", "KeyType": "HASH"},
        {"AttributeName": "repositoryName", "KeyType": "RANGE"},
    ]
    [jobs_index] = jobs["GlobalSecondaryIndexes"]
    [runs_index] = runs["GlobalSecondaryIndexes"]
    assert jobs_index["IndexName"] == "status-createdAt-index"
    assert jobs_index["KeySchema"] == [
        {"AttributeName": "status", "KeyType": "HASH"},
        {"AttributeName": "createdAt", "KeyType": "RANGE"},
    ]
    assert runs_index["IndexName"] == "status-index"
    assert runs_index["KeySchema"] == [{"AttributeName": "status", "KeyType": "HASH"}]
    assert {i["Projection"]["ProjectionType"] for i in (jobs_index, runs_index)} == {"ALL"}


def test_tables_without_indexes_or_ttl_get_them_added_once(on_moto_bare) -> None:
    client, store = on_moto_bare

    reported = store.ensure_tables(create=False)
    added = store.ensure_tables(create=True)
    again = store.ensure_tables(create=True)

    jobs, runs = store.tables
    assert reported.missing == [
        f"index status-createdAt-index on {jobs}",
        f"TTL on expiresAt for {jobs}",
        f"index status-index on {runs}",
        f"TTL on expiresAt for {runs}",
    ]
    assert added.done == [
        f"added index status-createdAt-index to {jobs}",
        f"turned on TTL (expiresAt) for {jobs}",
        f"added index status-index to {runs}",
        f"turned on TTL (expiresAt) for {runs}",
    ]
    assert (again.missing, again.done, again.notes) == ([], [], [])
    for table in (jobs, runs):
        ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expiresAt")


def test_listing_queries_the_status_index_and_never_scans(on_dynalite: DynamoDbJobStore) -> None:
    proxy = Counting(on_dynalite._client)
    store = DynamoDbJobStore(proxy, "unused", jobs_table=on_dynalite.tables[0])
    for n, state in enumerate(["pending", "failed", "pending"]):
        store.create_job(job(f"job-{n}", status=state, created_at=NOW + n * HOUR), [])
    proxy.calls.clear()

    pending = [j.job_id for j in store.list_jobs(JobStatus.PENDING)]
    everything = [j.job_id for j in store.list_jobs()]

    assert (pending, everything) == (["job-2", "job-0"], ["job-2", "job-1", "job-0"])
    assert proxy.calls == Counter({"query": 1 + len(JobStatus)})


def test_listing_scans_tables_that_have_no_index_yet(dynalite: str) -> None:
    client = dynamodb_client(dynalite, "us-east-1")
    store = DynamoDbJobStore(client, "bare-listing")
    make_bare_tables(client, store)
    try:
        for n, state in enumerate(["pending", "failed", "pending"]):
            store.create_job(job(f"job-{n}", status=state, created_at=NOW + n * HOUR), [])
        pending = [j.job_id for j in store.list_jobs(JobStatus.PENDING)]
        everything = [j.job_id for j in store.list_jobs()]
    finally:
        for table in store.tables:
            client.delete_table(TableName=table)

    assert (pending, everything) == (["job-2", "job-0"], ["job-2", "job-1", "job-0"])


def test_tables_named_outright_are_used_instead_of_the_prefix(dynalite: str) -> None:
    client = dynamodb_client(dynalite, "us-east-1")
    store = DynamoDbJobStore(client, "unused", jobs_table="Stack-JobsTable-1A", runs_table="R-2B")
    store.ensure_tables(create=True)
    try:
        store.create_job(job(), runs(2))
        names = set(client.list_tables()["TableNames"])
        key = {"jobId": {"S": "job-1"}, "repositoryName": {"S": "o/r00000"}}
        item = client.get_item(TableName="R-2B", Key=key)
    finally:
        for table in store.tables:
            client.delete_table(TableName=table)

    assert store.tables == ("Stack-JobsTable-1A", "R-2B")
    assert {"Stack-JobsTable-1A", "R-2B"} <= names and not any("unused" in n for n in names)
    assert item["Item"]["status"] == {"S": "pending"}
