"""DynamoDB for tests: dynalite (in memory, on loopback) or moto, with fresh tables per store."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from cody_adapters.aws.dynamodb_store import DynamoDbJobStore, dynamodb_client

CLI = Path(__file__).resolve().parents[1] / "node_modules" / "dynalite" / "cli.js"
# Keeps dynalite up when a client dies mid-request (a SIGKILLed worker), as DynamoDB stays up.
PRELOAD = Path(__file__).resolve().parent / "dynalite_preload.js"
LOOPBACK_IN_MEMORY = [
    "--host",
    "127.0.0.1",
    "--createTableMs",
    "0",
    "--deleteTableMs",
    "0",
    "--updateTableMs",
    "0",
]
REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def use_dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point boto3 at made-up credentials only: no profile or config of the developer's."""
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@contextmanager
def dynalite_server(timeout: float = 20.0) -> Iterator[str]:
    """Start dynalite on a free loopback port; yield its URL; stop it afterwards."""
    if not CLI.exists():
        pytest.fail(f"dynalite is missing ({CLI}): run `make test`, which installs it with npm")
    port = _free_port()
    process = subprocess.Popen(
        ["node", "-r", str(PRELOAD), str(CLI), "--port", str(port), *LOOPBACK_IN_MEMORY],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(process, endpoint, timeout)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


@contextmanager
def fresh_store(endpoint: str, **options: Any) -> Iterator[DynamoDbJobStore]:
    """A store on dynalite, on tables of its own (a unique prefix), deleted afterwards."""
    with _tables(dynamodb_client(endpoint, REGION), **options) as store:
        yield store


@contextmanager
def moto_store(**options: Any) -> Iterator[DynamoDbJobStore]:
    """A store on moto, whose requests take turns: moto does not apply one conditional write
    atomically (two threads can both pass its condition), which DynamoDB and dynalite do."""
    with mock_aws(), _tables(TakingTurns(dynamodb_client(None, REGION)), **options) as store:
        yield store


class TakingTurns:
    """A client proxy that lets one request through at a time."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


@contextmanager
def _tables(client: Any, **options: Any) -> Iterator[DynamoDbJobStore]:
    store = DynamoDbJobStore(client, f"cody-{uuid.uuid4().hex[:12]}", **options)
    store.ensure_tables(create=True)
    try:
        yield store
    finally:
        for table in store.tables:
            client.delete_table(TableName=table)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answering(process: subprocess.Popen[str], endpoint: str, timeout: float) -> None:
    host, port = endpoint.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            error = process.stderr.read() if process.stderr else ""
            pytest.fail(f"dynalite exited with {process.returncode}: {error.strip()}")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"dynalite did not answer on {endpoint} within {timeout} s")
            time.sleep(0.05)
    dynamodb_client(endpoint, REGION).list_tables(Limit=1)  # answers DynamoDB requests too
