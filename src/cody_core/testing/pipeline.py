"""Services wired to fakes, the way the container wires them to real adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cody_core.policies.allowlist import Allowlist
from cody_core.services.job_processor import JobProcessor, WorkerSettings
from cody_core.services.jobs import JobService
from cody_core.services.pull_request_actions import PullRequestActions
from cody_core.services.reapply import JobPublishing, JobUpdate
from cody_core.services.repository_processor import ProcessorSettings, RepositoryProcessor
from cody_core.services.tracking import PullRequestTracking
from cody_core.testing.artifacts import FakeArtifactStore
from cody_core.testing.assistant import Edit, FakeAssistant
from cody_core.testing.clock import FakeClock
from cody_core.testing.git import FakeWorkspace
from cody_core.testing.pull_requests import FakePullRequestHost
from cody_core.testing.runner import FakeCommandRunner
from cody_core.testing.store import FakeJobStore

SECRET = "ghp_" + "S3cr3t" * 6


def replace_all(old: str, new: str) -> Edit:
    """An edit that rewrites `old` to `new` in every file."""

    def edit(name: str, files: dict[str, str]) -> None:
        for path, text in files.items():
            files[path] = text.replace(old, new)

    return edit


@dataclass
class Pipeline:
    """Every fake, and each service built on them as the container builds it on adapters."""

    store: FakeJobStore = field(default_factory=FakeJobStore)
    artifacts: FakeArtifactStore = field(default_factory=FakeArtifactStore)
    workspace: FakeWorkspace = field(default_factory=FakeWorkspace)
    pull_requests: FakePullRequestHost = field(default_factory=FakePullRequestHost)
    runner: FakeCommandRunner = field(default_factory=FakeCommandRunner)
    clock: FakeClock = field(default_factory=FakeClock)
    allowlist: Allowlist = field(default_factory=lambda: Allowlist.parse("acme/*"))
    assistant: FakeAssistant | None = None  # None: one that renames old_call to new_call

    def __post_init__(self) -> None:
        if self.assistant is None:
            self.assistant = FakeAssistant(self.workspace, replace_all("old_call", "new_call"))

    def repos(self, count: int, text: str = "x = old_call()\n") -> list[str]:
        names = [f"acme/repo-{i:03d}" for i in range(count)]
        for name in names:
            self.workspace.add(name, {"app.py": text, "README.md": "hello\n"})
        return names

    @property
    def jobs(self) -> JobService:
        return JobService(self.store, self.artifacts, self.clock, self.allowlist)

    def repository_processor(self) -> RepositoryProcessor:
        assert self.assistant is not None  # __post_init__ made one
        return RepositoryProcessor(
            self.store,
            self.artifacts,
            self.workspace,
            self.assistant,
            self.pull_requests,
            self.runner,
            self.clock,
            ProcessorSettings(allowlist=self.allowlist, secrets=(SECRET,)),
            lifecycle=self.pull_requests,
        )

    def processor(self, owner: str = "worker-1", lease_seconds: float = 60) -> JobProcessor:
        return JobProcessor(
            self.store,
            self.repository_processor(),
            self.clock,
            WorkerSettings(owner=owner, lease_seconds=lease_seconds, poll_seconds=0.01),
        )

    @property
    def tracking(self) -> PullRequestTracking:
        return PullRequestTracking(self.store, self.pull_requests)

    @property
    def actions(self) -> PullRequestActions:
        return PullRequestActions(self.tracking, self.pull_requests, secrets=(SECRET,))

    @property
    def updates(self) -> JobUpdate:
        return JobUpdate(self.store)

    @property
    def publishing(self) -> JobPublishing:
        return JobPublishing(self.store)

    def create(self, repositories: list[str], **fields: Any) -> str:
        fields.setdefault("name", "rename old_call")
        fields.setdefault("prompt", "Rename old_call to new_call")
        fields.setdefault("command", "sed -i s/old_call/new_call/g *.py")
        return self.jobs.create(repositories, **fields).job_id
