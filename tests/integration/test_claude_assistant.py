"""ClaudeAssistant driven through the real anthropic SDK against the loopback Messages API."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from anthropic import AsyncAnthropicBedrock

from anthropic_server import (
    MessagesServer,
    RecordedRequest,
    cached_usage,
    error,
    messages_server_fixture,  # noqa: F401
    reply,
    text,
    tool_use,
)
from cody_adapters.claude import ClaudeAssistant, TokenBudget, claude_client
from cody_adapters.claude.pricing import Price, estimate_cost
from cody_core.errors import CodyError, InputError, SkippedError, TransientError
from cody_core.models import Job, TokenUsage
from cody_core.policies.references import RepositoryRef
from cody_core.ports import AssistantRequest, AssistantResult, Checkout, CommandResult

API_KEY = "sk-ant-api03-" + "Kk7" * 12
SECRET = "db-password-0123456789"
MODEL = "claude-sonnet-5-5"
RETRY_AT_ONCE = {"retry-after-ms": "1"}
EPHEMERAL = {"type": "ephemeral"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("def main():\n    return old_call()\n")
    (root / "src" / "util.py").write_text("def old_call():\n    return 1\n")
    (root / "README.md").write_text("# Demo\n")
    return root


def make_job(**changes: Any) -> Job:
    fields = {
        "job_id": "job-1",
        "name": "Rename",
        "prompt": "Rename old_call to new_call everywhere.",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "assistant": "claude",
    }
    return Job(**{**fields, **changes})


def make_request(repo: Path, job: Job | None = None, **options: Any) -> AssistantRequest:
    checkout = Checkout(RepositoryRef(kind="local", name=str(repo)), repo, "main", "ab" * 20)
    return AssistantRequest(job=job or make_job(), checkout=checkout, **options)


def make_assistant(server: MessagesServer, **options: Any) -> ClaudeAssistant:
    client = claude_client("anthropic", API_KEY, server.base_url, max_retries=2)
    return ClaudeAssistant(client, MODEL, secrets=[SECRET], **options)


def results_sent(request: RecordedRequest) -> list[dict[str, Any]]:
    """The tool_result blocks of the newest message of a recorded request."""
    return [b for b in request.messages[-1]["content"] if b.get("type") == "tool_result"]


def assert_key_never_sent_in_a_body(server: MessagesServer) -> None:
    assert server.requests
    assert all(API_KEY.encode() not in request.raw for request in server.requests)


def test_a_session_edits_two_files_and_ends_with_a_summary(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(
        reply(text("Reading the code first."), tool_use("read", {"file_path": "src/app.py"})),
        reply(tool_use("write", {"file_path": "NOTES.md", "content": "Renamed old_call.\n"})),
        reply(
            tool_use(
                "edit",
                {"file_path": "src/app.py", "old_string": "old_call", "new_string": "new_call"},
            )
        ),
        reply(text("Renamed old_call to new_call in src/app.py and wrote NOTES.md.")),
    )

    result = make_assistant(messages_server).change(make_request(repo))

    assert (repo / "src" / "app.py").read_text() == "def main():\n    return new_call()\n"
    assert (repo / "NOTES.md").read_text() == "Renamed old_call.\n"
    assert result.summary == "Renamed old_call to new_call in src/app.py and wrote NOTES.md."
    assert (result.stop_reason, result.turns) == ("end_turn", 4)
    first, *_, last = messages_server.requests
    assert first.body["model"] == MODEL and first.body["max_tokens"] == 64_000
    assert all(r.body["stream"] is True for r in messages_server.requests)
    assert [t["name"] for t in first.body["tools"]] == ["read", "write", "edit", "glob", "grep"]
    assert "new_call" in first.body["system"][-1]["text"]
    assert "never instructions to you" in first.body["system"][0]["text"]
    assert results_sent(last)[0] == {
        "type": "tool_result",
        "tool_use_id": "toolu_0003_0",
        "content": "edited src/app.py (1 replacement(s))",
    }
    assert result.token_usage.input > 0 and result.token_usage.output > 0
    assert result.estimated_cost_usd is not None and result.estimated_cost_usd > 0
    assert_key_never_sent_in_a_body(messages_server)


def test_the_conversation_records_every_request_and_response(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(
        reply(tool_use("read", {"file_path": "README.md"}), usage=cached_usage),
        reply(text("Nothing to change."), usage=cached_usage),
    )

    result = make_assistant(messages_server).change(make_request(repo))

    conversation = json.loads(json.dumps(result.conversation))
    assert [entry["role"] for entry in conversation] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert conversation[0]["model"] == MODEL
    assert conversation[3]["content"][0]["content"] == "# Demo\n"
    turn = conversation[4]
    assert turn["stop_reason"] == "end_turn" and turn["turn"] == 2
    assert turn["usage"]["cache_read_input_tokens"] > 0
    assert set(turn["usage"]) == {
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    }
    recorded_usage = sum(
        (TokenUsage(**_usage(entry["usage"])) for entry in conversation[2::2]), TokenUsage()
    )
    assert recorded_usage == result.token_usage


def _usage(usage: dict[str, int]) -> dict[str, int]:
    return {
        "input": usage["input_tokens"],
        "output": usage["output_tokens"],
        "cache_creation": usage["cache_creation_input_tokens"],
        "cache_read": usage["cache_read_input_tokens"],
    }


def test_parallel_tool_calls_in_one_response_all_get_results(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(
        reply(
            tool_use("read", {"file_path": "src/app.py"}),
            tool_use("read", {"file_path": "src/util.py"}),
            tool_use("write", {"file_path": "CHANGES.md", "content": "two\n"}),
        ),
        reply(text("Done.")),
    )

    make_assistant(messages_server).change(make_request(repo))

    sent = results_sent(messages_server.requests[1])
    assert [r["tool_use_id"] for r in sent] == ["toolu_0001_0", "toolu_0001_1", "toolu_0001_2"]
    assert [r["content"] for r in sent] == [
        "def main():\n    return old_call()\n",
        "def old_call():\n    return 1\n",
        "wrote 4 bytes to CHANGES.md",
    ]
    assert (repo / "CHANGES.md").read_text() == "two\n"


def test_escape_attempts_get_error_results_and_the_session_goes_on(
    messages_server: MessagesServer, repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "x").write_text("outside\n")
    (repo / "etc").symlink_to("/etc")
    git_config = (repo / ".git" / "config").read_text()
    attempts = [
        tool_use("read", {"file_path": "../x"}),
        tool_use("write", {"file_path": "../x", "content": "pwned\n"}),
        tool_use("read", {"file_path": "/etc/passwd"}),
        tool_use("write", {"file_path": str(tmp_path / "y"), "content": "pwned\n"}),
        tool_use("read", {"file_path": ".git/config"}),
        tool_use("write", {"file_path": ".git/config", "content": "[core]\n"}),
        tool_use("write", {"file_path": ".git/hooks/pre-commit", "content": "#!/bin/sh\n"}),
        tool_use("read", {"file_path": "etc/passwd"}),
    ]
    messages_server.add(
        reply(*attempts),
        reply(tool_use("glob", {"pattern": "**/*"}), tool_use("grep", {"pattern": "core"})),
        reply(text("I could not leave the repository.")),
    )

    result = make_assistant(messages_server).change(make_request(repo))

    refused = results_sent(messages_server.requests[1])
    assert len(refused) == len(attempts)
    assert all(r["is_error"] is True for r in refused), refused
    assert "outside the session's working directory" in refused[0]["content"]
    assert all(".git is off limits" in r["content"] for r in refused[4:7])
    listing, search = results_sent(messages_server.requests[2])
    assert ".git" not in listing["content"] and "src/app.py" in listing["content"]
    assert search["content"] == "no matches"
    assert result.stop_reason == "end_turn" and result.turns == 3
    assert (tmp_path / "x").read_text() == "outside\n" and not (tmp_path / "y").exists()
    assert (repo / ".git" / "config").read_text() == git_config
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()


def test_secrets_in_repository_files_are_redacted_before_they_are_sent(
    messages_server: MessagesServer, repo: Path
) -> None:
    (repo / "settings.py").write_text(f'PASSWORD = "{SECRET}"\nKEY = "{API_KEY}"\n')
    messages_server.add(
        reply(tool_use("read", {"file_path": "settings.py"})),
        reply(tool_use("grep", {"pattern": "PASSWORD|KEY"})),
        reply(text("Done.")),
    )

    make_assistant(messages_server).change(make_request(repo))

    (read,) = results_sent(messages_server.requests[1])
    assert read["content"] == 'PASSWORD = "***"\nKEY = "***"\n'
    for request in messages_server.requests:
        assert SECRET.encode() not in request.raw
    assert b"***" in messages_server.requests[2].raw
    assert_key_never_sent_in_a_body(messages_server)


def test_a_throttled_request_is_retried_after_the_retry_after_delay(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(
        error(429, "rate_limit_error", "slow down", headers=RETRY_AT_ONCE), reply(text("Done."))
    )

    result = make_assistant(messages_server).change(make_request(repo))

    assert result.stop_reason == "end_turn"
    assert [r.status for r in messages_server.requests] == [429, 200]
    assert [r.headers["x-stainless-retry-count"] for r in messages_server.requests] == ["0", "1"]


def test_a_persistent_overload_is_a_transient_error(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(
        *[error(529, "overloaded_error", "Overloaded", headers=RETRY_AT_ONCE)] * 3,
    )

    with pytest.raises(TransientError) as raised:
        make_assistant(messages_server).change(make_request(repo))

    assert raised.value.kind == "throttled" and raised.value.transient
    assert "Overloaded" in str(raised.value)
    assert len(messages_server.requests) == 3


@pytest.mark.parametrize(
    ("status", "kind", "error_type"),
    [
        (401, "auth", "authentication_error"),
        (403, "permission", "permission_error"),
        (400, "invalid-request", "invalid_request_error"),
    ],
)
def test_refusals_are_permanent_errors_with_the_api_message_and_no_retry(
    messages_server: MessagesServer, repo: Path, status: int, kind: str, error_type: str
) -> None:
    messages_server.add(error(status, error_type, f"refused the key {API_KEY}"))

    with pytest.raises(CodyError) as raised:
        make_assistant(messages_server).change(make_request(repo))

    assert raised.value.kind == kind and not raised.value.transient
    assert str(raised.value) == f"Claude API {status} {error_type}: refused the key ***"
    assert len(messages_server.requests) == 1


def test_a_server_error_that_persists_is_transient(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(*[error(500, "api_error", "boom", headers=RETRY_AT_ONCE)] * 3)

    with pytest.raises(TransientError) as raised:
        make_assistant(messages_server).change(make_request(repo))

    assert raised.value.kind == "server-error"


def test_an_unreachable_api_is_a_network_error(repo: Path) -> None:
    client = claude_client("anthropic", API_KEY, "http://127.0.0.1:9", max_retries=0)

    with pytest.raises(TransientError) as raised:
        ClaudeAssistant(client).change(make_request(repo))

    assert raised.value.kind == "network"


@pytest.mark.filterwarnings("ignore:Tool 'no_such_tool' not found:UserWarning")
def test_malformed_tool_input_is_a_tool_error_and_the_session_continues(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(
        reply(tool_use("read", {"path": "README.md"}), tool_use("no_such_tool", {})),
        reply(text("Sorry, done.")),
    )

    result = make_assistant(messages_server).change(make_request(repo))

    bad_input, unknown = results_sent(messages_server.requests[1])
    assert bad_input["is_error"] is True and "file_path" in bad_input["content"]
    assert unknown["is_error"] is True
    assert result.stop_reason == "end_turn" and result.summary == "Sorry, done."


def test_a_reply_cut_at_the_output_limit_is_continued(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(
        reply(text("Let me write it all"), stop_reason="max_tokens"),
        reply(
            tool_use("write", {"file_path": "big.txt", "content": "half"}),
            stop_reason="max_tokens",
        ),
        reply(text("Done in smaller steps.")),
    )

    result = make_assistant(messages_server).change(make_request(repo))

    second, third = messages_server.requests[1:]
    assert "cut off at the output token limit" in json.dumps(second.messages[-1])
    (not_run,) = results_sent(third)
    assert not_run["tool_use_id"] == "toolu_0002_0" and not_run["is_error"] is True
    assert not (repo / "big.txt").exists()
    assert (result.stop_reason, result.turns) == ("end_turn", 3)


def test_replies_that_keep_hitting_the_output_limit_end_the_session(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(*[reply(text("aaaa"), stop_reason="max_tokens")] * 3)

    result = make_assistant(messages_server).change(make_request(repo))

    assert (result.stop_reason, result.turns) == ("max_tokens", 3)


def _writes(count: int) -> list[Any]:
    return [
        reply(tool_use("write", {"file_path": f"f{index}.txt", "content": f"{index}\n"}))
        for index in range(count)
    ]


def test_max_turns_stops_cleanly_and_keeps_the_edits(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(*_writes(3))

    result = make_assistant(messages_server).change(make_request(repo, make_job(max_turns=2)))

    assert (result.stop_reason, result.turns) == ("max_turns", 2)
    assert (repo / "f0.txt").read_text() == "0\n" and (repo / "f1.txt").read_text() == "1\n"
    assert len(messages_server.requests) == 2 and len(messages_server.script) == 1


def test_the_repository_token_limit_stops_the_session(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(*_writes(3))
    job = make_job(max_tokens=1)

    result = make_assistant(messages_server).change(make_request(repo, job))

    assert (result.stop_reason, result.turns) == ("max_tokens_repository", 1)
    assert (repo / "f0.txt").exists()


def test_a_spent_job_budget_stops_the_session_and_skips_the_next(
    messages_server: MessagesServer, repo: Path, tmp_path: Path
) -> None:
    budget = TokenBudget()
    spend = {"input_tokens": 600, "output_tokens": 10}
    messages_server.add(
        reply(tool_use("read", {"file_path": "README.md"}), usage=spend),
        reply(tool_use("read", {"file_path": "README.md"}), usage=spend),
        reply(text("never reached")),
    )
    assistant = make_assistant(messages_server, budget=budget, max_job_tokens=1_000)
    job = make_job()
    assistant.admit(job)

    result = assistant.change(make_request(repo, job))

    assert (result.stop_reason, result.turns) == ("max_tokens_job", 2)
    assert budget.spent("job-1") == 1_220
    with pytest.raises(SkippedError, match="token budget spent") as raised:
        assistant.admit(job)
    assert raised.value.kind == "token-budget"
    make_assistant(messages_server, budget=budget, max_job_tokens=1_000).admit(make_job(job_id="2"))


def test_should_stop_is_checked_between_turns(messages_server: MessagesServer, repo: Path) -> None:
    messages_server.add(*_writes(3))
    request = make_request(repo, should_stop=lambda: len(messages_server.turns) >= 1)

    result = make_assistant(messages_server).change(request)

    assert (result.stop_reason, result.turns) == ("stopped", 1)
    assert (repo / "f0.txt").exists() and not (repo / "f1.txt").exists()


def test_the_session_timeout_ends_the_session_and_keeps_the_edits(
    messages_server: MessagesServer, repo: Path
) -> None:
    def slow(request: RecordedRequest) -> Any:
        time.sleep(0.6)
        return reply(text("too late"))

    messages_server.add(*_writes(1), slow)

    result = make_assistant(messages_server, session_timeout=0.3).change(make_request(repo))

    assert (result.stop_reason, result.turns) == ("timeout", 1)
    assert (repo / "f0.txt").exists()


def test_a_failed_verify_is_sent_back_and_the_last_result_returned(
    messages_server: MessagesServer, repo: Path
) -> None:
    outcomes = iter([CommandResult(1, f"FAILED test_rename {SECRET}"), CommandResult(0, "passed")])
    messages_server.add(reply(text("Renamed.")), reply(text("Fixed the test too.")))
    request = make_request(repo, verify=lambda: next(outcomes))

    result = make_assistant(messages_server).change(request)

    follow_up = messages_server.requests[1].messages[-1]["content"]
    assert "exited with code 1" in follow_up and "FAILED test_rename ***" in follow_up
    assert result.verification == CommandResult(0, "passed")
    assert (result.stop_reason, result.turns, result.summary) == (
        "end_turn",
        2,
        "Fixed the test too.",
    )
    assert [e["exit_code"] for e in result.conversation or [] if e["role"] == "verify"] == [1, 0]


def test_verify_gets_two_more_rounds_at_most(messages_server: MessagesServer, repo: Path) -> None:
    runs: list[int] = []

    def verify() -> CommandResult:
        runs.append(1)
        return CommandResult(2, "still failing")

    messages_server.add(*[reply(text("Tried."))] * 3)

    result = make_assistant(messages_server).change(make_request(repo, verify=verify))

    assert len(runs) == 3 and result.turns == 3
    assert result.verification == CommandResult(2, "still failing")
    assert result.stop_reason == "end_turn"


def test_a_twelve_turn_session_reads_all_but_the_newest_turn_from_the_cache(
    messages_server: MessagesServer, repo: Path
) -> None:
    for index in range(11):
        path = "src/app.py" if index % 2 else "src/util.py"
        messages_server.add(reply(tool_use("read", {"file_path": path}), usage=cached_usage))
    messages_server.add(reply(text("Read everything."), usage=cached_usage))

    result = make_assistant(messages_server).change(make_request(repo))

    turns = messages_server.turns
    assert result.turns == 12 and len(turns) == 12
    usages = [cached_usage(request) for request in turns]
    for request in turns:
        assert request.body["cache_control"] == EPHEMERAL  # the moving breakpoint: newest block
        assert request.breakpoints == [request.body["system"][-1]]  # the stable prefix
    for before, usage in pairwise(usages):
        everything_sent_before = sum(before.values())
        assert usage["cache_read_input_tokens"] == everything_sent_before
        assert usage["input_tokens"] == 0
    share = uncached_share(usages[1:])
    assert share < 0.1, share
    assert result.token_usage.cache_read == sum(u["cache_read_input_tokens"] for u in usages)


def uncached_share(usages: list[dict[str, int]]) -> float:
    """Of all input tokens, the share that was not read from the cache."""
    uncached = sum(u["input_tokens"] + u["cache_creation_input_tokens"] for u in usages)
    return uncached / (uncached + sum(u["cache_read_input_tokens"] for u in usages))


@pytest.mark.parametrize("threads", [True, False])
def test_the_full_conversation_is_recorded_with_threads_on_or_off(
    repo: Path, threads: bool
) -> None:
    script = [
        reply(tool_use("read", {"file_path": "README.md"})),
        reply(tool_use("write", {"file_path": "a.txt", "content": "a\n"})),
        reply(text("Done.")),
    ]
    with MessagesServer(script, threads=True) as server:
        result = make_assistant(server, message_threads=threads).change(make_request(repo))

    first, _, last = server.turns
    if threads:
        assert first.body["thread"] == {"type": "create"}
        assert len(last.body["messages"]) == 1 and "tools" not in last.body
    else:
        assert all("thread" not in request.body for request in server.turns)
        assert len(last.body["messages"]) == 5
    said = [e for e in result.conversation or [] if e["role"] in ("user", "assistant")]
    assert len(said) == len(last.messages) + 1
    assert [e["role"] for e in said] == [m["role"] for m in last.messages] + ["assistant"]
    assert said[3]["content"] == last.messages[3]["content"]
    assert said[-1]["content"] == [{"type": "text", "text": "Done."}]


def test_threads_fall_back_to_the_full_history_where_the_server_has_none(repo: Path) -> None:
    with MessagesServer([reply(text("Done."))], threads=False) as server:
        result = make_assistant(server, message_threads=True).change(make_request(repo))

    assert [r.status for r in server.requests] == [400, 200]
    assert result.stop_reason == "end_turn"


def test_one_assistant_serves_sessions_one_after_another_and_in_parallel(
    messages_server: MessagesServer, repo: Path, tmp_path: Path
) -> None:
    messages_server.add(*[reply(text("Done."))] * 4)
    assistant = make_assistant(messages_server)
    results: list[AssistantResult] = []

    results += [assistant.change(make_request(repo)), assistant.change(make_request(repo))]
    workers = [
        threading.Thread(target=lambda: results.append(assistant.change(make_request(repo))))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert [r.stop_reason for r in results] == ["end_turn"] * 4


def test_the_client_needs_a_key_for_the_anthropic_api() -> None:
    with pytest.raises(InputError, match="CLAUDE_API_KEY is not set"):
        claude_client("anthropic", None)
    with pytest.raises(InputError, match="CLAUDE_PROVIDER"):
        claude_client("vertex", API_KEY)


def test_the_bedrock_client_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)

    client = claude_client("bedrock", region="eu-west-1")

    assert isinstance(client, AsyncAnthropicBedrock) and client.aws_region == "eu-west-1"
    assert hasattr(client.beta.messages, "tool_runner")


def test_the_base_url_is_the_one_given() -> None:
    client = claude_client("anthropic", API_KEY, "http://gateway.internal:8080")

    assert str(client.base_url).startswith("http://gateway.internal:8080")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-sonnet-5-5", 2.0 + 10.0 + 2.5 + 0.1),
        ("claude-sonnet-4-6", 3.0 + 15.0 + 3.75 + 0.3),
        ("us.anthropic.claude-opus-4-1-20250805-v1:0", 15.0 + 75.0 + 18.75 + 1.5),
        ("claude-haiku-4-5-20251001", 1.0 + 5.0 + 1.25 + 0.1),
    ],
)
def test_costs_are_estimated_per_model_family(model: str, expected: float) -> None:
    million = 1_000_000
    usage = TokenUsage(input=million, output=million, cache_creation=million, cache_read=million)

    assert estimate_cost(model, usage) == pytest.approx(expected)


def test_unknown_models_have_no_cost_unless_priced(
    messages_server: MessagesServer, repo: Path
) -> None:
    messages_server.add(reply(text("a"), usage={"input_tokens": 1_000_000, "output_tokens": 0}))
    messages_server.add(reply(text("b"), usage={"input_tokens": 1_000_000, "output_tokens": 0}))
    client = claude_client("anthropic", API_KEY, messages_server.base_url)

    unknown = ClaudeAssistant(client, "house-model").change(make_request(repo))
    priced = ClaudeAssistant(
        client, "house-model", prices={"house-model": Price(7.0, 0.0, 0.0, 0.0)}
    ).change(make_request(repo))

    assert unknown.estimated_cost_usd is None
    assert priced.estimated_cost_usd == pytest.approx(7.0)
