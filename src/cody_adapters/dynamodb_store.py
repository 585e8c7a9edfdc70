"""JobStore on two DynamoDB tables: every state change is one conditional write."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, NoCredentialsError

from cody_adapters.aws import aws_client, error_code, http_status, no_credentials
from cody_adapters.dynamodb_items import (
    Expression,
    changed_attributes,
    chunks,
    from_item,
    stored_attributes,
    table_definition,
    to_item,
)
from cody_core.errors import InputError, TransientError
from cody_core.models import Job, JobStatus, RepositoryRun, RunStatus, runs_by_name
from cody_core.models import format_timestamp as _ts

log = logging.getLogger(__name__)

_BATCH = 25  # BatchWriteItem's limit
_BATCH_ROUNDS = 10  # sends of one batch before its unprocessed items count as throttled
_BACKOFF_BASE, _BACKOFF_CAP = 0.05, 2.0
_THROTTLING = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IN_PROGRESS, _PENDING = RunStatus.IN_PROGRESS.value, RunStatus.PENDING.value
_COUNTERS = ("attempt", "version")  # a claim adds one to each
_MAX_PARTITION_KEY, _MAX_SORT_KEY = 2048, 1024  # DynamoDB's limits, in UTF-8 bytes


def dynamodb_client(endpoint_url: str | None, region: str | None) -> Any:
    """A low-level client whose standard retry mode absorbs throttling and 5xx answers."""
    return aws_client("dynamodb", region, endpoint_url, connect_timeout=5, read_timeout=30)


class DynamoDbJobStore:
    """Tables `<prefix>-jobs` (jobId) and `<prefix>-repositories` (jobId, repositoryName)."""

    def __init__(
        self,
        client: Any,
        table_prefix: str,
        sleep: Callable[[float], None] = time.sleep,
        *,
        page_size: int = 500,
    ) -> None:
        self._client = client
        self._jobs = f"{table_prefix}-jobs"
        self._runs = f"{table_prefix}-repositories"
        self._sleep = sleep
        self._page_size = page_size

    def ensure_tables(self, create: bool) -> list[str]:
        """The names of the tables that were missing; with `create`, they exist when it returns."""
        keys = {self._jobs: ("jobId",), self._runs: ("jobId", "repositoryName")}
        missing = [table for table in keys if not self._table_exists(table)]
        for table in missing if create else []:
            try:
                self._client.create_table(**table_definition(table, *keys[table]))
            except ClientError as error:
                if error_code(error) != "ResourceInUseException":  # created meanwhile by another
                    raise
            waiter = self._client.get_waiter("table_exists")
            waiter.wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
        return missing

    def create_job(self, job: Job, runs: Iterable[RepositoryRun]) -> None:
        _check_key("job id", job.job_id, _MAX_PARTITION_KEY)
        documents: dict[str, dict[str, Any]] = {}
        for run in runs_by_name(job, runs).values():
            _check_key("repository name", run.repository_name, _MAX_SORT_KEY)
            documents[run.repository_name] = run.to_document()
        e = Expression()
        new = e.arguments(ConditionExpression=f"attribute_not_exists({e.name('jobId')})")
        item = to_item(job.to_document())
        if self._call("put_item", TableName=self._jobs, Item=item, **new) is None:
            raise InputError(f"job {job.job_id} already exists")
        written = 0
        try:
            for chunk in chunks(documents.values(), _BATCH):
                self._write_batch([{"PutRequest": {"Item": to_item(d)}} for d in chunk])
                written += len(chunk)
        except Exception:
            self._undo_create(job.job_id, list(documents)[: written + _BATCH])
            raise

    def get_job(self, job_id: str) -> Job | None:
        item = self._get(self._jobs, {"jobId": job_id}) if job_id else None
        return None if item is None else Job.model_validate(from_item(item))

    def list_jobs(self) -> Iterator[Job]:
        jobs = [Job.model_validate(from_item(i)) for i in self._pages("scan", TableName=self._jobs)]
        return iter(sorted(jobs, key=lambda job: (job.created_at, job.job_id), reverse=True))

    def transition_job(
        self, job_id: str, allowed: Sequence[JobStatus], changes: dict[str, Any]
    ) -> Job | None:
        stand_in = Job(job_id=job_id, name="-", prompt="-", created_at=_EPOCH)
        attributes = changed_attributes(stand_in, changes)
        if not job_id or not allowed:
            return None
        e = Expression()
        status = e.name("status")
        nothing_else = [] if attributes else [f"{status} = {status}"]  # SET needs an action
        update = e.update(attributes, *nothing_else)
        item = self._update(self._jobs, {"jobId": job_id}, e, update, e.one_of("status", allowed))
        return None if item is None else Job.model_validate(from_item(item))

    def iter_runs(self, job_id: str) -> Iterator[RepositoryRun]:
        if not job_id:
            return
        expression = Expression()
        arguments = expression.arguments(
            KeyConditionExpression=f"{expression.name('jobId')} = {expression.value(job_id)}"
        )
        pages = self._pages("query", TableName=self._runs, Limit=self._page_size, **arguments)
        yield from (RepositoryRun.model_validate(from_item(item)) for item in pages)

    def get_run(self, job_id: str, repository_name: str) -> RepositoryRun | None:
        key = {"jobId": job_id, "repositoryName": repository_name}
        item = self._get(self._runs, key) if job_id and repository_name else None
        return None if item is None else RepositoryRun.model_validate(from_item(item))

    def claim_run(
        self, job_id: str, repository_name: str, owner: str, now: datetime, lease_until: datetime
    ) -> RepositoryRun | None:
        e = Expression()
        status, expires, now_ = e.name("status"), e.name("leaseExpiresAt"), e.value(_ts(now))
        lease = {"status": _IN_PROGRESS, "leaseOwner": owner, "leaseExpiresAt": _ts(lease_until)}
        zero, one, started = e.value(0), e.value(1), e.name("startedAt")
        bumps = [f"{e.name(n)} = if_not_exists({e.name(n)}, {zero}) + {one}" for n in _COUNTERS]
        update = e.update(lease, *bumps, f"{started} = if_not_exists({started}, {now_})")
        # The lease compares as text: the fixed-width timestamps sort as the times do.
        condition = (
            f"attribute_exists({e.name('jobId')}) AND ({status} = {e.value(_PENDING)}"
            f" OR ({status} = {e.value(_IN_PROGRESS)} AND {expires} < {now_}))"
        )
        key = {"jobId": job_id, "repositoryName": repository_name}
        item = self._update(self._runs, key, e, update, condition)
        return None if item is None else RepositoryRun.model_validate(from_item(item))

    def renew_lease(
        self, job_id: str, repository_name: str, owner: str, lease_until: datetime
    ) -> bool:
        e = Expression()
        update = e.update({"leaseExpiresAt": _ts(lease_until)})
        condition = (
            f"{e.name('status')} = {e.value(_IN_PROGRESS)}"
            f" AND {e.name('leaseOwner')} = {e.value(owner)}"
        )
        key = {"jobId": job_id, "repositoryName": repository_name}
        return self._update(self._runs, key, e, update, condition, returns="NONE") is not None

    def save_run(self, run: RepositoryRun) -> RepositoryRun | None:
        # An update, not a put: attributes that other writers keep on the item survive.
        document = run.model_copy(update={"version": run.version + 1}).to_document()
        e = Expression()
        owner = e.name("leaseOwner")
        same_owner = (
            f"attribute_not_exists({owner})"
            if run.lease_owner is None
            else f"{owner} = {e.value(run.lease_owner)}"
        )
        condition = f"{e.name('version')} = {e.value(run.version)} AND {same_owner}"
        update = e.update(stored_attributes(RepositoryRun, document))
        key = {"jobId": run.job_id, "repositoryName": run.repository_name}
        saved = self._update(self._runs, key, e, update, condition, returns="NONE")
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
        attributes = changed_attributes(stand_in, changes)
        if not allowed:
            return None
        e = Expression()
        version = e.name("version")
        update = e.update(attributes, f"{version} = {version} + {e.value(1)}")
        key = {"jobId": job_id, "repositoryName": repository_name}
        item = self._update(self._runs, key, e, update, e.one_of("status", allowed))
        return None if item is None else RepositoryRun.model_validate(from_item(item))

    def _update(
        self,
        table: str,
        key: dict[str, str],
        expression: Expression,
        update: str,
        condition: str,
        returns: str = "ALL_NEW",
    ) -> dict[str, Any] | None:
        """The item after a conditional update; None when the condition (or the key) fails."""
        if not all(key.values()):  # DynamoDB refuses empty key strings; no such item exists
            return None
        response = self._call(
            "update_item",
            TableName=table,
            Key=to_item(key),
            ReturnValues=returns,
            **expression.arguments(UpdateExpression=update, ConditionExpression=condition),
        )
        return None if response is None else response.get("Attributes", {})

    def _get(self, table: str, key: dict[str, str]) -> dict[str, Any] | None:
        response = self._call("get_item", TableName=table, Key=to_item(key), ConsistentRead=True)
        return response.get("Item")

    def _pages(self, operation: str, **arguments: Any) -> Iterator[dict[str, Any]]:
        """Items a page at a time, following LastEvaluatedKey."""
        while True:
            response = self._call(operation, ConsistentRead=True, **arguments)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _write_batch(self, requests: list[dict[str, Any]]) -> None:
        """Send one batch, resending what DynamoDB leaves unprocessed after a growing pause."""
        pending = {self._runs: requests}
        for round_ in range(_BATCH_ROUNDS):
            if round_:
                self._sleep(min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (round_ - 1)))
            pending = self._call("batch_write_item", RequestItems=pending).get("UnprocessedItems")
            if not pending:
                return
        unwritten = sum(len(requests) for requests in pending.values())
        raise TransientError(f"DynamoDB left {unwritten} run writes unprocessed", kind="throttled")

    def _undo_create(self, job_id: str, repository_names: list[str]) -> None:
        """Best effort: delete the runs that may have been written, then the job."""
        try:
            for chunk in chunks(repository_names, _BATCH):
                self._write_batch([{"DeleteRequest": {"Key": _run_key(job_id, n)}} for n in chunk])
            self._call("delete_item", TableName=self._jobs, Key=to_item({"jobId": job_id}))
        except Exception:
            log.warning("could not remove the partly created job %s", job_id, exc_info=True)

    def _table_exists(self, table: str) -> bool:
        try:
            self._client.describe_table(TableName=table)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return False
            raise
        return True

    def _call(self, operation: str, **arguments: Any) -> dict[str, Any] | None:
        """The response; None when a condition failed, which is an expected outcome."""
        try:
            return getattr(self._client, operation)(**arguments)
        except ClientError as error:
            code = error_code(error)
            if code == "ConditionalCheckFailedException":
                return None
            if code in _THROTTLING:
                raise TransientError(f"DynamoDB throttled {operation}", kind="throttled") from error
            if code == "ResourceNotFoundException":
                raise InputError(
                    f"the DynamoDB tables {self._jobs} and {self._runs} are missing: "
                    "create them with `cody store init`"
                ) from error
            if http_status(error) >= 500:
                raise TransientError(f"DynamoDB failed {operation}: {code}") from error
            raise
        except (ConnectionError, HTTPClientError) as error:
            raise TransientError(f"DynamoDB unreachable for {operation}: {error}") from error
        except NoCredentialsError as error:
            raise no_credentials("DynamoDB") from error


def _check_key(what: str, value: str, max_bytes: int) -> None:
    if not 0 < len(value.encode("utf-8", "surrogateescape")) <= max_bytes:
        raise InputError(f"{what} {value[:80]!r} must be 1 to {max_bytes} bytes of UTF-8")


def _run_key(job_id: str, repository_name: str) -> dict[str, Any]:
    return to_item({"jobId": job_id, "repositoryName": repository_name})
