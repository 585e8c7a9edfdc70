"""A command runner that answers from a script and records the commands."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from cody_core.ports import CommandResult


class FakeCommandRunner:
    """Every command gets `result`; `commands`, `environments` and `networks` record the calls."""

    def __init__(self, result: CommandResult | None = None, sandbox: str = "bwrap"):
        self.result = result or CommandResult(0, "ok")
        self.sandbox = sandbox
        self.commands: list[tuple[str, Path]] = []
        self.environments: list[dict[str, str]] = []  # what each command was given
        self.networks: list[bool] = []

    def run(
        self,
        command: str,
        cwd: Path,
        timeout: float,
        should_stop: Callable[[], bool] = lambda: False,
        *,
        env: Mapping[str, str] | None = None,
        network: bool = False,
    ) -> CommandResult:
        self.commands.append((command, cwd))
        self.environments.append(dict(env or {}))
        self.networks.append(network)
        return self.result
