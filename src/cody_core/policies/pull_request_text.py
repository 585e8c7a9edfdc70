"""The title and body of a pull request, from the job's templates and the run's result."""

from __future__ import annotations

import re

from cody_core.models import Job, RepositoryRun, printable
from cody_core.ports import Diff

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAX_FILES_LISTED = 50


def render(template: str, values: dict[str, str]) -> str:
    """Fill `{name}` placeholders; unknown ones stay as written (no format-string tricks)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def template_values(job: Job, run: RepositoryRun, diff: Diff) -> dict[str, str]:
    return {
        "jobId": job.job_id,
        "name": job.name,
        "prompt": job.prompt,
        "repository": run.repository_name,
        "summary": run.summary or "",
        "filesChanged": str(len(diff.files)),
        "linesAdded": str(diff.lines_added),
        "linesRemoved": str(diff.lines_removed),
    }


def title(job: Job, run: RepositoryRun, diff: Diff) -> str:
    return render(job.pr_title_template, template_values(job, run, diff))[:256]


def body(job: Job, run: RepositoryRun, diff: Diff) -> str:
    if job.pr_body_template:
        return render(job.pr_body_template, template_values(job, run, diff))
    lines = [
        f"This change was made by Cody Batch for job `{job.job_id}` ({job.name}).",
        "",
        "## Prompt",
        "",
        _quote(job.prompt),
        "",
        "## Summary",
        "",
        run.summary or "(no summary)",
        "",
        f"## Files changed ({len(diff.files)}, +{diff.lines_added} -{diff.lines_removed})",
        "",
    ]
    for change in diff.files[:MAX_FILES_LISTED]:
        lines.append(f"- `{printable(change.path)}` (+{change.added} -{change.removed})")
    if len(diff.files) > MAX_FILES_LISTED:
        lines.append(f"- … and {len(diff.files) - MAX_FILES_LISTED} more")
    if run.verification is not None:
        lines += ["", f"## Verification: {run.verification.status}"]
        if run.verification.output_tail:
            lines += ["", "```", run.verification.output_tail[-2000:], "```"]
    usage = run.token_usage
    if usage.total:
        lines += [
            "",
            f"Tokens: {usage.input} in, {usage.output} out, "
            f"{usage.cache_read} cache read, {usage.cache_creation} cache write.",
        ]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.strip().splitlines()) or "> (empty)"
