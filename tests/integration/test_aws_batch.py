"""BatchSubmitter against moto's AWS Batch (without Docker: submitted jobs just succeed)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.stub import Stubber

from aws_batch_support import DEFINITION, QUEUE, REGION, moto_batch
from cody_adapters.aws.batch import RETRY_STRATEGY, BatchSubmitter, batch_job_name
from cody_core.errors import InputError, TransientError

BATCH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")  # SubmitJob's jobName rule


@dataclass
class Batch:
    client: Any
    submitter: BatchSubmitter
    sent: list[dict[str, Any]] = field(default_factory=list)  # SubmitJob bodies, as sent

    def described(self, batch_job_id: str) -> dict[str, Any]:
        return self.client.describe_jobs(jobs=[batch_job_id])["jobs"][0]

    def submitted_names(self) -> list[str]:
        summaries = self.client.list_jobs(jobQueue=QUEUE, jobStatus="SUCCEEDED")["jobSummaryList"]
        return [summary["jobName"] for summary in summaries]


@pytest.fixture
def batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Batch]:
    """A Fargate compute environment, a queue and a job definition like the template's."""
    with moto_batch(monkeypatch) as client:
        recorded = Batch(client, BatchSubmitter(client, QUEUE, DEFINITION))
        client.meta.events.register(
            "before-call.batch.SubmitJob",
            lambda params, **_: recorded.sent.append(json.loads(params["body"])),
        )
        yield recorded


def test_several_workers_become_one_array_job_with_the_job_id_and_limit(batch: Batch) -> None:
    batch_job_id = batch.submitter.submit("job-1", workers=4, max_repositories=25)

    job = batch.described(batch_job_id)
    assert job["jobName"] == "cody-job-1"
    assert job["arrayProperties"]["size"] == 4
    assert job["parameters"] == {"jobId": "job-1", "maxRepositories": "25"}
    assert job["container"]["command"] == ["Ref::jobId", "Ref::maxRepositories"]


def test_the_submission_carries_the_retry_strategy_of_the_template(batch: Batch) -> None:
    # moto does not keep a submitted job's retryStrategy, so it is read from the request sent.
    batch.submitter.submit("job-1", workers=2, max_repositories=None)

    [sent] = batch.sent
    assert sent["retryStrategy"] == RETRY_STRATEGY
    rules = sent["retryStrategy"]["evaluateOnExit"]
    by_code = {rule["onExitCode"]: rule["action"] for rule in rules if rule.get("onExitCode")}
    assert by_code == {"1": "EXIT", "2": "EXIT", "3": "RETRY", "143": "RETRY"}
    assert rules[-1]["action"] == "EXIT" and sent["retryStrategy"]["attempts"] == 3


def test_one_worker_is_a_plain_job_without_array_properties(batch: Batch) -> None:
    batch_job_id = batch.submitter.submit("job-1", workers=1, max_repositories=3)

    assert "arrayProperties" not in batch.sent[0]
    assert batch.described(batch_job_id).get("arrayProperties") is None
    assert batch.described(batch_job_id)["parameters"]["maxRepositories"] == "3"


@pytest.mark.parametrize("limit", [None, 0])
def test_no_limit_and_zero_both_mean_every_repository(batch: Batch, limit: int | None) -> None:
    batch_job_id = batch.submitter.submit("job-1", workers=1, max_repositories=limit)

    assert batch.described(batch_job_id)["parameters"]["maxRepositories"] == "0"


@pytest.mark.parametrize("workers", [0, -1, 10_001])
def test_workers_outside_one_to_ten_thousand_are_refused_and_nothing_is_submitted(
    batch: Batch, workers: int
) -> None:
    with pytest.raises(InputError, match="1 to 10000"):
        batch.submitter.submit("job-1", workers=workers, max_repositories=None)

    assert batch.sent == [] and batch.submitted_names() == []


def test_the_largest_array_batch_allows_is_accepted(batch: Batch) -> None:
    client = Stubber(batch.client)  # moto would really create 10,000 child jobs
    expected = {
        "jobName": "cody-job-1",
        "jobQueue": QUEUE,
        "jobDefinition": DEFINITION,
        "parameters": {"jobId": "job-1", "maxRepositories": "0"},
        "retryStrategy": RETRY_STRATEGY,
        "arrayProperties": {"size": 10_000},
    }
    client.add_response("submit_job", {"jobName": "cody-job-1", "jobId": "b-1"}, expected)
    with client:
        assert batch.submitter.submit("job-1", workers=10_000, max_repositories=None) == "b-1"
    client.assert_no_pending_responses()


def test_a_negative_limit_is_refused(batch: Batch) -> None:
    with pytest.raises(InputError):
        batch.submitter.submit("job-1", workers=1, max_repositories=-1)
    assert batch.sent == []


def test_any_job_id_gives_a_name_batch_accepts(batch: Batch) -> None:
    odd = "weird id/with spaces.and:" + "x" * 200
    batch.submitter.submit(odd, workers=1, max_repositories=None)

    [name] = batch.submitted_names()
    assert BATCH_NAME.fullmatch(name) and name.startswith("cody-weird-id-with-spaces-and-")
    assert batch.sent[0]["parameters"]["jobId"] == odd  # the id itself is passed unchanged
    for job_id in ("3f2c9a64-2f7e-4c1e-9d2b-0c7e5f0a1b2c", "-", "é", "a_b"):
        assert BATCH_NAME.fullmatch(batch_job_name(job_id)), job_id


def test_an_unknown_queue_is_a_one_line_input_error(batch: Batch) -> None:
    submitter = BatchSubmitter(batch.client, "no-such-queue", DEFINITION)

    with pytest.raises(InputError, match="BATCH_JOB_QUEUE"):
        submitter.submit("job-1", workers=1, max_repositories=None)


def test_throttling_that_outlasts_the_retries_is_transient(batch: Batch) -> None:
    stub = Stubber(batch.client)
    stub.add_client_error("submit_job", "TooManyRequestsException", http_status_code=429)
    with stub, pytest.raises(TransientError) as raised:
        batch.submitter.submit("job-1", workers=1, max_repositories=None)
    assert raised.value.kind == "throttled"


def test_a_queue_and_job_definition_are_required(batch: Batch) -> None:
    with pytest.raises(InputError, match="BATCH_JOB_QUEUE and BATCH_JOB_DEFINITION"):
        BatchSubmitter(batch.client, "", DEFINITION)


def test_the_client_retries_throttling_in_standard_mode(batch: Batch) -> None:
    assert batch.client.meta.config.retries["mode"] == "standard"
    assert batch.client.meta.region_name == REGION


def test_a_batch_server_error_is_transient(batch: Batch) -> None:
    stub = Stubber(batch.client)
    stub.add_client_error("submit_job", "ServerException", http_status_code=500)
    with stub, pytest.raises(TransientError) as raised:
        batch.submitter.submit("job-1", workers=1, max_repositories=None)
    assert raised.value.kind == "server-error"
