"""`cody job update` and `cody job publish`: a finished job taken up again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cody_cli import help_text
from cody_cli.errors import EXIT_FAILED, cli_errors
from cody_cli.group import PlainCommand
from cody_cli.job_commands import JobId
from cody_cli.job_commands import app as job_app
from cody_cli.options import (
    AssistantKind,
    Concurrency,
    Label,
    LogFormat,
    LogFormatOption,
    MaxJobTokens,
    MaxTokens,
    Reviewer,
    at_least,
    read_text,
)
from cody_cli.root import container
from cody_cli.running import closing_line, run_job
from cody_cli.selection_options import ExistingBranch
from cody_core.errors import InputError
from cody_core.policies.wording import counted

UPDATE_EXAMPLE = """
cody job update "$JOB" --prompt-file prompt.md --verify "make test"
cody job run "$JOB" 0
"""


@job_app.command(
    cls=PlainCommand,
    epilog=help_text.epilog('cody job publish "$JOB" --repo acme/service-b', help_text.DELIVER),
)
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
    """Open pull requests for the changes a preview stored.

    A preview is a run of a job created with --no-create-prs. The assistant does not run again:
    each stored diff is applied to the default branch as it is now (a diff that no longer
    applies fails with `conflict`). A repository whose verify command failed in the preview
    gets a draft pull request, or fails with --require-verify. Exits as `cody job run` does.
    """
    plan = container.publishing().prepare(job_id, repo or (), require_verify)
    if plan.refused:
        print(
            f"{counted(plan.refused, 'repository')} failed: the preview's verify command "
            "failed, and --require-verify was given",
            file=sys.stderr,
        )
    if not (plan.published or plan.refused):
        print(
            f"nothing to publish: job {job_id} has no stored change without a pull request",
            file=sys.stderr,
        )
        return
    if plan.published:
        print(f"publishing {counted(plan.published, 'stored change')}", file=sys.stderr)
    outcome = run_job(job_id, 0, concurrency, log_format)
    print(closing_line(outcome))
    if outcome.job.failed_count:
        raise typer.Exit(EXIT_FAILED)


@job_app.command(cls=PlainCommand, epilog=help_text.epilog(UPDATE_EXAMPLE, help_text.STORE))
@cli_errors
def update(
    job_id: JobId,
    name: Annotated[str | None, typer.Option("--name", metavar="TEXT", help="A new name.")] = None,
    prompt: Annotated[
        str | None, typer.Option(metavar="TEXT", help="A new prompt: what to change, in words.")
    ] = None,
    prompt_file: Annotated[
        Path | None, typer.Option(metavar="PATH", help="Read the new prompt from this UTF-8 file.")
    ] = None,
    assistant: Annotated[
        AssistantKind | None,
        typer.Option(metavar="[command|claude]", help="Who changes the code from now on."),
    ] = None,
    command: Annotated[
        str | None, typer.Option(metavar="CMD", help="A new shell command run in each checkout.")
    ] = None,
    verify: Annotated[
        str | None,
        typer.Option("--verify", metavar="CMD", help="A new verify command ('' for none)."),
    ] = None,
    require_verify: Annotated[
        bool | None, typer.Option(help="Fail a repository whose verify command fails.")
    ] = None,
    draft: Annotated[bool | None, typer.Option(help="Open new pull requests as drafts.")] = None,
    label: Label = None,
    reviewer: Reviewer = None,
    branch: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="Branch for repositories without a pull request yet; {jobId} and {jobName} "
            "are filled in.",
        ),
    ] = None,
    on_existing_branch: Annotated[
        ExistingBranch | None,
        typer.Option(
            metavar="[skip|replace]",
            help="A branch that exists and was not pushed by this job: skip or replace.",
        ),
    ] = None,
    max_turns: Annotated[
        int | None,
        typer.Option(metavar="N", callback=at_least(1), help="Claude: turns per repository."),
    ] = None,
    max_tokens: MaxTokens = None,
    max_job_tokens: MaxJobTokens = None,
) -> None:
    """Store new options and put the job's runs back to pending.

    The next `cody job run JOB_ID 0` starts each repository from its default branch, pushes to
    the branch its pull request is on and updates that pull request in place; where the change
    is no longer needed the pull request is closed with a comment saying why. Pull requests
    merged or closed meanwhile are left as they are. Options not given stay as they were;
    --label and --reviewer replace the job's lists.
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
    if not changes:
        print("no option given: the job's own options apply again", file=sys.stderr)
    back = counted(count, "repository")
    print(f"{back} back to pending: `cody job run {job.job_id} 0` applies the update")
