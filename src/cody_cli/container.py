"""The composition root: the one place that knows which adapter backs which port."""

from __future__ import annotations

import os
import socket
import uuid
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from cody_adapters.git.workspace import GitCliWorkspace
from cody_adapters.local.artifacts import LocalArtifactStore
from cody_adapters.local.pull_requests import LocalPullRequestHost
from cody_adapters.local.sqlite_store import SqliteJobStore
from cody_adapters.process.command_assistant import CommandAssistant
from cody_adapters.process.preflight import HostPreflight
from cody_adapters.process.runner import SubprocessCommandRunner
from cody_adapters.process.sandbox import Sandbox
from cody_adapters.shared.clock import SystemClock
from cody_cli.pull_request_router import RoutingPullRequestHost
from cody_cli.settings import Settings
from cody_core.policies.allowlist import Allowlist
from cody_core.ports import (
    ArtifactStore,
    Clock,
    CodeAssistant,
    CommandRunner,
    GitWorkspace,
    JobStore,
    JobSubmitter,
    Preflight,
    PullRequestForge,
    RepositoryFinder,
)
from cody_core.services.job_processor import JobProcessor, WorkerSettings
from cody_core.services.jobs import JobService
from cody_core.services.preflight import NoPreflight
from cody_core.services.pull_request_actions import PullRequestActions
from cody_core.services.reapply import JobPublishing, JobUpdate
from cody_core.services.repository_processor import ProcessorSettings, RepositoryProcessor
from cody_core.services.selection import RepositorySelector
from cody_core.services.submission import JobSubmission
from cody_core.services.tracking import PullRequestTracking

if TYPE_CHECKING:  # imported where they are used, to keep the CLI's start-up short
    from github import Github
    from mypy_boto3_batch import BatchClient

ARRAY_STRIDE = 8  # runs between the starting points of two workers of an array job


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def array_offset() -> int:
    index = os.environ.get("AWS_BATCH_JOB_ARRAY_INDEX", "0")
    return int(index) * ARRAY_STRIDE if index.isdigit() else 0


# boto3 costs a quarter of a second to import: only the commands that use AWS pay for it.
def _dynamodb_store(settings: Settings) -> JobStore:
    from cody_adapters.aws.dynamodb_store import DynamoDbJobStore, dynamodb_client

    client = dynamodb_client(settings.dynamodb_endpoint_url, settings.dynamodb_region)
    return DynamoDbJobStore(
        client,
        settings.dynamodb_table_prefix,
        jobs_table=settings.dynamodb_jobs_table,
        runs_table=settings.dynamodb_repositories_table,
    )


def _github(settings: Settings) -> Github:
    from cody_adapters.github.pull_requests import github_client

    return github_client(
        settings.github_token_value or "",
        settings.github_api_url,
        seconds_between_requests=settings.github_request_interval,
        seconds_between_writes=settings.github_write_interval,
    )


def _github_pull_requests(settings: Settings) -> PullRequestForge | None:
    if settings.github_token_value is None:
        return None
    from cody_adapters.github.lifecycle import GitHubForge

    return GitHubForge(_github(settings))


def _github_repository_finder(settings: Settings) -> RepositoryFinder | None:
    if settings.github_token_value is None:
        return None
    from cody_adapters.github.repositories import GitHubRepositoryFinder

    return GitHubRepositoryFinder(_github(settings))


def _claude_assistant(settings: Settings, secrets: tuple[str, ...]) -> CodeAssistant:
    from cody_adapters.claude import ClaudeAssistant, claude_client

    key = settings.claude_api_key.get_secret_value() if settings.claude_api_key else None
    client = claude_client(
        settings.claude_provider,
        key,
        settings.anthropic_base_url,
        settings.aws_region,
        max_retries=settings.claude_max_retries,
    )
    return ClaudeAssistant(
        client,
        settings.claude_model,
        max_tokens=settings.claude_max_tokens,
        secrets=secrets,
        max_job_tokens=settings.claude_max_job_tokens,
        session_timeout=settings.claude_session_timeout,
        message_threads=settings.claude_message_threads,
    )


def _artifact_store(settings: Settings) -> ArtifactStore:
    if not settings.cody_artifacts:
        return LocalArtifactStore(settings.cody_home / "artifacts")
    from cody_adapters.aws.s3_artifacts import S3ArtifactStore, parse_s3_url, s3_client

    bucket, prefix = parse_s3_url(settings.cody_artifacts)
    return S3ArtifactStore(s3_client(settings.aws_region), bucket, prefix)


def _batch_client(settings: Settings) -> BatchClient:
    from cody_adapters.aws.batch import batch_client

    return batch_client(settings.aws_region)


