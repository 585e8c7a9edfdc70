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


Name = Annotated[str, typer.Option("--name", help="A short name for the job.")]
Prompt = Annotated[str | None, typer.Option(help="What to change, in words.")]
PromptFile = Annotated[Path | None, typer.Option(help="Read the prompt from this file.")]
Repo = Annotated[
    list[str] | None,
    typer.Option("--repo", help="owner/name, a GitHub URL, a local path or file:// URL; repeat."),
]
ReposFile = Annotated[
    Path | None, typer.Option(help="A file with one repository per line (# comments allowed).")
]
Assistant = Annotated[AssistantKind, typer.Option(help="Who changes the code.")]
Command = Annotated[
    str | None, typer.Option(help="Shell command run in each checkout (command assistant).")
]
Verify = Annotated[str | None, typer.Option("--verify", help="Command that checks the change.")]
RequireVerify = Annotated[
    bool, typer.Option(help="Fail a repository whose verify command fails (else: draft PR).")
]
CreatePrs = Annotated[bool, typer.Option(help="Push a branch and open a pull request.")]
Draft = Annotated[bool, typer.Option(help="Open pull requests as drafts.")]
Label = Annotated[list[str] | None, typer.Option("--label", help="Pull request label; repeat.")]
Reviewer = Annotated[
    list[str] | None, typer.Option("--reviewer", help="GitHub user asked to review; repeat.")
]
Branch = Annotated[
    str, typer.Option(help="Branch name; {jobId} and {jobName} (as a slug) are filled in.")
]
MaxRepos = Annotated[
    int | None, typer.Option(min=1, help="Process at most this many repositories.")
]
MaxTurns = Annotated[int, typer.Option(min=1, help="Claude: turns per repository.")]
MaxTokens = Annotated[
    int | None, typer.Option(min=1, help="Claude: tokens per repository (all kinds counted).")
]
MaxJobTokens = Annotated[
    int | None, typer.Option(min=1, help="Claude: tokens for the whole job; then skip the rest.")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Concurrency = Annotated[int, typer.Option(min=1, max=64, help="Repositories processed at once.")]
LogFormatOption = Annotated[LogFormat, typer.Option(help="json: one object per line on stderr.")]


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}: check the path") from exc


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
) -> tuple[list[str], dict[str, Any]]:
    """The repositories and the Job fields the options of `job create` and `run` describe.

    Its parameters are those commands' options: `with_job_options` gives them this signature.
    """
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
        "max_turns": max_turns,
        "max_tokens": max_tokens,
        "max_job_tokens": max_job_tokens,
        "on_existing_branch": on_existing_branch.value,
        # Not a job field: create_job turns it into repositories, through GitHub.
        "selection": selection(org, topic, search, exclude, include_forks, include_archived),
    }


def with_job_options(command: Callable[..., R]) -> Callable[..., R]:
    """Give a command taking `**options` the job options of `job_fields`, then its own."""
    own = inspect.signature(command, eval_str=True).parameters.values()
    shared = inspect.signature(job_fields, eval_str=True).parameters.values()
    keep = [p for p in own if p.kind is not inspect.Parameter.VAR_KEYWORD]
    command.__signature__ = inspect.Signature([*shared, *keep])  # type: ignore[attr-defined]
    return command
