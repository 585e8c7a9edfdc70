"""A loopback server that speaks the Anthropic Messages API and plays a script of replies.

Point the real SDK at it, ``Anthropic(api_key=..., base_url=server.base_url)``, and give it a
script: one step per request, each a `reply(...)`, an `error(...)`, or a callable that receives the
`RecordedRequest` and returns one of them. Every request is recorded, whatever it was answered with.

What the installed SDK (2.14) sends, and so what this server expects:

- Every call, beta or not, is ``POST /v1/messages``; the beta resource sends no ``?beta=true``.
- ``api_key`` travels as ``Authorization: Bearer <key>``, not ``x-api-key``; both are accepted.
- The beta tool runner holds its conversation in a server-side thread: the first request has
  ``"thread": {"type": "create"}``, later ones ``{"type": "continue", "previous_message_id": ...}``
  with only the new messages and no ``system`` or ``tools``, and the header
  ``anthropic-beta: message-threads-2026-08-12``. This server keeps threads, and
  `RecordedRequest.prompt` is always the whole conversation. With ``threads=False`` it refuses them
  the way the API does (``thread_unsupported_request``), and the SDK resends the full history.
- ``retry-after: 0`` does not mean "at once": the SDK then falls back to its backoff (about half a
  second). Use ``retry-after-ms: 1`` for a fast retry.

To use the fixture, import it where pytest finds fixtures (a conftest or a test module):
``from anthropic_server import messages_server_fixture  # noqa: F401`` gives ``messages_server``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from loopback import serving

Block = dict[str, Any]
Usage = dict[str, int]
CACHE_LOOKBACK_BLOCKS = 20
"""How far back from a breakpoint the API looks for an earlier cache entry."""
DELTA_CHARS = 7
"""Streamed text and tool input arrive in pieces this long, so JSON is split mid-token."""


@dataclass(frozen=True)
class Reply:
    """An assistant message to send back. `usage` overrides the default estimate, key by key."""

    content: tuple[Block, ...]
    stop_reason: str
    usage: Usage | Callable[[RecordedRequest], Usage] | None = None


@dataclass(frozen=True)
class Error:
    """An error response, with the API's body shape and any extra headers."""

    status: int
    type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] | None = None


Step = Reply | Error | Callable[["RecordedRequest"], Reply | Error]


def text(value: str) -> Block:
    return {"type": "text", "text": value}


def tool_use(name: str, input: dict[str, Any], id: str | None = None) -> Block:
    """A tool call; `input` goes out as given, valid for the tool or not. The server fills `id`."""
    block: Block = {"type": "tool_use", "name": name, "input": input}
    return block if id is None else {**block, "id": id}


def reply(
    *blocks: Block,
    stop_reason: str | None = None,
    usage: Usage | Callable[[RecordedRequest], Usage] | None = None,
) -> Reply:
    """A reply; `stop_reason` defaults to `tool_use` when a block calls a tool, else `end_turn`."""
    calls_tool = any(block["type"] == "tool_use" for block in blocks)
    return Reply(blocks, stop_reason or ("tool_use" if calls_tool else "end_turn"), usage)


