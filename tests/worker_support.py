"""Worker processes of `cody job run` sharing one job, as the containers of a Batch array job do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import boto3
import pytest

from cli_support import cody
from cody_adapters.local.sample_forge import make_bare_repo
from cody_cli.job_commands import container
from forge import git

WITH_CALL = {"app.py": "x = old_call()\n", "README.md": "hi\n"}
WITHOUT_CALL = {"app.py": "x = 1\n", "README.md": "hi\n"}


def forge_copies(tmp_path: Path, count: int, changed: Callable[[int], bool]) -> list[str]:
    """`count` bare repositories under tmp_path/forge; those whose index `changed` accepts hold
    the call the codemod renames. Each is a copy of one of two templates: copying a small bare
    repository takes about 5 ms where building one with git takes about 45."""
    templates = tmp_path / "templates"
    sources = {
        True: make_bare_repo(templates, "with-call", WITH_CALL),
        False: make_bare_repo(templates, "without-call", WITHOUT_CALL),
    }
    skip_samples = shutil.ignore_patterns("*.sample")
    repos = []
    for index in range(count):
        target = tmp_path / "forge" / f"repo-{index:03d}.git"
        shutil.copytree(sources[changed(index)], target, ignore=skip_samples)
        repos.append(str(target))
    return repos


@contextmanager
def dynamodb_tables(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """CODY_STORE=dynamodb on dynalite, on tables of a prefix of their own; yields the prefix."""
    prefix = f"cody-faults-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CODY_STORE", "dynamodb")
    monkeypatch.setenv("DYNAMODB_ENDPOINT", endpoint)
    monkeypatch.setenv("DYNAMODB_TABLE_PREFIX", prefix)
    container.reset_singletons()
    cody("store", "init")
    try:
        yield prefix
    finally:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        for table in client.list_tables()["TableNames"]:
            if table.startswith(prefix):
                client.delete_table(TableName=table)


def start_worker(
    job_id: str, index: int, temp_dir: Path, *options: str, **environment: str
) -> subprocess.Popen[str]:
    """`cody job run JOB_ID 0` as container `index` of an array job, with a TEMP_DIR of its own
    so that what each worker leaves behind can be told apart."""
    command = [sys.executable, "-m", "cody_cli", "job", "run", job_id, "0", "--log-format", "json"]
    env = {
        **os.environ,
        "AWS_BATCH_JOB_ARRAY_INDEX": str(index),
        "TEMP_DIR": str(temp_dir),
        **environment,
    }
    return subprocess.Popen(
        [*command, *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def reaped(workers: list[subprocess.Popen[str]]) -> Iterator[list[subprocess.Popen[str]]]:
    """The workers, stopped on the way out if a failed test left any of them running: SIGTERM
    first, as a SIGKILL in the middle of a request would crash the session's dynalite."""
    try:
        yield workers
    finally:
        running = [worker for worker in workers if worker.poll() is None]
        for worker in running:
            worker.terminate()
        for worker in running:
            try:
                worker.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                # A child of the worker may hold its pipes open past its death: never wait on
                # that forever.
                with suppress(subprocess.TimeoutExpired):
                    worker.communicate(timeout=10)


def log_events(stderr: str) -> list[dict[str, Any]]:
    """The JSON log lines of a worker's stderr."""
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def leftover_checkouts(temp_dir: Path) -> list[Path]:
    return sorted(temp_dir.glob("cody-*"))


def branch_heads(repo: str) -> dict[str, str]:
    """Branch name -> commit sha, of a bare repository."""
    listing = git(
        "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads", cwd=Path(repo)
    )
    return dict(line.split(" ", 1) for line in listing.splitlines())


def pull_requests_by_repository(cody_home: str) -> dict[str, list[dict[str, Any]]]:
    """The local pull-request records, by their repository's directory under CODY_HOME/pulls."""
    records: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(Path(cody_home, "pulls").glob("*/*.json")):
        records.setdefault(path.parent.name, []).append(json.loads(path.read_text()))
    return records


def pull_request_numbers_claimed(cody_home: str) -> dict[str, int]:
    """How many pull-request numbers each repository's directory handed out: one per `create`
    that got as far as writing a record, so a second means two workers tried to open one."""
    return {
        numbers.parent.name: len(list(numbers.iterdir()))
        for numbers in Path(cody_home, "pulls").glob("*/numbers")
    }
