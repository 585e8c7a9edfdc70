"""A command runner that answers from a script and records the commands."""

from __future__ import annotations

from pathlib import Path

from cody_core.ports import CommandResult


class FakeCommandRunner:
    def __init__(self, result: CommandResult | None = None):
        self.result = result or CommandResult(0, "ok")
        self.commands: list[tuple[str, Path]] = []

    def run(
        self, command: str, cwd: Path, timeout: float, should_stop=lambda: False
    ) -> CommandResult:
        self.commands.append((command, cwd))
        return self.result
