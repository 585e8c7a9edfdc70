"""`cody job run` with the claude assistant over local repositories, against the loopback API."""

from __future__ import annotations

import json

import pytest

from anthropic_server import MessagesServer, cached_usage, reply, text, tool_use
from cli_support import CLAUDE_KEY, GITHUB_TOKEN, cody, forge, status
from cody_cli.job_commands import container


def session(step: int):
    """One repository's scripted session: read, edit two files, then summarise."""
    return [
        reply(tool_use("read", {"file_path": "app.py"}, id=f"r{step}"), usage=cached_usage),
        reply(
            tool_use(
                "edit",
                {"file_path": "app.py", "old_string": "old_call", "new_string": "new_call"},
                id=f"e{step}",
            ),
            tool_use(
                "write",
                {"file_path": "CHANGELOG.md", "content": "- renamed old_call\n"},
                id=f"w{step}",
            ),
            usage=cached_usage,
        ),
        reply(
            text("Renamed old_call to new_call and noted it in the changelog."), usage=cached_usage
        ),
    ]


@pytest.fixture
def claude(env, monkeypatch):
    with MessagesServer(expect_api_key=CLAUDE_KEY) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("CLAUDE_MAX_RETRIES", "1")
        container.reset_singletons()
        yield server


def create_claude_job(repos: list[str], *extra: str) -> str:
    repo_args = [arg for repo in repos for arg in ("--repo", repo)]
    return cody(
        "job",
        "create",
        "--name",
        "rename",
        "--assistant",
        "claude",
        "--prompt",
        "Rename old_call to new_call and add a changelog line.",
        *repo_args,
        *extra,
    ).stdout.strip()


def test_a_claude_job_edits_two_files_and_records_diff_summary_usage_and_conversation(
    tmp_path, claude, env
):
    repos = forge(tmp_path, 2)
    for step in range(2):
        claude.add(*session(step))
    job_id = create_claude_job(repos)

    cody("job", "run", job_id, "0")

    report = status(job_id)
    assert report["status"] == "completed"
    for run in report["repositories"]:
        assert run["changedFiles"] == ["CHANGELOG.md", "app.py"]
        assert "+x = new_call()" in run["diff"]
        assert run["summary"].startswith("Renamed old_call")
        assert run["turns"] == 3 and run["stopReason"] == "end_turn"
        usage = run["tokenUsage"]
        assert usage["cacheCreation"] > 0 and usage["cacheRead"] > 0 and usage["output"] > 0
        assert run["estimatedCostUsd"] > 0
        assert run["pullRequestUrl"]
    conversation = json.loads(cody("job", "conversation", job_id, repos[0], "--json").stdout)
    assert [e["role"] for e in conversation][:2] == ["system", "user"]
    assert sum(1 for e in conversation if e["role"] == "assistant") == 3
    readable = cody("job", "conversation", job_id, repos[0]).stdout
    assert "[edit]" in readable and "[result]" in readable
    sent = b"".join(request.raw for request in claude.requests)
    assert CLAUDE_KEY.encode() not in sent and GITHUB_TOKEN.encode() not in sent
    assert len(claude.requests) == 6


def test_a_spent_job_budget_skips_the_remaining_repositories(tmp_path, claude):
    repos = forge(tmp_path, 3)
    claude.add(*session(0))
    job_id = create_claude_job(repos, "--max-job-tokens", "10")

    cody("job", "run", job_id, "0")

    runs = sorted(status(job_id)["repositories"], key=lambda r: r["repositoryName"])
    assert runs[0]["status"] == "completed" and runs[0]["stopReason"] == "max_tokens_job"
    assert [r["status"] for r in runs[1:]] == ["skipped", "skipped"]
    assert all(r["error"]["kind"] == "token-budget" for r in runs[1:])
    assert len(claude.requests) == 1  # the budget ended the first session; no other started


def test_a_missing_key_is_a_one_line_error_at_create_and_at_run(tmp_path, claude, monkeypatch):
    repos = forge(tmp_path, 1)
    job_id = create_claude_job(repos)
    monkeypatch.delenv("CLAUDE_API_KEY")
    container.reset_singletons()

    refused = cody("job", "create", "--name", "n", "--assistant", "claude", "--prompt", "p",
                   "--repo", repos[0], ok=False)  # fmt: skip
    assert refused.exit_code == 2 and "CLAUDE_API_KEY is not set" in refused.output
    assert len(json.loads(cody("job", "list", "--json").stdout)) == 1
    result = cody("job", "run", job_id, ok=False)

    lines = result.output.strip().splitlines()
    assert result.exit_code == 2
    assert len(lines) == 1 and "CLAUDE_API_KEY is not set" in lines[0], result.output
    assert status(job_id)["repositories"][0]["status"] == "pending"  # nothing was changed
    assert claude.requests == []
