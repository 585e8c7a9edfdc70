"""Jobs the existing Cody API creates run under `cody`, started as its job definition starts it.

The API's POST /jobs writes a job without `assistant`, `repositoryCount`, or a `version` on its
rows, then submits an AWS Batch job with parameters {jobId, maxRepositories: "5"} whose
container gets no arguments. These tests write exactly that (tests/existing_api.py), answer
DescribeJobs with moto's Batch and Claude with the loopback Messages API, and read the result
back the way the API's GET routes do.
"""

from __future__ import annotations

import json

import pytest

from anthropic_server import MessagesServer, cached_usage, reply, text, tool_use
from aws_batch_support import DEFINITION, QUEUE, REGION, moto_batch
from cli_support import cody, forge, status
from existing_api import cancel_job, get_claude_thread, get_job, get_jobs, get_repository, post_job
from store_documents import Documents


def renaming_session(server: MessagesServer, count: int) -> None:
    """`count` scripted sessions, one per repository: read app.py, edit it, summarise."""
    for step in range(count):
        server.add(
            reply(tool_use("read", {"file_path": "app.py"}, id=f"r{step}"), usage=cached_usage),
            reply(
                tool_use(
                    "edit",
                    {"file_path": "app.py", "old_string": "old_call", "new_string": "new_call"},
                    id=f"e{step}",
                ),
                usage=cached_usage,
            ),
            reply(text("Renamed old_call to new_call."), usage=cached_usage),
        )


@pytest.fixture
def batch(monkeypatch):
    """moto's AWS Batch, in the region the container runs in; DynamoDB stays on dynalite."""
    with moto_batch(monkeypatch) as client:
        monkeypatch.setenv("AWS_REGION", REGION)
        monkeypatch.setenv("DYNAMODB_REGION", "us-east-1")
        yield client


def submit_as_the_api_does(batch, job_id: str, max_repositories: str = "5") -> str:
    submitted = batch.submit_job(
        jobName=f"cody-batch-{job_id}",
        jobQueue=QUEUE,
        jobDefinition=DEFINITION,
        parameters={"jobId": job_id, "maxRepositories": max_repositories},
    )
    return submitted["jobId"]


def test_a_job_the_api_created_runs_with_claude_when_the_container_gets_no_arguments(
    tmp_path, dynamo_documents: Documents, claude_api: MessagesServer, batch, monkeypatch
):
    documents = dynamo_documents
    repos = forge(tmp_path, 3)
    job_id = post_job(documents, repos, prompt="Rename old_call to new_call everywhere.")
    monkeypatch.setenv("AWS_BATCH_JOB_ID", submit_as_the_api_does(batch, job_id))
    renaming_session(claude_api, 3)

    result = cody("job", "run")

    assert result.exit_code == 0, result.output
    report = status(job_id)
    assert report["status"] == "completed" and report["completedCount"] == 3
    assert report["repositoryCount"] == 3
    assert len(claude_api.turns) == 9
    assert all("Rename old_call" in json.dumps(r.prompt["system"]) for r in claude_api.turns)
    assert [job["repositoryCount"] for job in get_jobs(documents)] == [3]
    detail = get_job(documents, job_id)
    assert detail["status"] == "completed" and detail["completedAt"]
    for repo in repos:
        repository = get_repository(documents, job_id, repo)
        assert repository["status"] == "completed" and repository["wereChangesNecessary"]
        thread = get_claude_thread(documents, job_id, repo)
        assert thread is not None and [m["type"] for m in thread["messages"]][:2] == [
            "prompt",
            "tool_call",
        ]
        assert thread["tokenUsage"]["total"] > 0


def test_the_jobid_and_maxrepositories_variables_name_the_job_without_aws_batch(
    tmp_path, documents: Documents, claude_api: MessagesServer, monkeypatch
):
    repos = forge(tmp_path, 3)
    job_id = post_job(documents, repos)
    monkeypatch.setenv("jobId", job_id)
    monkeypatch.setenv("maxRepositories", "1")
    renaming_session(claude_api, 1)

    result = cody("job", "run")

    assert result.exit_code == 0, result.output
    runs = sorted(status(job_id)["repositories"], key=lambda r: r["repositoryName"])
    assert [r["status"] for r in runs] == ["completed", "skipped", "skipped"]
    report = status(job_id)
    assert report["status"] == "completed"
    assert (report["completedCount"], report["skippedCount"]) == (1, 2)
    assert len(claude_api.turns) == 3


