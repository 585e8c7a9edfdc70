"""cody_core's public API: the names an embedder imports, pinned so that a change is deliberate."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import cody_core

# Adding or removing a public name is an edit of this list, in the same change.
PUBLIC = [
    "Allowlist",
    "ArtifactStore",
    "AssistantRequest",
    "AssistantResult",
    "CancelledError",
    "Checkout",
    "ChecksState",
    "ClaudeConversation",
    "Clock",
    "CodeAssistant",
    "CodyError",
    "CommandResult",
    "CommandRunner",
    "ConversationMessage",
    "Diff",
    "FileChange",
    "FoundRepository",
    "GitWorkspace",
    "GuardrailError",
    "InputError",
    "Job",
    "JobProcessor",
    "JobPublishing",
    "JobService",
    "JobStatus",
    "JobStore",
    "JobSubmission",
    "JobSubmitter",
    "JobUpdate",
    "LeaseLostError",
    "LogEntry",
    "MergeMethod",
    "MergeOptions",
    "NoPreflight",
    "NotAllowedError",
    "NotFoundError",
    "Outcome",
    "Preflight",
    "ProcessorSettings",
    "PublishPlan",
    "PullRequest",
    "PullRequestActions",
    "PullRequestForge",
    "PullRequestHost",
    "PullRequestLifecycle",
    "PullRequestSpec",
    "PullRequestState",
    "PullRequestStatus",
    "PullRequestTracking",
    "Record",
    "RepositoryFinder",
    "RepositoryProcessor",
    "RepositoryRef",
    "RepositoryRun",
    "RepositorySelector",
    "ReviewDecision",
    "RunError",
    "RunOutcome",
    "RunStatus",
    "Selected",
    "Selection",
    "SkippedError",
    "StoppedError",
    "TokenUsage",
    "Tracked",
    "TransientError",
    "Verification",
    "WorkerSettings",
    "apply_changes",
    "parse_reference",
    "parse_references",
    "runs_by_name",
    "with_write_stamps",
]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_the_public_names_are_exactly_the_pinned_ones():
    assert cody_core.__all__ == PUBLIC


def test_every_public_name_resolves_to_its_object_in_the_module_it_lives_in():
    for name in PUBLIC:
        value = getattr(cody_core, name)
        home = sys.modules[cody_core._HOME_OF[name]]
        assert value is getattr(home, name), name


def test_star_import_and_dir_give_every_public_name():
    namespace: dict[str, object] = {}
    exec("from cody_core import *", namespace)

    assert set(PUBLIC) <= set(namespace)
    assert set(PUBLIC) <= set(dir(cody_core))


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'JobStor'"):
        cody_core.JobStor  # noqa: B018


def test_type_checkers_see_the_same_names_as_the_lazy_imports():
    tree = ast.parse(Path(cody_core.__file__).read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If))
    imported = {
        (node.module, alias.name)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }

    assert imported == {(cody_core._HOME_OF[name], name) for name in PUBLIC}


def test_importing_cody_core_imports_none_of_its_modules_nor_pydantic():
    result = run_python(
        "import sys, cody_core; "
        "loaded = sorted(m for m in sys.modules if m.startswith(('cody_core.', 'pydantic'))); "
        "assert not loaded, loaded"
    )

    assert result.returncode == 0, result.stderr


def test_the_fakes_import_without_pytest():
    result = run_python(
        "import cody_core, cody_core.testing, cody_core.testing.store, sys; "
        "cody_core.testing.Pipeline().jobs; "
        "assert 'pytest' not in sys.modules and 'hypothesis' not in sys.modules"
    )

    assert result.returncode == 0, result.stderr
