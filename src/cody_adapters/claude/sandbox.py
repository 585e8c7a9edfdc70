"""Claude's file tools: the SDK's agent toolset, held inside one working tree by our rules."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

from anthropic.lib.tools import BetaAsyncFunctionTool, ToolError, beta_async_tool
from anthropic.lib.tools.agent_toolset import (
    AgentToolContext,
    beta_edit_tool,
    beta_grep_tool,
    beta_read_tool,
    beta_write_tool,
    resolve_path,
)
from anthropic.types.beta import BetaManagedAgentsAgentToolset20260401GlobInput

from cody_adapters.claude.guarded import GuardedTool

MAX_FILE_BYTES = 256 * 1024
MAX_LISTED = 200
MAX_SEARCH_LINES = 200
MAX_SEARCH_BYTES = 32 * 1024
_WALK_LIMIT = 50_000
_SNIFF_BYTES = 8192
# The SDK's read returns these as image or document blocks; a code change has no use for them,
# so they count as binary whatever they hold.
_MEDIA_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf"})
_GIT_REFUSAL = "{op}: {path}: .git is off limits; git metadata is handled outside this session"


class Sandbox:
    """read, write, edit, glob and grep over one working tree, bash left out.

    The SDK's tools already resolve every path, symlinks included, before refusing what lands
    outside the tree; they cap what read and edit load and refuse FIFOs and devices. The rules
    they lack are ours: `.git` is out of bounds everywhere, binary files are refused, listings
    are relative to the tree and cut with a note, and every result has secrets redacted.
    """

    def __init__(
        self,
        root: Path,
        secrets: Sequence[str] = (),
        *,
        max_file_bytes: int = MAX_FILE_BYTES,
        max_listed: int = MAX_LISTED,
        max_search_lines: int = MAX_SEARCH_LINES,
        max_search_bytes: int = MAX_SEARCH_BYTES,
    ) -> None:
        self.root = root.resolve()
        self._secrets = tuple(secrets)
        self._max_file_bytes = max_file_bytes
        self._max_listed = max_listed
        self._max_search_lines = max_search_lines
        self._max_search_bytes = max_search_bytes
        self._context = AgentToolContext(workdir=self.root, max_file_bytes=max_file_bytes)

    def tools(self) -> list[GuardedTool]:
        context, secrets = self._context, self._secrets
        return [
            GuardedTool(beta_read_tool(context), secrets, self._check_text),
            GuardedTool(beta_write_tool(context), secrets, self._check_write),
            GuardedTool(beta_edit_tool(context), secrets, self._check_text),
            GuardedTool(self._glob_tool(), secrets, self._check_path),
            GuardedTool(beta_grep_tool(context), secrets, self._check_path, self._clean_search),
        ]

    def resolve(self, op: str, path: str) -> Path:
        """The real path `path` names inside the tree; a ToolError when it is outside or in .git."""
        try:
            target = resolve_path(self._context, path)
        except ValueError as exc:
            raise ToolError(f"{op}: {exc}") from None
        if _in_git(target.relative_to(self.root)):
            raise ToolError(_GIT_REFUSAL.format(op=op, path=path))
        return target

    def _check_path(self, op: str, input: dict[str, Any]) -> None:
        path = input.get("file_path", input.get("path"))
        if isinstance(path, str) and path:
            self.resolve(op, path)

    def _check_text(self, op: str, input: dict[str, Any]) -> None:
        path = input.get("file_path")
        if not isinstance(path, str):
            return
        target = self.resolve(op, path)
        binary = target.suffix.lower() in _MEDIA_SUFFIXES or (
            target.is_file() and _looks_binary(target)
        )
        if binary:
            raise ToolError(f"{op}: {path} is a binary file; only text files can be read or edited")

    def _check_write(self, op: str, input: dict[str, Any]) -> None:
        self._check_path(op, input)
        content = input.get("content")
        size = len(content.encode("utf-8", "replace")) if isinstance(content, str) else 0
        if size > self._max_file_bytes:
            raise ToolError(
                f"{op}: the content is {size} bytes, over the {self._max_file_bytes}-byte limit "
                "for one file; write a smaller file"
            )

    def _glob_tool(self) -> BetaAsyncFunctionTool[Any]:
        # By hand: the SDK's glob lists .git, gives absolute host paths and cuts at 200
        # without saying so. Its pattern rules and its containment check are kept.
        @beta_async_tool(name="glob", input_schema=BetaManagedAgentsAgentToolset20260401GlobInput)
        async def glob(pattern: str, path: str | None = None) -> str:
            """List the files and directories matching a glob pattern, relative to the root."""
            return self._glob(pattern, path)

        return glob

    def _glob(self, pattern: str, path: str | None) -> str:
        pure = PurePosixPath(pattern)
        if not pattern or pure.is_absolute() or ".." in pure.parts:
            raise ToolError("glob: give a relative pattern without '..', such as 'src/**/*.py'")
        base = self.resolve("glob", path) if path else self.root
        found: list[str] = []
        scanned = 0
        try:
            for match in base.glob(pattern):
                scanned += 1
                if scanned > _WALK_LIMIT:
                    break
                listed = self._listed(match)
                if listed is not None:
                    found.append(listed)
        except (ValueError, OSError) as exc:
            raise ToolError(f"glob: {pattern}: {exc}") from None
        if not found:
            return "no matches"
        found.sort()
        shown = found[: self._max_listed]
        if len(shown) < len(found) or scanned > _WALK_LIMIT:
            more = "+" if scanned > _WALK_LIMIT else ""
            shown.append(
                f"[cut: {len(shown)} of {len(found)}{more} matches shown; "
                "narrow the pattern or give a path]"
            )
        return "\n".join(shown)

    def _listed(self, match: Path) -> str | None:
        """How a glob match is shown, or None when it is in .git or leads outside the tree."""
        relative = match.relative_to(self.root)
        if _in_git(relative):
            return None
        try:
            real = resolve_path(self._context, str(match))
        except ValueError:
            return None
        if _in_git(real.relative_to(self.root)):
            return None
        return f"{relative.as_posix()}/" if real.is_dir() else relative.as_posix()

    def _clean_search(self, output: str) -> str:
        """Grep output with paths relative to the tree, .git lines dropped, and a cut noted."""
        prefix = f"{self.root}{os.sep}"
        kept: list[str] = []
        for line in output.splitlines():
            if line.startswith(prefix):
                line = line[len(prefix) :]
                if _in_git(PurePath(line.split(":", 1)[0])):
                    continue
            kept.append(line)
        if not kept or kept == ["no matches"]:
            return "no matches"
        shown: list[str] = []
        size = 0
        for line in kept[: self._max_search_lines]:
            size += len(line) + 1
            if size > self._max_search_bytes:
                break
            shown.append(line)
        if len(shown) < len(kept):
            shown.append(
                f"[cut: {len(shown)} of {len(kept)} lines shown; narrow the pattern or give a path]"
            )
        return "\n".join(shown)


def _in_git(relative: PurePath) -> bool:
    return any(part.casefold() == ".git" for part in relative.parts)


def _looks_binary(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError:
        return False  # the SDK's read reports it
    if b"\0" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut by the sniff at the end is still text.
        return not (exc.reason == "unexpected end of data" and exc.start >= len(head) - 3)
    return False
