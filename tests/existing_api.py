"""The existing Express API's reads and writes of the two tables, for the tests.

`post_job` and `cancel_job` write what its POST /jobs and POST /jobs/:id/cancel write; the
`get_*` functions read what its GET routes read, with the types its code and the dashboard
rely on, and fail (AssertionError) where the API would answer 500 or the dashboard break.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

from store_documents import Document, Documents

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")  # JavaScript's toISOString()
JOB_STATUSES = {"pending", "in-progress", "completed", "failed", "cancelled"}
RUN_STATUSES = JOB_STATUSES | {"skipped"}
USAGE = ("input", "output", "cacheCreation", "cacheRead", "total")


def iso(moment: datetime | None = None) -> str:
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def post_job(
    documents: Documents,
    repositories: list[str],
    *,
    name: str = "API job",
    prompt: str = "Rename old_call to new_call everywhere.",
    description: str | None = None,
    job_type: str = "code-change",
    create_pull_requests: bool = False,
    now: datetime | None = None,
) -> str:
    """POST /jobs: the job, then one row per repository, as typed; returns the job id."""
    assert 10 <= len(prompt) <= 5000 and 1 <= len(repositories) <= 5  # its zod schema
    moment = now or datetime.now(UTC)
    job_id = f"job-{int(moment.timestamp() * 1000)}-{random.randrange(1000)}"
    job: Document = {"jobId": job_id, "name": name}
    if description is not None:
        job["description"] = description
    job |= {
        "type": job_type,
        "prompt": prompt,
        "repositories": list(repositories),
        "createPullRequests": create_pull_requests,
        "status": "pending",
        "createdAt": iso(moment),
        "updatedAt": iso(moment),
    }
    documents.put_job(job)
    for repository in repositories:
        documents.put_run(
            {
                "jobId": job_id,
                "repositoryName": repository,
                "status": "pending",
                "createdAt": iso(moment),
                "updatedAt": iso(moment),
            }
        )
    return job_id


def cancel_job(documents: Documents, job_id: str, now: datetime | None = None) -> bool:
    """POST /jobs/:id/cancel: False (its 400) for a finished job; touches no repository row."""
    job = documents.job(job_id)
    assert job is not None, f"404: no job {job_id}"
    if job["status"] in ("completed", "failed", "cancelled"):
        return False
    moment = iso(now)
    documents.update_job(
        job_id, {"status": "cancelled", "cancelledAt": moment, "updatedAt": moment}
    )
    return True


def get_jobs(documents: Documents, status: str | None = None) -> list[Document]:
    """GET /jobs[?status=S]: a Scan sorted by createdAt, or a Query of the status index."""
    jobs = documents.jobs_in(status) if status else documents.jobs()
    if not status:
        jobs.sort(key=lambda job: _date(job["createdAt"]), reverse=True)
    listed = []
    for job in jobs:
        assert isinstance(job.get("repositories"), list), f"500: {job['jobId']} has no list"
        listed.append(
            {
                "jobId": _text(job, "jobId"),
                "name": _text(job, "name"),
                "type": _text(job, "type"),
                "status": _status(job, JOB_STATUSES),
                "createdAt": _time(job, "createdAt"),
                "repositoryCount": len(job["repositories"]),
            }
        )
    return listed


def get_job(documents: Documents, job_id: str) -> Document:
    """GET /jobs/:jobId: the job and, from a Query of the repositories table, each row."""
    job = documents.job(job_id)
    assert job is not None, f"404: no job {job_id}"
    _updated(job)
    assert isinstance(job.get("description", ""), str)
    assert isinstance(job["createPullRequests"], bool)
    return {
        "jobId": _text(job, "jobId"),
        "name": _text(job, "name"),
        "description": job.get("description"),
        "type": _text(job, "type"),
        "prompt": _text(job, "prompt"),
        "repositories": [_row(run) for run in documents.runs(job_id)],
        "createPullRequests": job["createPullRequests"],
        "status": _status(job, JOB_STATUSES),
        "createdAt": _time(job, "createdAt"),
        "startedAt": _time(job, "startedAt", required=False),
        "completedAt": _time(job, "completedAt", required=False),
    }


def get_repository(documents: Documents, job_id: str, repository_name: str) -> Document:
    """GET /jobs/:jobId/repositories/:repoName, and what the repository page reads of it."""
    run = documents.run(job_id, repository_name)
    assert run is not None, f"404: no repository {repository_name}"
    _updated(run)
    _time(run, "createdAt")
    changes = run.get("changes", [])
    assert isinstance(changes, list)
    logs = run.get("logs", [])
    assert isinstance(logs, list)
    for entry in logs:
        assert ISO.fullmatch(entry["timestamp"]) and isinstance(entry["message"], str)
        assert entry["level"] in ("debug", "info", "warning", "error")
    usage = run.get("tokenUsage")
    if usage is not None:
        _usage(usage)
    return {
        **_row(run),
        "startedAt": _time(run, "startedAt", required=False),
        "changes": changes,
        "claudeConversation": run.get("claudeConversation", {"threadId": None, "messages": []}),
        "logs": logs,
    }


def get_diff(documents: Documents, job_id: str, repository_name: str) -> str | None:
    """GET …/diff: the `diff` attribute, or None for its 404."""
    run = documents.run(job_id, repository_name) or {}
    diff = run.get("diff")
    assert diff is None or isinstance(diff, str)
    return diff or None


def get_claude_thread(
    documents: Documents,
    job_id: str,
    repository_name: str,
    view: str = "standard",
    include_tool: bool = True,
) -> Document | None:
    """GET …/claude-thread: None for its 404, else the messages the view keeps."""
    conversation = (documents.run(job_id, repository_name) or {}).get("claudeConversation")
    if conversation is None:
        return None
    assert isinstance(conversation["threadId"], str)
    messages = conversation["messages"]
    assert isinstance(messages, list)
    for message in messages:
        assert message["role"] in ("human", "assistant")
        assert isinstance(message["content"], str | list)
        assert isinstance(message["timestamp"], int | float)  # `new Date(timestamp)`
        assert message["type"] in ("prompt", "response", "tool_call", "tool_result")
    if not include_tool:
        messages = [m for m in messages if m["type"] not in ("tool_call", "tool_result")]
    if view == "simplified":
        messages = [m for m in messages if m["type"] in ("prompt", "response")]
    usage = conversation.get("tokenUsage", dict.fromkeys(USAGE, 0))
    _usage(usage)
    return {"threadId": conversation["threadId"], "messages": messages, "tokenUsage": usage}


def _row(run: Document) -> Document:
    pull_request = run.get("pullRequestUrl")
    necessary = run.get("wereChangesNecessary")
    assert pull_request is None or isinstance(pull_request, str)
    assert necessary is None or isinstance(necessary, bool)
    return {
        "name": _text(run, "repositoryName"),
        "status": _status(run, RUN_STATUSES),
        "pullRequestUrl": pull_request,
        "wereChangesNecessary": necessary,
        "completedAt": _time(run, "completedAt", required=False),
    }


def _usage(usage: Any) -> None:
    assert isinstance(usage, dict) and all(isinstance(usage[k], int) for k in USAGE), usage
    assert usage["total"] == usage["input"] + usage["output"]


def _updated(document: Document) -> None:
    _time(document, "updatedAt")


def _text(document: Document, name: str) -> str:
    value = document.get(name)
    assert isinstance(value, str), f"{name} is {value!r}"
    return value


def _status(document: Document, allowed: set[str]) -> str:
    value = _text(document, "status")
    assert value in allowed, value
    return value


def _time(document: Document, name: str, required: bool = True) -> str | None:
    value = document.get(name)
    if value is None and not required:
        return None
    assert isinstance(value, str) and ISO.fullmatch(value), f"{name} is {value!r}"
    return value


def _date(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
