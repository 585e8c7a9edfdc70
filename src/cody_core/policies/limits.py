"""How big a job may be, and how many of its repositories one run of it processes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cody_core.errors import InputError

if TYPE_CHECKING:
    from cody_core.models import Job

MAX_PROMPT_CHARACTERS = 100_000
MAX_REPOSITORIES = 100_000
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
