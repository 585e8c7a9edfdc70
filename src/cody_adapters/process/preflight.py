"""What this machine must provide for a job: a usable TEMP_DIR, the credentials it needs and,
when it runs repository code, a sandbox for it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cody_core.errors import InputError
from cody_core.models import Job
from cody_core.policies.repository_code import runs_repository_code


class HostPreflight:
    """Checks TEMP_DIR, the secrets a job's repositories and assistant will ask for, and the
    sandbox its repository code needs (`require_sandbox` raises InputError saying why none
    works here)."""

    def __init__(
        self,
        temp_dir: Path,
        *,
        github_token: bool,
        claude_key: bool,
        claude_provider: str,
        require_sandbox: Callable[[], object] = lambda: None,
    ) -> None:
        self._temp_dir = temp_dir
        self._github_token = github_token
        self._claude_key = claude_key
        self._claude_provider = claude_provider
        self._require_sandbox = require_sandbox

    def check(self, job: Job, repository_kinds: Callable[[], frozenset[str]]) -> None:
        problem = writable_directory_problem(self._temp_dir)
        if problem is not None:
            raise InputError(
                f"TEMP_DIR {self._temp_dir} {problem}: set TEMP_DIR to a writable directory"
            )
        if runs_repository_code(job.assistant, job.command, job.verify_command):
            self._require_sandbox()
        if not self._github_token and "github" in repository_kinds():
            raise InputError(
                "GITHUB_TOKEN is not set: the job's owner/name repositories need it to clone "
                "and push; set it to a token that may push to them"
            )
        needs_key = job.assistant == "claude" and self._claude_provider == "anthropic"
        if needs_key and not self._claude_key:
            raise InputError(
                "CLAUDE_API_KEY is not set: set it, or use CLAUDE_PROVIDER=bedrock with AWS "
                "credentials"
            )


def writable_directory_problem(path: Path) -> str | None:
    """Why `path` cannot hold new directories, or None. A missing one must be creatable."""
    existing = path
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return "is not a directory" if existing == path else f"is under {existing}, a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        return "is not writable" if existing == path else f"cannot be made in {existing}"
    return None
