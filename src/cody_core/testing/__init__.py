"""In-memory fakes of every port, for tests of the domain and of code that embeds it.

Each fake keeps its state in memory and records what it was asked (`FakeJobStore.claims`,
`FakeWorkspace.pushed`, `FakePullRequestHost.created`, ...). None of them imports pytest:
only `cody_core.testing.store_contract`, the suite every JobStore must pass, does.
"""

from cody_core.testing.artifacts import FakeArtifactStore
from cody_core.testing.assistant import FakeAssistant
from cody_core.testing.clock import FakeClock
from cody_core.testing.git import FakeRepository, FakeWorkspace
from cody_core.testing.pipeline import Pipeline, replace_all
from cody_core.testing.pull_requests import FakePullRequestHost, FakeState
from cody_core.testing.repositories import FakeRepositoryFinder
from cody_core.testing.runner import FakeCommandRunner
from cody_core.testing.store import FakeJobStore
from cody_core.testing.submitter import FakeJobSubmitter

__all__ = [
    "FakeArtifactStore",
    "FakeAssistant",
    "FakeClock",
    "FakeCommandRunner",
    "FakeJobStore",
    "FakeJobSubmitter",
    "FakePullRequestHost",
    "FakeRepository",
    "FakeRepositoryFinder",
    "FakeState",
    "FakeWorkspace",
    "Pipeline",
    "replace_all",
]
