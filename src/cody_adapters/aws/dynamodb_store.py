"""JobStore on two DynamoDB tables: every state change is one conditional write."""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from cody_adapters.aws.clients import error_code, reaching, retrying
from cody_adapters.aws.dynamodb_calls import BATCH, TableCalls
from cody_adapters.aws.dynamodb_items import (
    Expression,
    changed_attributes,
    chunks,
    from_item,
    stored_attributes,
    to_item,
)
from cody_adapters.aws.dynamodb_tables import JOBS_INDEX, TableSetup, TablesReport, table_specs
from cody_adapters.shared.clock import SystemClock
from cody_core.errors import InputError
from cody_core.models import (
    Job,
    JobStatus,
    RepositoryRun,
    RunStatus,
    runs_by_name,
    with_write_stamps,
)
from cody_core.models import format_timestamp as _ts
from cody_core.ports import Clock

if TYPE_CHECKING:  # the stubs are a development dependency
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IN_PROGRESS, _PENDING = RunStatus.IN_PROGRESS.value, RunStatus.PENDING.value
_COUNTERS = ("attempt", "version")  # a claim adds one to each
_MAX_PARTITION_KEY, _MAX_SORT_KEY = 2048, 1024  # DynamoDB's limits, in UTF-8 bytes


def dynamodb_client(endpoint_url: str | None, region: str | None) -> DynamoDBClient:
    """A low-level client whose standard retry mode absorbs throttling and 5xx answers."""
    config = retrying(connect_timeout=5, read_timeout=30)
    return boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url, config=config)


