"""The fake Messages API server, driven through the real anthropic SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import pytest
from anthropic import beta_tool

from anthropic_server import (
    MessagesServer,
    cached_usage,
    error,
    messages_server_fixture,  # noqa: F401
    reply,
    text,
    tool_use,
)

API_KEY = "sk-ant-test-key"
MODEL = "claude-test"
RETRY_AT_ONCE = {"retry-after-ms": "1"}
HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def client(messages_server: MessagesServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        api_key=API_KEY, base_url=messages_server.base_url, max_retries=2
    ) as client:
        yield client


@beta_tool
def add(a: int, b: int) -> str:
    """Add two whole numbers."""
    return str(a + b)


def test_a_json_reply_parses_into_a_message_with_its_usage(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    usage = {"input_tokens": 11, "output_tokens": 7, "cache_read_input_tokens": 5}
    messages_server.add(reply(text("Hi there"), usage=usage))

    message = client.messages.create(model=MODEL, max_tokens=100, messages=HELLO)

    assert message.content[0].type == "text" and message.content[0].text == "Hi there"
    assert (message.role, message.model, message.stop_reason) == ("assistant", MODEL, "end_turn")
    assert message.usage.input_tokens == 11
    assert message.usage.output_tokens == 7
    assert message.usage.cache_read_input_tokens == 5
    assert message.usage.cache_creation_input_tokens == 0
    (request,) = messages_server.requests
    assert (request.method, request.path, request.body["messages"]) == (
        "POST",
        "/v1/messages",
        HELLO,
    )


def test_a_streamed_reply_with_text_and_two_tool_calls_accumulates(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    lookup = {"path": "src/app.py", "lines": [1, 20], "note": "ünïcode"}
    messages_server.add(
        reply(
            text("Reading two files."),
            tool_use("read_file", lookup, id="toolu_a"),
            tool_use("read_file", {"path": "README.md"}, id="toolu_b"),
            usage={"input_tokens": 30, "output_tokens": 12},
        )
    )

    with client.messages.stream(model=MODEL, max_tokens=100, messages=HELLO) as stream:
        pieces = [event.partial_json for event in stream if event.type == "input_json"]
        message = stream.get_final_message()

    assert [block.type for block in message.content] == ["text", "tool_use", "tool_use"]
    assert message.content[0].text == "Reading two files."
    assert [(b.id, b.name, b.input) for b in message.content[1:]] == [
        ("toolu_a", "read_file", lookup),
        ("toolu_b", "read_file", {"path": "README.md"}),
    ]
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (30, 12)
    assert any(not _is_json(piece) for piece in pieces), "tool input should arrive split mid-JSON"
    assert messages_server.requests[0].body["stream"] is True


@pytest.mark.parametrize(
    ("status", "kind"),
    [(429, "rate_limit_error"), (529, "overloaded_error"), (500, "api_error")],
)
def test_the_sdk_retries_a_retryable_error_and_then_succeeds(
    messages_server: MessagesServer, client: anthropic.Anthropic, status: int, kind: str
) -> None:
    messages_server.add(error(status, kind, "try again", headers=RETRY_AT_ONCE), reply(text("ok")))

    message = client.messages.create(model=MODEL, max_tokens=10, messages=HELLO)

    assert message.content[0].text == "ok"
    assert [r.status for r in messages_server.requests] == [status, 200]
    assert [r.headers["x-stainless-retry-count"] for r in messages_server.requests] == ["0", "1"]


def test_a_wrong_key_is_an_authentication_error_that_is_not_retried() -> None:
    with MessagesServer([reply(text("welcome"))], expect_api_key=API_KEY) as server:
        wrong = anthropic.Anthropic(api_key="sk-wrong", base_url=server.base_url, max_retries=2)
        with wrong, pytest.raises(anthropic.AuthenticationError) as raised:
            wrong.messages.create(model=MODEL, max_tokens=10, messages=HELLO)
        right = anthropic.Anthropic(api_key=API_KEY, base_url=server.base_url, max_retries=0)
        with right:
            right.messages.create(model=MODEL, max_tokens=10, messages=HELLO)

    assert raised.value.type == "authentication_error"
    assert [r.status for r in server.requests] == [401, 200]
    sent = server.requests[1]
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    others = {name: value for name, value in sent.headers.items() if name != "authorization"}
    assert API_KEY.encode() not in sent.raw and API_KEY not in json.dumps(others)


def test_a_running_out_script_fails_loudly_without_retries(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    with pytest.raises(anthropic.InternalServerError, match="script ran out"):
        client.messages.create(model=MODEL, max_tokens=10, messages=HELLO)

    assert len(messages_server.requests) == 1


def test_a_script_step_that_raises_fails_loudly_without_retries(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    messages_server.add(lambda request: reply(text(request.body["no such field"])))

    with pytest.raises(anthropic.InternalServerError, match="KeyError"):
        client.messages.create(model=MODEL, max_tokens=10, messages=HELLO)

    assert len(messages_server.requests) == 1


def test_a_script_step_can_answer_from_the_request(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    messages_server.add(lambda request: reply(text(f"You said {request.messages[-1]['content']}")))

    message = client.messages.create(model=MODEL, max_tokens=10, messages=HELLO)

    assert message.content[0].text == "You said hello"


def test_64000_max_tokens_work_when_streamed(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    messages_server.add(reply(text("long answer"), stop_reason="max_tokens"))

    with client.messages.stream(model=MODEL, max_tokens=64000, messages=HELLO) as stream:
        message = stream.get_final_message()
    with pytest.raises(ValueError, match="Streaming is required"):
        client.messages.create(model=MODEL, max_tokens=64000, messages=HELLO)

    assert message.stop_reason == "max_tokens"
    assert [r.body["max_tokens"] for r in messages_server.requests] == [64000]


def test_the_cache_control_markers_the_client_sent_are_recorded(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    messages_server.add(reply(text("ok")))
    marker = {"type": "ephemeral"}
    tools = [{"name": "noop", "input_schema": {"type": "object"}, "cache_control": marker}]
    system = [{"type": "text", "text": "You are careful.", "cache_control": marker}]
    question = {"type": "text", "text": "hello", "cache_control": marker}

    client.messages.create(
        model=MODEL,
        max_tokens=10,
        tools=tools,
        system=system,
        messages=[{"role": "user", "content": [question]}],
    )

    (request,) = messages_server.requests
    assert request.breakpoints == [tools[0], system[0], question]
    assert request.raw.count(b'"cache_control"') == 3


def test_cached_usage_reads_the_prefix_an_earlier_request_wrote(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    messages_server.add(reply(text("first"), usage=cached_usage))
    messages_server.add(reply(text("second"), usage=cached_usage))
    system = [
        {"type": "text", "text": "Long instructions. " * 40, "cache_control": {"type": "ephemeral"}}
    ]
    first = [{"role": "user", "content": [_marked("What is in the repository?")]}]
    second = [
        {"role": "user", "content": [{"type": "text", "text": "What is in the repository?"}]},
        {"role": "assistant", "content": "first"},
        {"role": "user", "content": [_marked("And the tests?")]},
    ]

    one = client.messages.create(model=MODEL, max_tokens=10, system=system, messages=first)
    two = client.messages.create(model=MODEL, max_tokens=10, system=system, messages=second)

    assert one.usage.cache_read_input_tokens == 0
    assert one.usage.cache_creation_input_tokens > 100
    assert two.usage.cache_read_input_tokens == one.usage.cache_creation_input_tokens
    assert 0 < two.usage.cache_creation_input_tokens < one.usage.cache_creation_input_tokens
    assert two.usage.input_tokens == 0


def test_the_tool_runner_continues_a_server_thread_and_the_prompt_is_whole(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    messages_server.add(reply(tool_use("add", {"a": 2, "b": 3})), reply(text("5")))

    runner = client.beta.messages.tool_runner(
        model=MODEL, max_tokens=100, system="Do sums.", tools=[add], messages=HELLO
    )
    final = runner.until_done()

    assert final.content[0].text == "5"
    create, follow_up = messages_server.requests
    assert create.body["thread"] == {"type": "create"}
    assert follow_up.body["thread"] == {"type": "continue", "previous_message_id": "msg_0001"}
    assert "tools" not in follow_up.body and len(follow_up.body["messages"]) == 1
    assert "message-threads" in follow_up.headers["anthropic-beta"]
    assert [m["role"] for m in follow_up.messages] == ["user", "assistant", "user"]
    assert follow_up.prompt["system"] == "Do sums."
    assert follow_up.messages[2]["content"][0]["content"] == "5"


def test_without_threads_the_tool_runner_falls_back_to_the_full_history() -> None:
    script = [reply(tool_use("add", {"a": 1})), reply(text("Sorry, that failed."))]
    with MessagesServer(script, threads=False) as server:
        client = anthropic.Anthropic(api_key=API_KEY, base_url=server.base_url, max_retries=0)
        with client:
            runner = client.beta.messages.tool_runner(
                model=MODEL, max_tokens=100, tools=[add], messages=HELLO
            )
            runner.until_done()

    assert [r.status for r in server.requests] == [400, 200, 200]
    assert [len(r.body["messages"]) for r in server.turns] == [1, 3]
    assert all("thread" not in r.body for r in server.turns)
    result = server.turns[1].messages[2]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is True


def test_a_tool_call_left_without_its_result_is_refused_like_the_api_does(
    messages_server: MessagesServer, client: anthropic.Anthropic
) -> None:
    call = {"type": "tool_use", "id": "toolu_x", "name": "add", "input": {}}
    messages = [*HELLO, {"role": "assistant", "content": [call]}, {"role": "user", "content": "?"}]

    with pytest.raises(anthropic.BadRequestError, match="toolu_x"):
        client.messages.create(model=MODEL, max_tokens=10, messages=messages)

    assert messages_server.script == [] and messages_server.turns == []


def _marked(value: str) -> dict[str, object]:
    return {"type": "text", "text": value, "cache_control": {"type": "ephemeral"}}


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True
