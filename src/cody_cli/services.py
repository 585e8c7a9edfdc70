"""The services, built from settings by the CLI's container, for a program that embeds cody_core.

    from cody_cli.services import build_services

    services = build_services()  # Settings() from the environment, as `cody` reads them
    job = services.jobs.create(["acme/api"], name="bump", prompt="Bump it", command="make bump")

Nothing here imports Typer or Rich; the wiring stays in `cody_cli.container`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from cody_cli.container import Container
from cody_cli.settings import Settings
from cody_core import (
    JobProcessor,
    JobPublishing,
    JobService,
    JobStore,
    JobSubmission,
    JobUpdate,
    PullRequestActions,
    PullRequestTracking,
    RepositorySelector,
)


@dataclass(frozen=True)
class Services:
    """Each service is built on first use, so that, say, AWS Batch's client (and boto3) is
    made only by a program that submits jobs; the adapters behind them are built once."""

    container: Container = field(repr=False)

    @cached_property
    def store(self) -> JobStore:
        """The job store the settings choose (CODY_STORE: sqlite or dynamodb)."""
        store: JobStore = self.container.store()  # a Selector: its type is known only here
        return store

    @cached_property
    def jobs(self) -> JobService:
        """Create, list, report, cancel and retry jobs."""
        return self.container.jobs()

    @cached_property
    def processor(self) -> JobProcessor:
        """Run a job's repositories in this process."""
        return self.container.processor()

    @cached_property
    def submission(self) -> JobSubmission:
        """Hand a job to workers on AWS Batch."""
        return self.container.submission()

    @cached_property
    def selector(self) -> RepositorySelector:
        """Choose repositories by owner or search (with a GitHub token)."""
        return self.container.selector()

    @cached_property
    def tracking(self) -> PullRequestTracking:
        """Refresh what a job's pull requests look like on their host."""
        return self.container.tracking()

    @cached_property
    def pull_request_actions(self) -> PullRequestActions:
        """Merge, close and comment on a job's pull requests."""
        return self.container.pull_request_actions()

    @cached_property
    def updates(self) -> JobUpdate:
        """Change a finished job's options and run it again."""
        return self.container.updates()

    @cached_property
    def publishing(self) -> JobPublishing:
        """Deliver a previewed job's stored diffs."""
        return self.container.publishing()


def build_services(settings: Settings | None = None, *, assistant: str = "command") -> Services:
    """The services `cody` uses, on the adapters `settings` choose (the environment's if None).

    `assistant` picks the code assistant the processor runs: "command" or "claude".
    """
    container = Container()
    if settings is not None:
        container.settings.override(settings)
    container.assistant_kind.override(assistant)
    return Services(container)
