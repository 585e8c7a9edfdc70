"""`cody job update` and `cody job publish`: a finished job taken up again."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from cody_cli.errors import cli_errors
from cody_cli.job_commands import JobId
from cody_cli.job_commands import app as job_app
from cody_cli.options import (
    AssistantKind,
    Command,
    Concurrency,
    Label,
    LogFormat,
    LogFormatOption,
    MaxJobTokens,
    MaxTokens,
    Prompt,
    PromptFile,
    Reviewer,
    read_text,
)
from cody_cli.root import container
from cody_cli.running import run_job
from cody_cli.selection_options import ExistingBranch
from cody_core.errors import InputError


@job_app.command()
@cli_errors
def publish(
    job_id: JobId,
    repo: Annotated[
        list[str] | None,
        typer.Option("--repo", metavar="REF", help="Only this repository; repeat."),
    ] = None,
    require_verify: Annotated[
        bool,
        typer.Option(
            "--require-verify", help="Fail a repository whose preview failed its verify command."
        ),
    ] = False,
    concurrency: Concurrency = 1,
    log_format: LogFormatOption = LogFormat.auto,
) -> None:
    """Push the changes a --no-create-prs run stored and open their pull requests.

    The assistant does not run again: each stored diff is applied to the default branch as it
    is now (a diff that no longer applies fails with `conflict`). A repository whose verify
    command failed in the preview gets a draft pull request, or fails with --require-verify.
    """
    plan = container.publishing().prepare(job_id, repo or (), require_verify)
    if plan.refused:
        print(f"{plan.refused} failed: their preview failed its verify command", file=sys.stderr)
    if not (plan.published or plan.refused):
        print(f"nothing to publish: job {job_id} has no stored change without a pull request")
        return
    job = run_job(job_id, 0, concurrency, log_format).job
    print(
        f"{job.job_id} {job.status}: {plan.published} stored changes taken up; "
        f"{job.completed_count} completed, {job.failed_count} failed, "
        f"{job.skipped_count} skipped or cancelled"
    )


@job_app.command()
@cli_errors
def update(
    job_id: JobId,
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    prompt: Prompt = None,
    prompt_file: PromptFile = None,
    assistant: Annotated[AssistantKind | None, typer.Option(help="Who changes the code.")] = None,
    command: Command = None,
    verify: Annotated[
        str | None, typer.Option("--verify", help="Command that checks the change ('' for none).")
    ] = None,
    require_verify: Annotated[
        bool | None, typer.Option(help="Fail a repository whose verify command fails.")
    ] = None,
    draft: Annotated[bool | None, typer.Option(help="Open new pull requests as drafts.")] = None,
    label: Label = None,
    reviewer: Reviewer = None,
    branch: Annotated[
        str | None,
        typer.Option(help="Branch for repositories without a pull request yet."),
    ] = None,
    on_existing_branch: Annotated[
        ExistingBranch | None, typer.Option(help="A branch this job did not push: skip, replace.")
    ] = None,
    max_turns: Annotated[
        int | None, typer.Option(min=1, help="Claude: turns per repository.")
    ] = None,
    max_tokens: MaxTokens = None,
    max_job_tokens: MaxJobTokens = None,
) -> None:
    """Store new options and put every finished run back to pending.

    The next `cody job run JOB 0` starts each repository from its default branch, pushes to the
    branch its pull request is on and updates that pull request in place; where the change is
    no longer needed the pull request is closed with a comment saying why. Pull requests merged
    or closed meanwhile are left as they are.
    """
    if prompt is not None and prompt_file is not None:
        raise InputError("give either --prompt or --prompt-file, not both")
    if prompt_file is not None:
        prompt = read_text(prompt_file, "prompt file")
    given: dict[str, Any] = {
        "name": name,
        "prompt": prompt,
        "assistant": assistant.value if assistant else None,
        "command": command,
        "require_verify_pass": require_verify,
        "draft": draft,
        "labels": None if label is None else tuple(label),
        "reviewers": None if reviewer is None else tuple(reviewer),
        "branch_template": branch,
        "on_existing_branch": on_existing_branch.value if on_existing_branch else None,
        "max_turns": max_turns,
        "max_tokens": max_tokens,
        "max_job_tokens": max_job_tokens,
    }
    changes = {field: value for field, value in given.items() if value is not None}
    if verify is not None:
        changes["verify_command"] = verify or None
    job, count = container.updates().update(job_id, changes)
    noun = "repository" if count == 1 else "repositories"
    print(f"{count} {noun} back to pending: `cody job run {job.job_id} 0` applies the update")