def error(
    status: int,
    type: str,
    message: str,
    headers: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> Error:
    return Error(status, type, message, headers or {}, details)


@dataclass(eq=False)
class RecordedRequest:
    """One HTTP request as the server received it, and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: Any
    prompt: dict[str, Any] = field(default_factory=dict)
    """The whole conversation the model sees: system, tools, messages, top-level cache_control."""
    earlier: tuple[RecordedRequest, ...] = field(default=(), repr=False)
    """The requests answered with a reply before this one arrived."""
    number: int = 0
    """Counts from 1 in arrival order."""
    status: int = 0

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.prompt.get("messages", [])

    @property
    def breakpoints(self) -> list[Block]:
        """The tool, system and message blocks that carry `cache_control`, in prompt order."""
        return [block for block in _prompt_blocks(self.prompt) if "cache_control" in block]


def cached_usage(request: RecordedRequest) -> Usage:
    """Usage as the API bills prompt caching, with tokens estimated as len(json) / 4.

    The longest prefix that ended at a breakpoint of an earlier answered request, and ends at most
    `CACHE_LOOKBACK_BLOCKS` blocks before a breakpoint of this one, is read from the cache; the
    prefix up to this request's last breakpoint beyond it is written; the rest is plain input.
    """
    keys = _prefix_keys(request.prompt)
    written = {
        _prefix_keys(earlier.prompt)[end]
        for earlier in request.earlier
        for end in _breakpoint_ends(earlier.prompt)
    }
    ends = _breakpoint_ends(request.prompt)
    read_end = max(
        (
            end
            for stop in ends
            for end in range(stop, max(stop - CACHE_LOOKBACK_BLOCKS, 0), -1)
            if keys[end] in written
        ),
        default=0,
    )
    write_end = max([read_end, *ends])
    tokens = [len(key) // 4 for key in keys]
    return {
        "input_tokens": tokens[-1] - tokens[write_end],
        "cache_creation_input_tokens": tokens[write_end] - tokens[read_end],
        "cache_read_input_tokens": tokens[read_end],
    }


def _prompt_blocks(prompt: dict[str, Any]) -> list[Block]:
    return [block for _, block in _prompt_entries(prompt)]


def _prompt_entries(prompt: dict[str, Any]) -> list[tuple[str, Block]]:
    """The prompt in cache order, tools then system then messages: (where, block) for each block."""
    system = prompt.get("system") or []
    entries = [("tools", tool) for tool in prompt.get("tools", [])]
    entries += [
        ("system", block) for block in ([text(system)] if isinstance(system, str) else system)
    ]
    for message in prompt.get("messages", []):
        content = message["content"]
        entries += [
            (message["role"], b) for b in ([text(content)] if isinstance(content, str) else content)
        ]
    return entries


def _prefix_keys(prompt: dict[str, Any]) -> list[str]:
    """For each length n, the prompt's first n blocks as canonical JSON without cache markers."""
    parts = [
        json.dumps(
            [where, {k: v for k, v in block.items() if k != "cache_control"}], sort_keys=True
        )
        for where, block in _prompt_entries(prompt)
    ]
    return ["[" + ",".join(parts[:n]) + "]" for n in range(len(parts) + 1)]


def _breakpoint_ends(prompt: dict[str, Any]) -> list[int]:
    """The prefix lengths that end at a breakpoint; top-level cache_control marks the last block."""
    blocks = _prompt_blocks(prompt)
    ends = [n for n, block in enumerate(blocks, start=1) if "cache_control" in block]
    return [*ends, len(blocks)] if prompt.get("cache_control") and blocks else ends


class MessagesServer:
    """The fake API on 127.0.0.1; a context manager that serves on a free port while open."""

    def __init__(
        self,
        script: Sequence[Step] = (),
        *,
        expect_api_key: str | None = None,
        threads: bool = True,
    ) -> None:
        self.script: list[Step] = list(script)
        self.requests: list[RecordedRequest] = []
        self.expect_api_key = expect_api_key
        self.threads = threads
        self._held: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None

    def add(self, *steps: Step) -> None:
        self.script.extend(steps)

    @property
    def base_url(self) -> str:
        assert self._http is not None, "the server is not running"
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @property
    def turns(self) -> list[RecordedRequest]:
        """The requests that were answered with a reply."""
        return [request for request in self.requests if request.status == 200]

    def __enter__(self) -> MessagesServer:
        self._stack = ExitStack()
        self._http = self._stack.enter_context(serving(_Handler))
        self._http.app = self  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def answer(self, request: RecordedRequest) -> dict[str, Any] | Error:
        """Record `request` and decide the answer: a message, or an error."""
        with self._lock:
            request.earlier = tuple(self.turns)
            self.requests.append(request)
            request.number = len(self.requests)
            try:
                outcome = self._refusal(request) or self._next_step(request)
                message = _message(request, outcome) if isinstance(outcome, Reply) else outcome
            except Exception as exc:  # a broken step must fail the test, not drop the connection
                message = _script_failure(f"a script step raised {exc!r}")
            if isinstance(message, Error):
                request.status = message.status
                return message
            if isinstance(request.body.get("thread"), dict):
                assistant = {"role": "assistant", "content": message["content"]}
                held = {k: v for k, v in request.prompt.items() if k != "cache_control"}
                self._held[message["id"]] = {**held, "messages": [*request.messages, assistant]}
            request.status = 200
            return message

    def _refusal(self, request: RecordedRequest) -> Error | None:
        """The error the API would give before the model runs, if any; sets `request.prompt`."""
        api_key = self.expect_api_key
        given = {request.headers.get("x-api-key"), request.headers.get("authorization")}
        if api_key is not None and not given & {api_key, f"Bearer {api_key}"}:
            return error(401, "authentication_error", "invalid x-api-key")
        if request.method != "POST" or request.path != "/v1/messages":
            return error(404, "not_found_error", f"{request.method} {request.path} is not served")
        body = request.body
        if not isinstance(body, dict) or not {"model", "max_tokens", "messages"} <= body.keys():
            message = "the body must be JSON with model, max_tokens and messages"
            return error(400, "invalid_request_error", message)
        thread = body.get("thread")
        if thread is not None and not self.threads:
            details = {"error_code": "thread_unsupported_request", "unsupported": []}
            return error(400, "invalid_request_error", "threads are off", details=details)
        fields = ("system", "tools", "cache_control", "messages")
        request.prompt = {name: body[name] for name in fields if name in body}
        if isinstance(thread, dict) and thread.get("type") == "continue":
            held = self._held.get(thread.get("previous_message_id", ""))
            if held is None:
                details = {"error_code": "thread_not_found"}
                return error(404, "not_found_error", "no such thread", details=details)
            request.prompt = {**held, "messages": [*held["messages"], *body["messages"]]}
            if "cache_control" in body:
                request.prompt["cache_control"] = body["cache_control"]
        problem = _unanswered_tool_calls(request.messages)
        return error(400, "invalid_request_error", problem) if problem else None

    def _next_step(self, request: RecordedRequest) -> Reply | Error:
        if not self.script:
            return _script_failure(f"script ran out: request {request.number} has no step")
        step = self.script.pop(0)
        return step if isinstance(step, Reply | Error) else step(request)


def _script_failure(problem: str) -> Error:
    """A 500 the SDK does not retry, so the test fails at once with `problem` in the message."""
    headers = {"x-should-retry": "false"}
    return error(500, "api_error", f"MessagesServer {problem}", headers=headers)


def _unanswered_tool_calls(messages: list[dict[str, Any]]) -> str | None:
    """The API's complaint when tool calls and results do not pair up across adjacent turns."""
    for index, (message, following) in enumerate(pairwise(messages)):
        calls = {b["id"] for b in _blocks(message) if b.get("type") == "tool_use"}
        results = {b["tool_use_id"] for b in _blocks(following) if b.get("type") == "tool_result"}
        if message["role"] == "assistant" and calls - results:
            missing = ", ".join(sorted(calls - results))
            return f"messages.{index}: `tool_use` ids without `tool_result` right after: {missing}"
        if following["role"] == "user" and results - calls:
            extra = ", ".join(sorted(results - calls))
            return f"messages.{index + 1}: `tool_result` ids without a `tool_use` before: {extra}"
    return None


def _blocks(message: dict[str, Any]) -> list[Block]:
    content = message["content"]
    return [] if isinstance(content, str) else content


def _message(request: RecordedRequest, step: Reply) -> dict[str, Any]:
    tool_id = f"toolu_{request.number:04d}_{{}}"
    content = [
        {"id": tool_id.format(index), **block} if block["type"] == "tool_use" else block
        for index, block in enumerate(step.content)
    ]
    prompt_tokens = len(_prefix_keys(request.prompt)[-1]) // 4
    usage = {
        "input_tokens": prompt_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": max(1, len(json.dumps(content)) // 4),
    }
    usage.update(step.usage(request) if callable(step.usage) else step.usage or {})
    return {
        "id": f"msg_{request.number:04d}",
        "type": "message",
        "role": "assistant",
        "model": request.body["model"],
        "content": content,
        "stop_reason": step.stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def _sse_events(message: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The events the API streams for `message`, in order."""
    usage = message["usage"]
    opening = {**message, "content": [], "stop_reason": None}
    opening["usage"] = {**usage, "output_tokens": 1}
    yield {"type": "message_start", "message": opening}
    yield {"type": "ping"}
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            start, pieces = {**block, "text": ""}, _pieces(block["text"])
            deltas = [{"type": "text_delta", "text": piece} for piece in pieces]
        elif block["type"] == "tool_use":
            start, pieces = {**block, "input": {}}, ["", *_pieces(json.dumps(block["input"]))]
            deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
        else:
            start, deltas = block, []
        yield {"type": "content_block_start", "index": index, "content_block": start}
        for delta in deltas:
            yield {"type": "content_block_delta", "index": index, "delta": delta}
        yield {"type": "content_block_stop", "index": index}
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    yield {"type": "message_delta", "delta": delta, "usage": usage}
    yield {"type": "message_stop"}


def _pieces(value: str) -> list[str]:
    return [value[i : i + DELTA_CHARS] for i in range(0, len(value), DELTA_CHARS)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query)),
            headers={name.lower(): value for name, value in self.headers.items()},
            raw=raw,
            body=body,
        )
        outcome = self.server.app.answer(request)  # type: ignore[attr-defined]
        request_id = f"req_{request.number:04d}"
        if isinstance(outcome, Error):
            self._send_error(outcome, request_id)
        elif isinstance(request.body, dict) and request.body.get("stream"):
            self._send_stream(outcome, request_id)
        else:
            self._send_json(200, outcome, {"request-id": request_id})

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def _send_error(self, outcome: Error, request_id: str) -> None:
        detail = {"type": outcome.type, "message": outcome.message}
        if outcome.details is not None:
            detail["details"] = outcome.details
        body = {"type": "error", "error": detail, "request_id": request_id}
        self._send_json(outcome.status, body, {"request-id": request_id, **outcome.headers})

    def _send_json(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"content-type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, message: dict[str, Any], request_id: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", request_id)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for event in _sse_events(message):
            chunk = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows the recorded requests when a test fails."""


@pytest.fixture(name="messages_server")
def messages_server_fixture() -> Iterator[MessagesServer]:
    """A running `MessagesServer` with an empty script; tests `add()` steps."""
    with MessagesServer() as server:
        yield server
