"""An assistant that applies a Python function to the checkout's files."""

from __future__ import annotations

from collections.abc import Callable

from cody_core.models import Job
from cody_core.ports import AssistantRequest, AssistantResult
from cody_core.testing.git import FakeWorkspace

Edit = Callable[[str, dict[str, str]], None]  # (repository name, files) -> edits files in place


class FakeAssistant:
    """Runs `edit` on the checkout's files; `requests` records what it was asked."""

    def __init__(self, workspace: FakeWorkspace, edit: Edit | None = None, summary: str = "done"):
        self._workspace = workspace
        self._edit = edit or (lambda name, files: None)
        self._summary = summary
        self.requests: list[AssistantRequest] = []
        self.refuse: Exception | None = None  # raised by admit(), e.g. a spent budget

    def admit(self, job: Job) -> None:
        if self.refuse is not None:
            raise self.refuse

    def change(self, request: AssistantRequest) -> AssistantResult:
        self.requests.append(request)
        self._edit(request.checkout.repository.name, self._workspace.files(request.checkout))
        return AssistantResult(summary=self._summary)