class DynamoDbJobStore:
    """Tables `<prefix>-jobs` (jobId) and `<prefix>-repositories` (jobId, repositoryName), or
    the names given; every write stamps `updatedAt` with the clock's time."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_prefix: str,
        sleep: Callable[[float], None] = time.sleep,
        *,
        page_size: int = 500,
        jobs_table: str | None = None,
        runs_table: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._client = client
        self._jobs = jobs_table or f"{table_prefix}-jobs"
        self._runs = runs_table or f"{table_prefix}-repositories"
        self._db = TableCalls(client, self._jobs, self._runs, sleep)
        self._sleep = sleep
        self._page_size = page_size
        self._clock = clock or SystemClock()

    @property
    def tables(self) -> tuple[str, str]:
        return self._jobs, self._runs

    def ensure_tables(self, create: bool) -> TablesReport:
        """What the tables lack (tables, indexes, TTL); with `create`, added before it returns."""
        setup = TableSetup(self._client, table_specs(self._jobs, self._runs), self._sleep)
        with reaching("DynamoDB", self._client.meta.endpoint_url):
            return setup.ensure(create)

    def create_job(self, job: Job, runs: Iterable[RepositoryRun]) -> None:
        _check_key("job id", job.job_id, _MAX_PARTITION_KEY)
        now = self._clock.now()
        documents: dict[str, dict[str, Any]] = {}
        for run in runs_by_name(job, runs).values():
            _check_key("repository name", run.repository_name, _MAX_SORT_KEY)
            documents[run.repository_name] = with_write_stamps(run, now).to_document()
        e = Expression()
        new = e.arguments(ConditionExpression=f"attribute_not_exists({e.name('jobId')})")
        item = to_item(with_write_stamps(job, now).to_document())
        if self._db.call("put_item", TableName=self._jobs, Item=item, **new) is None:
            raise InputError(f"job {job.job_id} already exists")
        written = 0
        try:
            for chunk in chunks(documents.values(), BATCH):
                self._db.write_batch([{"PutRequest": {"Item": to_item(d)}} for d in chunk])
                written += len(chunk)
        except Exception:
            self._db.undo_create(job.job_id, list(documents)[: written + BATCH])
            raise

    def get_job(self, job_id: str) -> Job | None:
        item = self._db.get(self._jobs, {"jobId": job_id}) if job_id else None
        return None if item is None else self._job(item)

    def list_jobs(self, status: JobStatus | None = None) -> Iterator[Job]:
        """Queries of the status index, newest first; a scan where the tables have no index."""
        statuses = [status] if status else list(JobStatus)
        try:
            streams = [_started(self._by_status(s)) for s in statuses]
        except _NoIndex:
            return self._scanned(status)
        merged = heapq.merge(*streams, key=lambda item: item["createdAt"]["S"], reverse=True)
        return (self._job(item) for item in newest_first(merged))

    def transition_job(
        self, job_id: str, allowed: Sequence[JobStatus], changes: dict[str, Any]
    ) -> Job | None:
        stand_in = Job(job_id=job_id, name="-", prompt="-", created_at=_EPOCH)
        attributes = changed_attributes(stand_in, {**changes, "updated_at": self._clock.now()})
        if not job_id or not allowed:
            return None
        e = Expression()
        update = e.update(attributes)
        item = self._db.update(
            self._jobs, {"jobId": job_id}, e, update, e.one_of("status", allowed)
        )
        return None if item is None else self._job(item)

    def iter_runs(self, job_id: str) -> Iterator[RepositoryRun]:
        if not job_id:
            return
        expression = Expression()
        arguments = expression.arguments(
            KeyConditionExpression=f"{expression.name('jobId')} = {expression.value(job_id)}"
        )
        pages = self._db.pages("query", TableName=self._runs, Limit=self._page_size, **arguments)
        yield from (RepositoryRun.model_validate(from_item(item)) for item in pages)

    def get_run(self, job_id: str, repository_name: str) -> RepositoryRun | None:
        key = {"jobId": job_id, "repositoryName": repository_name}
        item = self._db.get(self._runs, key) if job_id and repository_name else None
        return None if item is None else RepositoryRun.model_validate(from_item(item))

    def claim_run(
        self, job_id: str, repository_name: str, owner: str, now: datetime, lease_until: datetime
    ) -> RepositoryRun | None:
        e = Expression()
        status, expires, now_ = e.name("status"), e.name("leaseExpiresAt"), e.value(_ts(now))
        lease = {
            "status": _IN_PROGRESS,
            "leaseOwner": owner,
            "leaseExpiresAt": _ts(lease_until),
            "updatedAt": _ts(self._clock.now()),
        }
        zero, one, started = e.value(0), e.value(1), e.name("startedAt")
        bumps = [f"{e.name(n)} = if_not_exists({e.name(n)}, {zero}) + {one}" for n in _COUNTERS]
        update = e.update(lease, *bumps, f"{started} = if_not_exists({started}, {now_})")
        # The lease compares as text: the fixed-width timestamps sort as the times do.
        condition = (
            f"attribute_exists({e.name('jobId')}) AND ({status} = {e.value(_PENDING)}"
            f" OR ({status} = {e.value(_IN_PROGRESS)} AND {expires} < {now_}))"
        )
        key = {"jobId": job_id, "repositoryName": repository_name}
        item = self._db.update(self._runs, key, e, update, condition)
        return None if item is None else RepositoryRun.model_validate(from_item(item))

    def renew_lease(
        self, job_id: str, repository_name: str, owner: str, lease_until: datetime
    ) -> bool:
        e = Expression()
        update = e.update({"leaseExpiresAt": _ts(lease_until), "updatedAt": _ts(self._clock.now())})
        condition = (
            f"{e.name('status')} = {e.value(_IN_PROGRESS)}"
            f" AND {e.name('leaseOwner')} = {e.value(owner)}"
        )
        key = {"jobId": job_id, "repositoryName": repository_name}
        return self._db.update(self._runs, key, e, update, condition, returns="NONE") is not None

    def save_run(self, run: RepositoryRun) -> RepositoryRun | None:
        # An update, not a put: attributes that other writers keep on the item survive.
        stamps = {"version": run.version + 1, "updated_at": self._clock.now()}
        document = run.model_copy(update=stamps).to_document()
        e = Expression()
        owner = e.name("leaseOwner")
        same_owner = (
            f"attribute_not_exists({owner})"
            if run.lease_owner is None
            else f"{owner} = {e.value(run.lease_owner)}"
        )
        version = e.name("version")
        same_version = f"{version} = {e.value(run.version)}"
        if run.version == 0:  # rows the existing API writes have no version
            same_version = f"(attribute_not_exists({version}) OR {same_version})"
        condition = f"attribute_exists({e.name('jobId')}) AND {same_version} AND {same_owner}"
        update = e.update(stored_attributes(RepositoryRun, document))
        key = {"jobId": run.job_id, "repositoryName": run.repository_name}
        saved = self._db.update(self._runs, key, e, update, condition, returns="NONE")
        return None if saved is None else RepositoryRun.model_validate(document)

    def transition_run(
        self,
        job_id: str,
        repository_name: str,
        allowed: Sequence[RunStatus],
        changes: dict[str, Any],
    ) -> RepositoryRun | None:
        stand_in = RepositoryRun(job_id=job_id, repository_name=repository_name)
        changes = {k: v for k, v in changes.items() if k != "version"}
        attributes = changed_attributes(stand_in, {**changes, "updated_at": self._clock.now()})
        if not allowed:
            return None
        e = Expression()
        version, zero, one = e.name("version"), e.value(0), e.value(1)
        update = e.update(attributes, f"{version} = if_not_exists({version}, {zero}) + {one}")
        key = {"jobId": job_id, "repositoryName": repository_name}
        item = self._db.update(self._runs, key, e, update, e.one_of("status", allowed))
        return None if item is None else RepositoryRun.model_validate(from_item(item))

    def _job(self, item: dict[str, Any]) -> Job:
        """The job of an item; one the existing API wrote gets its repositoryCount counted."""
        if "repositoryCount" not in item:
            item = {**item, "repositoryCount": {"N": str(self._store_count(item["jobId"]["S"]))}}
        return Job.model_validate(from_item(item))

    def _store_count(self, job_id: str) -> int:
        e = Expression()
        arguments = e.arguments(KeyConditionExpression=f"{e.name('jobId')} = {e.value(job_id)}")
        pages = self._db.pages("query", TableName=self._runs, Select="COUNT", **arguments)
        count = int(sum(pages, 0))
        e = Expression()
        condition = (
            f"attribute_exists({e.name('jobId')}) AND attribute_not_exists("
            f"{e.name('repositoryCount')})"
        )
        try:  # a fix of what the API left out, not a change of state: updatedAt stays
            self._db.update(
                self._jobs, {"jobId": job_id}, e, e.update({"repositoryCount": count}), condition
            )
        except ClientError as error:  # e.g. a role that may only read: the count is still right
            log.warning("could not store the repository count of %s: %s", job_id, error)
        return count

    def _by_status(self, status: JobStatus) -> Iterator[dict[str, Any]]:
        e = Expression()
        arguments = e.arguments(
            KeyConditionExpression=f"{e.name('status')} = {e.value(str(status))}"
        )
        try:
            yield from self._db.pages(
                "query",
                consistent=False,  # an index cannot be read consistently
                TableName=self._jobs,
                IndexName=JOBS_INDEX,
                ScanIndexForward=False,
                **arguments,
            )
        except ClientError as error:
            if error_code(error) == "ValidationException" and "index" in str(error).lower():
                raise _NoIndex from error  # not there, or still being filled
            raise

    def _scanned(self, status: JobStatus | None) -> Iterator[Job]:
        e = Expression()
        arguments = (
            e.arguments(FilterExpression=f"{e.name('status')} = {e.value(str(status))}")
            if status
            else {}
        )
        jobs = [self._job(i) for i in self._db.pages("scan", TableName=self._jobs, **arguments)]
        return iter(sorted(jobs, key=lambda job: (job.created_at, job.job_id), reverse=True))


class _NoIndex(Exception):
    """The jobs table has no usable status index."""


def _started(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """`items` with the first page already asked for, so that a missing index shows at once."""
    first = list(itertools.islice(items, 1))
    return itertools.chain(first, items)


def newest_first(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Items in createdAt order with ties by jobId, descending: an index orders only the first."""
    for _, tied in itertools.groupby(items, key=lambda item: item["createdAt"]["S"]):
        yield from sorted(tied, key=lambda item: item["jobId"]["S"], reverse=True)


def _check_key(what: str, value: str, max_bytes: int) -> None:
    if not 0 < len(value.encode("utf-8", "surrogateescape")) <= max_bytes:
        raise InputError(f"{what} {value[:80]!r} must be 1 to {max_bytes} bytes of UTF-8")
