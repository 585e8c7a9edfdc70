"""Which job `cody job run` runs when started without arguments, as the existing job definition
starts its container: the jobId and maxRepositories parameters of its own AWS Batch job, else
the environment variables of those names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cody_core.errors import CodyError, InputError


def job_of_this_container(
    batch_client: Callable[[], Any], environ: Mapping[str, str]
) -> tuple[str, int | None]:
    """The job id and the repository limit (None when neither source gives one)."""
    parameters: dict[str, str] = {}
    failure = ""
    batch_job_id = environ.get("AWS_BATCH_JOB_ID", "").strip()
    if batch_job_id:
        from cody_adapters.aws.batch import job_parameters

        try:
            parameters = job_parameters(batch_client(), batch_job_id)
        except CodyError as exc:  # the environment may still say: the batch processor's fallback
            failure = f" (reading AWS Batch job {batch_job_id} failed: {exc})"
    job_id = parameters.get("jobId") or environ.get("jobId", "").strip()
    if not job_id:
        where = (
            f"AWS Batch job {batch_job_id} has no jobId parameter"
            if batch_job_id
            else ("AWS_BATCH_JOB_ID is not set")
        )
        raise InputError(
            f"no JOB_ID: give one (cody job run JOB_ID), or set jobId; {where}{failure}"
        )
    limit = parameters.get("maxRepositories") or environ.get("maxRepositories", "").strip()
    return job_id, None if not limit else _limit(limit)


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise InputError(f"maxRepositories {text!r} is not a whole number of 0 (all) or more")
    return value
