"""Options shared by `cody job create` and `cody run`, and how they become job fields."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from cody_cli.selection_options import (
    Exclude,
    ExistingBranch,
    IncludeArchived,
    IncludeForks,
    OnExistingBranch,
    Org,
    Search,
    Topic,
    selection,
)
from cody_core.errors import InputError

R = TypeVar("R")


class AssistantKind(StrEnum):
    claude = "claude"
    command = "command"


class LogFormat(StrEnum):
    auto = "auto"
    json = "json"
    text = "text"


def at_least(low: int, high: int | None = None) -> Callable[[int | None], int | None]:
    """A range check whose help stays plain (click's ranges print as `[x>=1]`)."""

    def check(value: int | None) -> int | None:
        if value is not None and (value < low or (high is not None and value > high)):
            wanted = f"{low} to {high}" if high is not None else f"{low} or more"
            raise typer.BadParameter(f"{value} is not {wanted}")
        return value

    return check


Name = Annotated[str, typer.Option("--name", metavar="TEXT", help="A short name for the job.")]
Prompt = Annotated[
    str | None,
    typer.Option(metavar="TEXT", help="What to change, in words. [required, or --prompt-file]"),
]
PromptFile = Annotated[
    Path | None, typer.Option(metavar="PATH", help="Read the prompt from this UTF-8 file.")
]
Repo = Annotated[
    list[str] | None,
    typer.Option(
        "--repo",
        metavar="REF",
        help="owner/name, a GitHub URL, a local path or file:// URL; repeat.",
    ),
]
ReposFile = Annotated[
    Path | None,
    typer.Option(metavar="PATH", help="One repository per line (# starts a comment)."),
]
Assistant = Annotated[
    AssistantKind, typer.Option(metavar="[command|claude]", help="Who changes the code.")
]
Command = Annotated[
    str | None,
    typer.Option(
        metavar="CMD", help="Shell command run in each checkout. [required by --assistant command]"
    ),
]
Verify = Annotated[
    str | None, typer.Option("--verify", metavar="CMD", help="Command that checks the change.")
]
RequireVerify = Annotated[
    bool, typer.Option(help="Fail a repository whose verify command fails (else: a draft PR).")
]
CreatePrs = Annotated[bool, typer.Option(help="Push a branch and open a pull request.")]
Draft = Annotated[bool, typer.Option(help="Open pull requests as drafts.")]
Label = Annotated[
    list[str] | None, typer.Option("--label", metavar="TEXT", help="Pull request label; repeat.")
]
Reviewer = Annotated[
    list[str] | None,
    typer.Option("--reviewer", metavar="USER", help="GitHub user asked to review; repeat."),
]
Branch = Annotated[
    str,
    typer.Option(metavar="TEXT", help="Branch name; {jobId} and {jobName} (a slug) are filled in."),
]
MaxRepos = Annotated[
    int | None,
    typer.Option(
        metavar="N",
        callback=at_least(0),
        help="`cody job run` processes this many repositories unless told otherwise; 0: all. "
        "[default: 5]",
    ),
]
MaxFiles = Annotated[
    int, typer.Option(metavar="N", callback=at_least(1), help="Most files a change may touch.")
]
MaxLines = Annotated[
    int,
    typer.Option(
        metavar="N",
        callback=at_least(1),
        help="Most lines a change may touch (a modified line counts once).",
    ),
]
Protect = Annotated[
    list[str] | None,
    typer.Option(
        "--protect",
        metavar="GLOB",
        help="Also refuse changes to these paths; repeat. Always: .github/workflows/**, .git/**.",
    ),
]
AllowProtected = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-protected",
        metavar="GLOB",
        help="Allow changes to these protected paths, e.g. '.github/workflows/**'; repeat.",
    ),
]
MaxTurns = Annotated[
    int, typer.Option(metavar="N", callback=at_least(1), help="Claude: turns per repository.")
]
MaxTokens = Annotated[
    int | None,
    typer.Option(
        metavar="N", callback=at_least(1), help="Claude: tokens per repository (every kind)."
    ),
]
MaxJobTokens = Annotated[
    int | None,
    typer.Option(
        metavar="N",
        callback=at_least(1),
        help="Claude: tokens for the whole job; then the rest is skipped.",
    ),
]
Network = Annotated[
    bool, typer.Option(help="Let the command and verify command reach the network (off: none).")
]
CommandTimeout = Annotated[
    int,
    typer.Option(
        metavar="SECONDS", callback=at_least(1), help="How long the command may run per checkout."
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Concurrency = Annotated[
    int,
    typer.Option(metavar="N", callback=at_least(1, 64), help="Repositories at once, 1 to 64."),
]
LogFormatOption = Annotated[
    LogFormat,
    typer.Option(
        metavar="[auto|json|text]",
        help="json: one object per line on stderr; auto: json unless a terminal.",
    ),
]


def read_text(path: Path, what: str) -> str:
    """A text file's content; one line naming the problem when it is missing or binary."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}: check the path") from exc
    try:
        if b"\0" in data:
            raise ValueError
        return data.decode("utf-8")
    except ValueError:
        raise InputError(f"{what} {path} is not UTF-8 text: give a text file") from None


def job_fields(
    name: Name,
    prompt: Prompt = None,
    prompt_file: PromptFile = None,
    repo: Repo = None,
    repos_file: ReposFile = None,
    assistant: Assistant = AssistantKind.command,
    command: Command = None,
    verify: Verify = None,
    require_verify: RequireVerify = False,
    create_prs: CreatePrs = True,
    draft: Draft = False,
    label: Label = None,
    reviewer: Reviewer = None,
    branch: Branch = "cody/{jobId}",
    max_repos: MaxRepos = None,
    max_files: MaxFiles = 200,
    max_lines: MaxLines = 20_000,
    protect: Protect = None,
    allow_protected: AllowProtected = None,
    max_turns: MaxTurns = 25,
    max_tokens: MaxTokens = None,
    max_job_tokens: MaxJobTokens = None,
    on_existing_branch: OnExistingBranch = ExistingBranch.SKIP,
    org: Org = None,
    topic: Topic = None,
    search: Search = None,
    exclude: Exclude = None,
    include_forks: IncludeForks = False,
    include_archived: IncludeArchived = False,
    network: Network = False,
    command_timeout: CommandTimeout = 600,
) -> tuple[list[str], dict[str, Any]]:
    """The repositories and the Job fields the options of `job create` and `run` describe.

    Its parameters are those commands' options: `with_job_options` gives them this signature.
    """
    from cody_core.models import DEFAULT_PROTECTED_PATHS

    if prompt is not None and prompt_file is not None:
        raise InputError("give either --prompt or --prompt-file, not both")
    if prompt_file is not None:
        prompt = read_text(prompt_file, "prompt file")
    repositories = list(repo or [])
    if repos_file is not None:
        for line in read_text(repos_file, "repositories file").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                repositories.append(line)
    protected = tuple(dict.fromkeys((*DEFAULT_PROTECTED_PATHS, *(protect or ()))))
    return repositories, {
        "name": name,
        "prompt": prompt or "",
        "assistant": assistant.value,
        "command": command,
        "verify_command": verify,
        "require_verify_pass": require_verify,
        "create_pull_requests": create_prs,
        "draft": draft,
        "labels": tuple(label or ()),
        "reviewers": tuple(reviewer or ()),
        "branch_template": branch,
        "max_repositories": max_repos,
        "max_files_changed": max_files,
        "max_lines_changed": max_lines,
        "protected_paths": protected,
        "allowed_protected_paths": tuple(allow_protected or ()),
        "max_turns": max_turns,
        "max_tokens": max_tokens,
        "max_job_tokens": max_job_tokens,
        "on_existing_branch": on_existing_branch.value,
        # Not a job field: create_job turns it into repositories, through GitHub.
        "selection": selection(org, topic, search, exclude, include_forks, include_archived),
        "network": network,
        "command_timeout": command_timeout,
    }


def with_job_options(command: Callable[..., R]) -> Callable[..., R]:
    """Give a command taking `**options` the job options of `job_fields`, then its own."""
    own = inspect.signature(command, eval_str=True).parameters.values()
    shared = inspect.signature(job_fields, eval_str=True).parameters.values()
    keep = [p for p in own if p.kind is not inspect.Parameter.VAR_KEYWORD]
    command.__signature__ = inspect.Signature([*shared, *keep])  # type: ignore[attr-defined]
    return command
