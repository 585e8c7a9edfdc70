"""Branch names: the `{jobName}` slug, a template filled in, and git's rules for a ref name."""

from __future__ import annotations

import re

from cody_core.errors import InputError

_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")
# git check-ref-format: no control characters, space, ~ ^ : ? * [ or backslash anywhere.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def slug(text: str) -> str:
    """Lower case, every run of anything but a-z, 0-9, '.', '_' and '-' turned into one '-'."""
    return _NOT_SLUG.sub("-", text.lower())


def fill_branch(template: str, job_id: str, job_name: str) -> str:
    """The branch a job pushes to: `{jobId}` and `{jobName}` (slugged) replaced."""
    return template.replace("{jobName}", slug(job_name)).replace("{jobId}", job_id)


def ref_problem(branch: str) -> str | None:
    """Why `refs/heads/<branch>` is not a ref git accepts as a branch, or None when it is."""
    if not branch:
        return "it is empty"
    if branch.startswith("-"):
        return "it starts with '-'"
    if branch == "HEAD" or branch == "@":
        return f"{branch!r} is reserved"
    found = _FORBIDDEN.search(branch)
    if found:
        return f"it contains {found.group()!r}"
    if branch.startswith("/") or branch.endswith("/") or "//" in branch:
        return "it starts or ends with '/' or has '//'"
    if ".." in branch or "@{" in branch:
        return f"it contains {'..' if '..' in branch else '@{'!r}"
    if branch.endswith("."):
        return "it ends with '.'"
    for component in branch.split("/"):
        if component.startswith("."):
            return f"its part {component!r} starts with '.'"
        if component.endswith(".lock"):
            return f"its part {component!r} ends with '.lock'"
    return None


def check_branch(branch: str, template: str) -> None:
    """Refuse a branch name git would refuse, naming the rule and the option to fix."""
    problem = ref_problem(branch)
    if problem is not None:
        raise InputError(
            f"branch {branch!r} (from --branch {template!r}) is not a valid git branch name: "
            f"{problem}; give another --branch"
        )
