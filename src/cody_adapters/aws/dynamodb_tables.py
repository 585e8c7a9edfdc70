"""The two tables as the existing deployment has them (keys, an index each, TTL), made so on demand.

DynamoDB creates at most one index per UpdateTable call and turns TTL on with a call of its own
(UpdateTimeToLive), so each missing part is one request, and a second run finds nothing to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from cody_adapters.aws.clients import error_code

JOBS_INDEX = "status-createdAt-index"  # GET /jobs?status=S of the existing API queries it
RUNS_INDEX = "status-index"
TTL_ATTRIBUTE = "expiresAt"
_TTL_ON = ("ENABLED", "ENABLING")
_UNSUPPORTED = {"UnknownOperationException"}  # dynalite answers UpdateTimeToLive so


@dataclass(frozen=True)
class TableSpec:
    """A table's keys and its one global secondary index (projection ALL), all strings."""

    name: str
    keys: tuple[str, ...]
    index: str
    index_keys: tuple[str, ...]

    def definition(self) -> dict[str, Any]:
        """CreateTable arguments: on-demand, the keys, the index."""
        attributes = dict.fromkeys((*self.keys, *self.index_keys))
        return {
            "TableName": self.name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": a, "AttributeType": "S"} for a in attributes
            ],
            "KeySchema": key_schema(self.keys),
            "GlobalSecondaryIndexes": [self.index_definition()],
        }

    def index_definition(self) -> dict[str, Any]:
        return {
            "IndexName": self.index,
            "KeySchema": key_schema(self.index_keys),
            "Projection": {"ProjectionType": "ALL"},
        }


def key_schema(keys: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        {"AttributeName": k, "KeyType": kind}
        for k, kind in zip(keys, ("HASH", "RANGE"), strict=False)
    ]


def table_specs(jobs: str, runs: str) -> tuple[TableSpec, TableSpec]:
    return (
        TableSpec(jobs, ("jobId",), JOBS_INDEX, ("status", "createdAt")),
        TableSpec(runs, ("jobId", "repositoryName"), RUNS_INDEX, ("status",)),
    )


@dataclass
class TablesReport:
    """What was missing, what was done about it (nothing unless asked), and what could not be."""

    missing: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class TableSetup:
    """Finds what the tables lack and, when asked, adds it: safe to run any number of times."""

    def __init__(
        self,
        client: Any,
        specs: tuple[TableSpec, ...],
        sleep: Callable[[float], None] = time.sleep,
        index_wait_seconds: float = 1800.0,
    ) -> None:
        self._client = client
        self._specs = specs
        self._sleep = sleep
        self._index_wait = index_wait_seconds

    def ensure(self, create: bool) -> TablesReport:
        report = TablesReport()
        for spec in self._specs:
            table = self._describe(spec.name)
            if table is None:
                report.missing.append(f"table {spec.name}")
                if create:
                    self._create(spec)
                    report.done.append(f"created table {spec.name} with index {spec.index}")
            elif spec.index not in {
                i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])
            }:
                report.missing.append(f"index {spec.index} on {spec.name}")
                if create:
                    self._add_index(spec)
                    report.done.append(f"added index {spec.index} to {spec.name}")
            if create or table is not None:
                self._ensure_ttl(spec, create, report)
        return report

    def _describe(self, name: str) -> dict[str, Any] | None:
        try:
            table: dict[str, Any] = self._client.describe_table(TableName=name)["Table"]
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return None
            raise
        return table

    def _create(self, spec: TableSpec) -> None:
        try:
            self._client.create_table(**spec.definition())
        except ClientError as error:
            if error_code(error) != "ResourceInUseException":  # created meanwhile by another
                raise
        waiter = self._client.get_waiter("table_exists")
        waiter.wait(TableName=spec.name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})

    def _add_index(self, spec: TableSpec) -> None:
        try:
            self._client.update_table(
                TableName=spec.name,
                AttributeDefinitions=[
                    {"AttributeName": a, "AttributeType": "S"} for a in spec.index_keys
                ],
                GlobalSecondaryIndexUpdates=[{"Create": spec.index_definition()}],
            )
        except ClientError as error:  # another init added it meanwhile: wait for it like ours
            if error_code(error) not in ("ResourceInUseException", "ValidationException"):
                raise
            if not self._index_status(spec):
                raise
        self._wait_for_index(spec)

    def _index_status(self, spec: TableSpec) -> str | None:
        table = self._describe(spec.name) or {}
        statuses = {
            index["IndexName"]: index.get("IndexStatus", "ACTIVE")
            for index in table.get("GlobalSecondaryIndexes", [])
        }
        return statuses.get(spec.index)

    def _wait_for_index(self, spec: TableSpec) -> None:
        """Until the index is ACTIVE: DynamoDB fills a new index from the items already there."""
        deadline = time.monotonic() + self._index_wait
        while self._index_status(spec) not in ("ACTIVE", None):
            if time.monotonic() > deadline:
                return  # still filling: readers fall back to scanning until it is done
            self._sleep(2.0)

    def _ensure_ttl(self, spec: TableSpec, create: bool, report: TablesReport) -> None:
        try:
            ttl = self._client.describe_time_to_live(TableName=spec.name)["TimeToLiveDescription"]
        except ClientError as error:
            if error_code(error) not in _UNSUPPORTED:
                raise
            report.notes.append(f"this endpoint has no TTL for {spec.name}")
            return
        if ttl.get("TimeToLiveStatus") in _TTL_ON:
            if ttl.get("AttributeName") != TTL_ATTRIBUTE:
                report.notes.append(
                    f"TTL on {spec.name} uses {ttl.get('AttributeName')}, not {TTL_ATTRIBUTE}: "
                    "items cody writes will not expire"
                )
            return
        report.missing.append(f"TTL on {TTL_ATTRIBUTE} for {spec.name}")
        if not create:
            return
        try:
            self._client.update_time_to_live(
                TableName=spec.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
            )
        except ClientError as error:
            if error_code(error) not in _UNSUPPORTED:
                raise
            report.missing.pop()
            report.notes.append(f"this endpoint has no TTL for {spec.name}")
            return
        report.done.append(f"turned on TTL ({TTL_ATTRIBUTE}) for {spec.name}")