def _batch_submitter(settings: Settings, client: BatchClient) -> JobSubmitter:
    from cody_adapters.aws.batch import BatchSubmitter

    # The submitter says which settings are missing.
    return BatchSubmitter(
        client, settings.batch_job_queue or "", settings.batch_job_definition or ""
    )


# A provider's type argument, or its factory's return type, names the port: mypy then proves
# the adapter behind it satisfies that protocol.
class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)

    clock = providers.Singleton[Clock](SystemClock)
    allowlist = providers.Singleton(Allowlist.parse, settings.provided.allowed_repositories)
    secrets = providers.Callable(lambda s: s.secret_values(), settings)

    store = providers.Selector(
        settings.provided.cody_store,
        sqlite=providers.Singleton[JobStore](SqliteJobStore, settings.provided.database_path),
        dynamodb=providers.Singleton(_dynamodb_store, settings),
    )
    artifacts = providers.Singleton(_artifact_store, settings)

    # One per process: the workspace makes the checkouts the runner's commands run in.
    sandbox = providers.Singleton(
        Sandbox, settings.provided.cody_sandbox, settings.provided.temp_dir
    )
    runner = providers.Singleton[CommandRunner](
        SubprocessCommandRunner, sandbox, secret_values=secrets
    )
    workspace = providers.Singleton[GitWorkspace](
        GitCliWorkspace,
        settings.provided.temp_dir,
        author_name=settings.provided.git_author_name,
        author_email=settings.provided.git_author_email,
        github_server_url=settings.provided.github_server_url,
        token=settings.provided.github_token_value,
        secrets=secrets,
        sandbox=sandbox,
    )
    pull_requests = providers.Singleton[PullRequestForge](
        RoutingPullRequestHost,
        local=providers.Singleton[PullRequestForge](
            LocalPullRequestHost,
            providers.Callable(lambda s: s.cody_home / "pulls", settings),
            author_name=settings.provided.git_author_name,
            author_email=settings.provided.git_author_email,
        ),
        github=providers.Factory(_github_pull_requests, settings).provider,
    )

    assistant_kind = providers.Object("command")
    assistant = providers.Selector(
        assistant_kind,
        command=providers.Singleton[CodeAssistant](CommandAssistant, runner),
        # One per process: its token budget is shared by every worker thread.
        claude=providers.Singleton(_claude_assistant, settings, secrets),
    )

    # Checked at run always, and at create too when the job can only run on this machine: a
    # job in DynamoDB may be made on a laptop and run by containers that hold the secrets.
    host_preflight = providers.Singleton[Preflight](
        HostPreflight,
        settings.provided.temp_dir,
        github_token=providers.Callable(lambda s: s.github_token_value is not None, settings),
        claude_key=providers.Callable(lambda s: s.claude_api_key is not None, settings),
        claude_provider=settings.provided.claude_provider,
        require_sandbox=sandbox.provided.require,
    )
    create_preflight = providers.Selector(
        settings.provided.cody_store,
        sqlite=host_preflight,
        dynamodb=providers.Singleton[Preflight](NoPreflight),
    )

    jobs = providers.Factory(
        JobService,
        store,
        artifacts,
        clock,
        allowlist,
        preflight=create_preflight,
        retention_days=settings.provided.cody_retention_days,
    )
    batch_client = providers.Singleton(_batch_client, settings)
    submission = providers.Factory(
        JobSubmission, store, providers.Singleton(_batch_submitter, settings, batch_client)
    )
    repository_processor = providers.Factory(
        RepositoryProcessor,
        store,
        artifacts,
        workspace,
        assistant,
        pull_requests,
        runner,
        clock,
        providers.Factory(ProcessorSettings, allowlist=allowlist, secrets=secrets),
        lifecycle=pull_requests,
    )
    worker_settings = providers.Factory(
        WorkerSettings,
        owner=providers.Callable(worker_id),
        lease_seconds=settings.provided.cody_lease_seconds,
        start_offset=providers.Callable(array_offset),
    )
    processor = providers.Factory(
        JobProcessor,
        store,
        repository_processor,
        clock,
        worker_settings,
        preflight=host_preflight,
    )

    # After the pull requests: choosing repositories, tracking, bulk actions, re-applying.
    selector = providers.Factory(
        RepositorySelector, providers.Singleton(_github_repository_finder, settings), allowlist
    )
    tracking = providers.Factory(PullRequestTracking, store, pull_requests)
    pull_request_actions = providers.Factory(
        PullRequestActions, tracking, pull_requests, secrets=secrets
    )
    updates = providers.Factory(JobUpdate, store)
    publishing = providers.Factory(JobPublishing, store)
