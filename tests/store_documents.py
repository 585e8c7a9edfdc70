"""A store's raw documents, written and read the way another program sharing its tables would.

The existing Express API writes DynamoDB items with the AWS SDK's DocumentClient: JavaScript
strings, numbers, booleans, arrays and objects as S, N, BOOL, L and M. `DynamoDocuments` does
the same with boto3's serializer; `SqliteDocuments` and `FakeDocuments` hold the same documents
in the other stores, so that one test of what the API writes and reads runs on every store.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from cody_core.testing.store import FakeJobStore

Document = dict[str, Any]
STATUS_INDEX = "status-createdAt-index"


class Documents(Protocol):
    """Items of the jobs and repositories tables, unchecked and unconditional."""

    def put_job(self, document: Document) -> None: ...

    def put_run(self, document: Document) -> None: ...

    def update_job(self, job_id: str, attributes: Document) -> None:
        """SET the attributes, whatever the item holds (the API's cancel)."""
        ...

    def job(self, job_id: str) -> Document | None: ...

    def run(self, job_id: str, repository_name: str) -> Document | None: ...

    def runs(self, job_id: str) -> list[Document]: ...

    def jobs(self) -> list[Document]:
        """Every job, unordered (a Scan)."""
        ...

    def jobs_in(self, status: str) -> list[Document]:
        """The jobs in one status, newest first (a Query of the status index)."""
        ...


class DynamoDocuments:
    def __init__(self, client: Any, jobs_table: str, runs_table: str) -> None:
        self._client = client
        self._jobs = jobs_table
        self._runs = runs_table
        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()

    def put_job(self, document: Document) -> None:
        self._client.put_item(TableName=self._jobs, Item=self._item(document))

    def put_run(self, document: Document) -> None:
        self._client.put_item(TableName=self._runs, Item=self._item(document))

    def update_job(self, job_id: str, attributes: Document) -> None:
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        values = {f":v{i}": self._value(v) for i, v in enumerate(attributes.values())}
        sets = ", ".join(f"#a{i} = :v{i}" for i in range(len(attributes)))
        self._client.update_item(
            TableName=self._jobs,
            Key=self._item({"jobId": job_id}),
            UpdateExpression=f"SET {sets}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def job(self, job_id: str) -> Document | None:
        item = self._client.get_item(TableName=self._jobs, Key=self._item({"jobId": job_id}))
        return self._document(item["Item"]) if "Item" in item else None

    def run(self, job_id: str, repository_name: str) -> Document | None:
        key = self._item({"jobId": job_id, "repositoryName": repository_name})
        item = self._client.get_item(TableName=self._runs, Key=key)
        return self._document(item["Item"]) if "Item" in item else None

    def runs(self, job_id: str) -> list[Document]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._runs,
            KeyConditionExpression="jobId = :j",
            ExpressionAttributeValues={":j": {"S": job_id}},
        )
        return [self._document(item) for page in pages for item in page["Items"]]

    def jobs(self) -> list[Document]:
        pages = self._client.get_paginator("scan").paginate(TableName=self._jobs)
        return [self._document(item) for page in pages for item in page["Items"]]

    def jobs_in(self, status: str) -> list[Document]:
        answer = self._client.query(
            TableName=self._jobs,
            IndexName=STATUS_INDEX,
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": status}},
            ScanIndexForward=False,
        )
        return [self._document(item) for item in answer["Items"]]

    def _item(self, document: Document) -> dict[str, Any]:
        return {name: self._value(value) for name, value in document.items()}

    def _value(self, value: Any) -> Any:
        return self._serializer.serialize(_decimals(value))

    def _document(self, item: dict[str, Any]) -> Document:
        return {name: _numbers(self._deserializer.deserialize(v)) for name, v in item.items()}


class SqliteDocuments:
    """The documents in the rows of a SqliteJobStore's file."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def put_job(self, document: Document) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO jobs (job_id, status, created_at, doc) VALUES (?, ?, ?, ?)",
                (
                    document["jobId"],
                    document["status"],
                    document["createdAt"],
                    json.dumps(document),
                ),
            )

    def put_run(self, document: Document) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO runs (job_id, repository_name, status, version, doc)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    document["jobId"],
                    document["repositoryName"],
                    document["status"],
                    document.get("version"),
                    json.dumps(document),
                ),
            )

    def update_job(self, job_id: str, attributes: Document) -> None:
        document = {**(self.job(job_id) or {"jobId": job_id}), **attributes}
        with self._db() as db:
            db.execute(
                "UPDATE jobs SET status = ?, doc = ? WHERE job_id = ?",
                (document["status"], json.dumps(document), job_id),
            )

    def job(self, job_id: str) -> Document | None:
        return self._one("SELECT doc FROM jobs WHERE job_id = ?", job_id)

    def run(self, job_id: str, repository_name: str) -> Document | None:
        query = "SELECT doc FROM runs WHERE job_id = ? AND repository_name = ?"
        return self._one(query, job_id, repository_name)

    def runs(self, job_id: str) -> list[Document]:
        return self._all("SELECT doc FROM runs WHERE job_id = ? ORDER BY repository_name", job_id)

    def jobs(self) -> list[Document]:
        return self._all("SELECT doc FROM jobs")

    def jobs_in(self, status: str) -> list[Document]:
        return self._all("SELECT doc FROM jobs WHERE status = ? ORDER BY created_at DESC", status)

    def _one(self, query: str, *parameters: Any) -> Document | None:
        found = self._all(query, *parameters)
        return found[0] if found else None

    def _all(self, query: str, *parameters: Any) -> list[Document]:
        with self._db() as db:
            return [json.loads(doc) for (doc,) in db.execute(query, parameters)]

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30, isolation_level=None)


class FakeDocuments:
    def __init__(self, store: FakeJobStore) -> None:
        self._store = store

    def put_job(self, document: Document) -> None:
        self._store.put_job_document(document)

    def put_run(self, document: Document) -> None:
        self._store.put_run_document(document)

    def update_job(self, job_id: str, attributes: Document) -> None:
        self._store.update_job_document(job_id, attributes)

    def job(self, job_id: str) -> Document | None:
        return self._store.job_document(job_id)

    def run(self, job_id: str, repository_name: str) -> Document | None:
        return self._store.run_document(job_id, repository_name)

    def runs(self, job_id: str) -> list[Document]:
        return self._store.run_documents(job_id)

    def jobs(self) -> list[Document]:
        return self._store.job_documents()

    def jobs_in(self, status: str) -> list[Document]:
        return sorted(
            (d for d in self.jobs() if d["status"] == status),
            key=lambda d: d["createdAt"],
            reverse=True,
        )


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    return value


def _numbers(value: Any) -> Any:
    """Numbers as JavaScript has them: DocumentClient unmarshals N to a number."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    return value
