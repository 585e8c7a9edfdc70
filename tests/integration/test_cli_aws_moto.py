"""The cody command against AWS as moto plays it in-process: `store init` and S3 artifacts."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from cli_support import cody, create, forge, status
from cody_adapters.aws.dynamodb_tables import key_schema
from cody_cli.job_commands import container
from dynalite import use_dummy_credentials


@pytest.fixture
def aws(env, monkeypatch):
    use_dummy_credentials(monkeypatch)
    for name in ("DYNAMODB_ENDPOINT", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        container.reset_singletons()
        yield
    container.reset_singletons()


def test_store_init_only_reports_missing_tables_in_a_real_account_unless_told(aws, monkeypatch):
    monkeypatch.setenv("CODY_STORE", "dynamodb")
    monkeypatch.setenv("DYNAMODB_TABLE_PREFIX", "acct")
    client = boto3.client("dynamodb", region_name="us-east-1")

    report = cody("store", "init", ok=False)
    assert report.exit_code == 1 and "acct-jobs" in report.output and "--create" in report.output
    assert client.list_tables()["TableNames"] == []

    cody("store", "init", "--create")
    assert sorted(client.list_tables()["TableNames"]) == ["acct-jobs", "acct-repositories"]
    assert "created" not in cody("store", "init").stdout


def test_store_init_adds_the_indexes_and_ttl_that_tables_of_an_older_cody_lack(aws, monkeypatch):
    monkeypatch.setenv("CODY_STORE", "dynamodb")
    monkeypatch.setenv("DYNAMODB_TABLE_PREFIX", "old")
    client = boto3.client("dynamodb", region_name="us-east-1")
    for name, keys in [("old-jobs", ("jobId",)), ("old-repositories", ("jobId", "repositoryName"))]:
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
            KeySchema=key_schema(keys),
        )

    report = cody("store", "init", ok=False)
    added = cody("store", "init", "--create").stdout
    again = cody("store", "init").stdout

    assert report.exit_code == 1
    assert "index status-createdAt-index on old-jobs" in report.output
    assert "TTL on expiresAt for old-repositories" in report.output and "--create" in report.output
    assert "added index status-index to old-repositories" in added
    assert "turned on TTL (expiresAt) for old-jobs" in added
    assert again.strip() == "dynamodb tables old-jobs and old-repositories ready"
    indexes = {
        name: [
            i["IndexName"]
            for i in client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
        ]
        for name in ("old-jobs", "old-repositories")
    }
    assert indexes == {"old-jobs": ["status-createdAt-index"], "old-repositories": ["status-index"]}
    ttl = client.describe_time_to_live(TableName="old-jobs")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expiresAt")


def test_diffs_go_to_s3_when_cody_artifacts_names_a_bucket(tmp_path, aws, monkeypatch):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="cody-artifacts")
    monkeypatch.setenv("CODY_ARTIFACTS", "s3://cody-artifacts/runs")
    repos = forge(tmp_path, 1)
    job_id = create(repos, "--no-create-prs")

    cody("job", "run", job_id)

    run = status(job_id)["repositories"][0]
    assert run["diffRef"].startswith("s3://cody-artifacts/runs/")
    s3 = boto3.client("s3", region_name="us-east-1")
    key = run["diffRef"].split("/", 3)[3]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="cody-artifacts")["Contents"]] == [key]
    stored = s3.get_object(Bucket="cody-artifacts", Key=key)["Body"].read().decode()
    assert stored == run["diff"]
    assert "+x = new_call()" in cody("job", "diff", job_id, "--repo", repos[0]).stdout
