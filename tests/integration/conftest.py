"""Fixtures for the integration tests that run the cody command."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest

from anthropic_server import MessagesServer
from cli_support import CLAUDE_KEY, GITHUB_TOKEN, cody
from cody_cli.job_commands import container
from github_fake import SPEC, OpenApi
from store_documents import DynamoDocuments, SqliteDocuments
from worker_support import dynamodb_tables


@pytest.fixture
def env(tmp_path, reachable_tmp, monkeypatch):
    """A CODY_HOME, a forge of bare repositories, and secrets in the environment."""
    values = {
        "CODY_HOME": str(tmp_path / "home"),
        "TEMP_DIR": str(reachable_tmp / "tmp"),
        "ALLOWED_REPOSITORIES": f"{tmp_path / 'forge'}/*",
        "CODY_LEASE_SECONDS": "30",
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "CLAUDE_API_KEY": CLAUDE_KEY,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    container.reset_singletons()
    container.reset_override()
    yield values
    container.reset_singletons()
    container.reset_override()


@pytest.fixture(scope="session")
def openapi() -> OpenApi:
    """GitHub's OpenAPI description, which the REST fake's answers are checked against."""
    if not SPEC.exists():
        pytest.fail(f"{SPEC} is missing: run `make test`, which installs it with npm")
    return OpenApi()


@pytest.fixture
def dynamo(env, dynalite, monkeypatch):
    """`env` on DynamoDB: dynalite tables of their own, deleted afterwards; yields the prefix."""
    with dynamodb_tables(dynalite, monkeypatch) as prefix:
        yield prefix


@pytest.fixture
def fleet(env, tmp_path, monkeypatch, openapi):
    """GitHub repositories on loopback (`fleet_support.Fleet`), for the fleet commands."""
    from fleet_support import github_fleet

    with github_fleet(tmp_path, monkeypatch, openapi) as repositories:
        yield repositories


@pytest.fixture(params=["sqlite", "dynamodb"])
def documents(request, env):
    """`env` on either store, and the store's raw documents as the existing API sees them."""
    if request.param == "sqlite":
        cody("store", "init")
        return SqliteDocuments(Path(env["CODY_HOME"]) / "cody.db")
    return request.getfixturevalue("dynamo_documents")


@pytest.fixture
def dynamo_documents(dynamo):
    """`dynamo`'s tables as the existing API reads and writes them."""
    endpoint = os.environ["DYNAMODB_ENDPOINT"]
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    return DynamoDocuments(client, f"{dynamo}-jobs", f"{dynamo}-repositories")


@pytest.fixture
def claude_api(env, monkeypatch):
    """The Messages API on loopback, where the claude assistant of `cody` sends its requests."""
    with MessagesServer(expect_api_key=CLAUDE_KEY) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("CLAUDE_MAX_RETRIES", "1")
        container.reset_singletons()
        yield server


@pytest.fixture
def stage(tmp_path, reachable_tmp):
    """Builds the hostile suite's scene for a tier (skipping, with the reason, a tier that
    cannot run here), with its loopback listeners open for the length of the test."""
    from hostile_support import Scene, listening
    from sandbox_support import sandbox_of

    with listening() as listeners:

        def build(tier: str, name: str = "scene") -> Scene:
            sandbox_of(tier, reachable_tmp)
            root = tmp_path / name
            root.mkdir()
            return Scene(root, reachable_tmp / "tmp", tier, listeners)

        yield build
