"""The cody command with CODY_STORE=dynamodb against dynalite, a DynamoDB that validates."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import boto3
import pytest

from cli_support import cody, create, forge, status
from cody_cli.job_commands import container


@pytest.fixture
def dynamo_env(env, dynalite, monkeypatch):
    prefix = f"cody-e2e-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CODY_STORE", "dynamodb")
    monkeypatch.setenv("DYNAMODB_ENDPOINT", dynalite)
    monkeypatch.setenv("DYNAMODB_TABLE_PREFIX", prefix)
    container.reset_singletons()
    client = boto3.client("dynamodb", endpoint_url=dynalite, region_name="us-east-1")
    yield client, prefix
    for table in client.list_tables()["TableNames"]:
        if table.startswith(prefix):
            client.delete_table(TableName=table)


def test_store_init_creates_the_tables_once(dynamo_env):
    client, prefix = dynamo_env

    first = cody("store", "init").stdout
    second = cody("store", "init").stdout

    tables = client.list_tables()["TableNames"]
    assert {f"{prefix}-jobs", f"{prefix}-repositories"} <= set(tables)
    assert "created" in first and "created" not in second


def test_a_job_runs_end_to_end_and_the_items_carry_the_api_names(tmp_path, dynamo_env):
    client, prefix = dynamo_env
    cody("store", "init")
    repos = forge(tmp_path, 3, changed=2)
    job_id = create(repos)

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "cody_cli", "job", "run", job_id, "0", "--log-format", "json"],
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=240) for worker in workers]

    assert [w.returncode for w in workers] == [0, 0], outputs
    report = status(job_id)
    assert report["status"] == "completed" and report["completedCount"] == 3
    assert all(run["attempt"] == 1 for run in report["repositories"])
    job = client.get_item(TableName=f"{prefix}-jobs", Key={"jobId": {"S": job_id}})["Item"]
    assert job["status"] == {"S": "completed"}
    assert {"jobId", "name", "prompt", "createdAt", "startedAt", "completedAt"} <= set(job)
    assert {"repositoryCount", "completedCount", "failedCount", "createPullRequests"} <= set(job)
    items = client.query(
        TableName=f"{prefix}-repositories",
        KeyConditionExpression="jobId = :j",
        ExpressionAttributeValues={":j": {"S": job_id}},
    )["Items"]
    assert sorted(item["repositoryName"]["S"] for item in items) == sorted(repos)
    assert {item["status"]["S"] for item in items} == {"completed"}
    changed = [item for item in items if item["wereChangesNecessary"]["BOOL"]]
    assert len(changed) == 2
    assert all(
        {"pullRequestUrl", "commitSha", "diff", "diffRef", "branch"} <= set(i) for i in changed
    )
    assert {"tokenUsage", "logs", "version", "leaseOwner", "startedAt"} <= set(items[0])


def test_missing_tables_are_a_one_line_error(dynamo_env):
    result = cody("job", "list", ok=False)

    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "cody store init" in lines[0], result.output