def test_a_job_the_api_cancelled_before_it_ran_ends_with_every_row_cancelled(
    tmp_path, dynamo_documents: Documents, claude_api: MessagesServer, batch, monkeypatch
):
    documents = dynamo_documents
    job_id = post_job(documents, forge(tmp_path, 2))
    assert cancel_job(documents, job_id)
    monkeypatch.setenv("AWS_BATCH_JOB_ID", submit_as_the_api_does(batch, job_id))

    result = cody("job", "run")

    assert result.exit_code == 0, result.output
    assert {r["status"] for r in status(job_id)["repositories"]} == {"cancelled"}
    detail = get_job(documents, job_id)
    assert detail["status"] == "cancelled"
    assert {r["status"] for r in detail["repositories"]} == {"cancelled"}
    assert documents.job(job_id)["cancelledAt"]
    assert claude_api.requests == []


def test_a_limit_below_the_repository_count_from_aws_batch_finishes_the_job(
    tmp_path, dynamo_documents: Documents, claude_api: MessagesServer, batch, monkeypatch
):
    documents = dynamo_documents
    repos = forge(tmp_path, 3)
    job_id = post_job(documents, repos)
    monkeypatch.setenv("AWS_BATCH_JOB_ID", submit_as_the_api_does(batch, job_id, "1"))
    renaming_session(claude_api, 1)

    result = cody("job", "run")

    assert result.exit_code == 0, result.output
    report = status(job_id)
    assert report["status"] == "completed"
    assert sorted(r["status"] for r in report["repositories"]) == [
        "completed",
        "skipped",
        "skipped",
    ]
    assert get_job(documents, job_id)["status"] == "completed"


def test_cancel_retry_and_run_work_on_a_job_the_api_created(
    tmp_path, documents: Documents, claude_api: MessagesServer
):
    repos = forge(tmp_path, 2)
    job_id = post_job(documents, repos)

    assert cody("job", "cancel", job_id).stdout.strip() == "cancelled"
    assert {r["status"] for r in get_job(documents, job_id)["repositories"]} == {"cancelled"}
    assert "2 repositories back to pending" in cody("job", "retry", job_id, "--all").stdout
    renaming_session(claude_api, 2)
    cody("job", "run", job_id, "0")

    detail = get_job(documents, job_id)
    assert detail["status"] == "completed"
    assert {r["status"] for r in detail["repositories"]} == {"completed"}
    assert [j["status"] for j in get_jobs(documents)] == ["completed"]
    for repo in repos:
        assert "+x = new_call()" in cody("job", "diff", job_id, "--repo", repo).stdout
        assert cody("job", "logs", job_id, repo).stdout


def test_without_a_job_id_from_anywhere_run_fails_with_one_line(env, monkeypatch):
    for name in ("AWS_BATCH_JOB_ID", "jobId", "maxRepositories"):
        monkeypatch.delenv(name, raising=False)

    result = cody("job", "run", ok=False)

    lines = result.output.strip().splitlines()
    assert result.exit_code == 2
    assert len(lines) == 1 and lines[0].startswith("error: no JOB_ID"), result.output
    assert "jobId" in lines[0] and "AWS_BATCH_JOB_ID" in lines[0]


def test_a_batch_job_without_a_jobid_parameter_and_no_variable_fails_with_one_line(
    env, batch, monkeypatch
):
    monkeypatch.delenv("jobId", raising=False)
    submitted = batch.submit_job(jobName="bare", jobQueue=QUEUE, jobDefinition=DEFINITION)
    monkeypatch.setenv("AWS_BATCH_JOB_ID", submitted["jobId"])

    result = cody("job", "run", ok=False)

    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert "has no jobId parameter" in lines[0] and submitted["jobId"] in lines[0]


def test_an_unreadable_batch_job_falls_back_to_the_variables(
    tmp_path, documents: Documents, claude_api: MessagesServer, batch, monkeypatch
):
    job_id = post_job(documents, forge(tmp_path, 1))
    monkeypatch.setenv("AWS_BATCH_JOB_ID", "no-such-batch-job")
    monkeypatch.setenv("jobId", job_id)
    renaming_session(claude_api, 1)

    result = cody("job", "run")

    assert result.exit_code == 0, result.output
    assert status(job_id)["status"] == "completed"


@pytest.mark.parametrize("limit", ["-1", "five"])
def test_a_bad_maxrepositories_is_a_one_line_error_that_changes_nothing(
    tmp_path, documents: Documents, monkeypatch, limit
):
    job_id = post_job(documents, forge(tmp_path, 1))
    monkeypatch.setenv("jobId", job_id)
    monkeypatch.setenv("maxRepositories", limit)

    result = cody("job", "run", ok=False)

    assert result.exit_code == 2 and "maxRepositories" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert documents.job(job_id)["status"] == "pending"
