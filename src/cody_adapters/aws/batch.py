"""Submits a job's workers to AWS Batch: one container, or an array job of several."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, NoCredentialsError

from cody_adapters.aws.clients import error_code, http_status, no_credentials, retrying
from cody_core.errors import CodyError, InputError, TransientError

if TYPE_CHECKING:  # the stubs are a development dependency
    from mypy_boto3_batch import BatchClient

MAX_WORKERS = 10_000  # the largest array job Batch accepts
_NAME_LENGTH = 128
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_THROTTLING = {"TooManyRequestsException", "ThrottlingException"}

# The same rules as the job definition in deploy/cloudformation.yaml: `cody job run` exits 3
# when the job is not finished and 143 when stopped by SIGTERM; both resume it. A lost host is
# retried too; 1 (the job ended with failed repositories), 2 (bad input) and the rest are final.
RETRY_STRATEGY: dict[str, Any] = {
    "attempts": 3,
    "evaluateOnExit": [
        {"onExitCode": "1", "action": "EXIT"},
        {"onExitCode": "2", "action": "EXIT"},
        {"onExitCode": "3", "action": "RETRY"},
        {"onExitCode": "143", "action": "RETRY"},
        {"onStatusReason": "Host EC2*", "action": "RETRY"},
        {"onReason": "*", "action": "EXIT"},
        {"onStatusReason": "*", "action": "EXIT"},
    ],
}


def batch_client(region: str | None) -> BatchClient:
    """A Batch client whose standard retry mode absorbs throttling and 5xx answers."""
    return boto3.client("batch", region_name=region, config=retrying())


def batch_job_name(job_id: str) -> str:
    """`cody-<job id>` in the letters, digits, hyphens and underscores Batch allows, ≤ 128."""
    return ("cody-" + _NOT_IN_NAME.sub("-", job_id).strip("-"))[:_NAME_LENGTH].rstrip("-")


class BatchSubmitter:
    """Submits `cody job run JOB_ID MAX_REPOS` to a job queue: one container per worker."""

    def __init__(self, client: BatchClient, job_queue: str, job_definition: str) -> None:
        if not job_queue or not job_definition:
            raise InputError(
                "submitting to AWS Batch needs BATCH_JOB_QUEUE and BATCH_JOB_DEFINITION"
            )
        self._client = client
        self._job_queue = job_queue
        self._job_definition = job_definition

    def submit(self, job_id: str, workers: int, max_repositories: int | None) -> str:
        """The Batch job id; `workers` > 1 becomes an array job whose children share the job."""
        if not 1 <= workers <= MAX_WORKERS:
            raise InputError(f"workers must be 1 to {MAX_WORKERS}, not {workers}")
        if max_repositories is not None and max_repositories < 0:
            raise InputError(f"max repositories must be 0 (all) or more, not {max_repositories}")
        request: dict[str, Any] = {
            "jobName": batch_job_name(job_id),
            "jobQueue": self._job_queue,
            "jobDefinition": self._job_definition,
            "parameters": {"jobId": job_id, "maxRepositories": str(max_repositories or 0)},
            "retryStrategy": RETRY_STRATEGY,
        }
        if workers > 1:
            request["arrayProperties"] = {"size": workers}
        with _calling("submitting", job_id):
            return self._client.submit_job(**request)["jobId"]


def job_parameters(client: BatchClient, batch_job_id: str) -> dict[str, str]:
    """The parameters of an AWS Batch job (DescribeJobs): what a container reads of its own job.

    A child of an array job (`<id>:<index>`) that Batch does not describe has its parent's.
    """
    candidates = [batch_job_id]
    if ":" in batch_job_id:
        candidates.append(batch_job_id.split(":", 1)[0])
    for candidate in candidates:
        with _calling("describing", batch_job_id):
            jobs = client.describe_jobs(jobs=[candidate]).get("jobs", [])
        if jobs:
            return {str(k): str(v) for k, v in (jobs[0].get("parameters") or {}).items()}
    raise InputError(f"AWS Batch has no job {batch_job_id}: check AWS_BATCH_JOB_ID and AWS_REGION")


@contextmanager
def _calling(doing: str, job_id: str) -> Iterator[None]:
    """A Batch call's failures as CodyErrors that say what was being done to which job."""
    try:
        yield
    except ClientError as error:
        raise _translate(error, job_id, doing) from error
    except NoCredentialsError as error:
        raise no_credentials("AWS Batch") from error
    except (ConnectionError, HTTPClientError) as error:
        raise TransientError(f"AWS Batch unreachable {doing} job {job_id}: {error}") from error


def _translate(error: ClientError, job_id: str, doing: str) -> CodyError:
    code, status = error_code(error), http_status(error)
    message = f"AWS Batch refused {doing} job {job_id}: {error}"
    if code in _THROTTLING or status == 429:
        return TransientError(message, kind="throttled")
    if code == "ServerException" or status >= 500:
        return TransientError(message, kind="server-error")
    if code == "ClientException":  # an unknown queue or job definition, a bad request
        return InputError(f"{message} (check BATCH_JOB_QUEUE and BATCH_JOB_DEFINITION)")
    return CodyError(message)
