"""Requests to the two tables: conditional updates, paged reads and batches, errors translated."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, NoCredentialsError

from cody_adapters.aws.clients import error_code, http_status, no_credentials
from cody_adapters.aws.dynamodb_items import Expression, chunks, to_item
from cody_core.errors import InputError, TransientError

log = logging.getLogger(__name__)

BATCH = 25  # BatchWriteItem's limit
_BATCH_ROUNDS = 10  # sends of one batch before its unprocessed items count as throttled
_BACKOFF_BASE, _BACKOFF_CAP = 0.05, 2.0
_THROTTLING = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
}


class TableCalls:
    """One client's requests to a jobs table and a runs table."""

    def __init__(
        self, client: Any, jobs: str, runs: str, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.client = client
        self.jobs = jobs
        self.runs = runs
        self._sleep = sleep

    def update(
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
        response = self.call(
            "update_item",
            TableName=table,
            Key=to_item(key),
            ReturnValues=returns,
            **expression.arguments(UpdateExpression=update, ConditionExpression=condition),
        )
        return None if response is None else response.get("Attributes", {})

    def get(self, table: str, key: dict[str, str]) -> dict[str, Any] | None:
        response = self.call("get_item", TableName=table, Key=to_item(key), ConsistentRead=True)
        return response.get("Item") if response else None

    def pages(self, operation: str, consistent: bool = True, **arguments: Any) -> Iterator[Any]:
        """Items a page at a time, following LastEvaluatedKey (counts, with Select=COUNT)."""
        while True:
            response = self.call(operation, ConsistentRead=consistent, **arguments) or {}
            if arguments.get("Select") == "COUNT":
                yield response.get("Count", 0)
            else:
                yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def write_batch(self, requests: list[dict[str, Any]]) -> None:
        """Send one batch, resending what DynamoDB leaves unprocessed after a growing pause."""
        pending: dict[str, Any] | None = {self.runs: requests}
        for round_ in range(_BATCH_ROUNDS):
            if round_:
                self._sleep(min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (round_ - 1)))
            pending = (self.call("batch_write_item", RequestItems=pending) or {}).get(
                "UnprocessedItems"
            )
            if not pending:
                return
        unwritten = sum(len(requests) for requests in (pending or {}).values())
        raise TransientError(f"DynamoDB left {unwritten} run writes unprocessed", kind="throttled")

    def undo_create(self, job_id: str, repository_names: list[str]) -> None:
        """Best effort: delete the runs that may have been written, then the job."""
        try:
            for chunk in chunks(repository_names, BATCH):
                keys = [to_item({"jobId": job_id, "repositoryName": n}) for n in chunk]
                self.write_batch([{"DeleteRequest": {"Key": key}} for key in keys])
            self.call("delete_item", TableName=self.jobs, Key=to_item({"jobId": job_id}))
        except Exception:
            log.warning("could not remove the partly created job %s", job_id, exc_info=True)

    def call(self, operation: str, **arguments: Any) -> dict[str, Any] | None:
        """The response; None when a condition failed, which is an expected outcome."""
        try:
            response: dict[str, Any] = getattr(self.client, operation)(**arguments)
        except ClientError as error:
            code = error_code(error)
            if code == "ConditionalCheckFailedException":
                return None
            if code in _THROTTLING:
                raise TransientError(f"DynamoDB throttled {operation}", kind="throttled") from error
            if code == "ResourceNotFoundException":
                raise InputError(
                    f"the DynamoDB tables {self.jobs} and {self.runs} are missing: "
                    "create them with `cody store init`"
                ) from error
            if http_status(error) >= 500:
                raise TransientError(f"DynamoDB failed {operation}: {code}") from error
            raise
        except (ConnectionError, HTTPClientError) as error:
            raise TransientError(f"DynamoDB unreachable for {operation}: {error}") from error
        except NoCredentialsError as error:
            raise no_credentials("DynamoDB") from error
        return response
