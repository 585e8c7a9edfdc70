"""How big a job may be, and how many of its repositories one run of it processes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cody_core.errors import InputError

if TYPE_CHECKING:
    from cody_core.models import Job

MAX_PROMPT_CHARACTERS = 100_000
MAX_REPOSITORIES = 100_000
# A job is one record in either store, and one DynamoDB item holds at most 400 KB: what the
# job's own text may take, leaving room for the attributes written later (counts, times, ids).
MAX_JOB_BYTES = 380_000
# What `cody job run JOB` processes when neither the command nor the job sets a limit: the
# seed's default, which the existing API also sends.
DEFAULT_MAX_REPOSITORIES = 5


def repository_limit(requested: int | None, job: Job) -> int | None:
    """How many repositories a run processes, None for all (0 means all wherever it is given).

    The limit asked for on the command line wins, then the one set when the job was created,
    then DEFAULT_MAX_REPOSITORIES.
    """
    for limit in (requested, job.max_repositories):
        if limit is not None:
            if limit < 0:
                raise InputError(f"MAX_REPOS must be 0 (all) or more, not {limit}")
            return limit or None
    return DEFAULT_MAX_REPOSITORIES


def check_prompt(prompt: str) -> None:
    if len(prompt) > MAX_PROMPT_CHARACTERS:
        raise InputError(
            f"the prompt has {len(prompt):,} characters, more than the limit of "
            f"{MAX_PROMPT_CHARACTERS:,}: shorten it"
        )


def check_repository_count(count: int) -> None:
    if count > MAX_REPOSITORIES:
        raise InputError(
            f"a job takes at most {MAX_REPOSITORIES:,} repositories: split the list into "
            "several jobs"
        )


def check_job_size(job: Job) -> None:
    """The job's record must fit in one store item, whatever the store."""
    size = len(json.dumps(job.to_document(), ensure_ascii=False).encode("utf-8", "replace"))
    if size > MAX_JOB_BYTES:
        raise InputError(
            f"the job's text takes {size // 1000:,} KB, more than the {MAX_JOB_BYTES // 1000} KB "
            "a stored job may hold: shorten the prompt, --command or --verify"
        )
