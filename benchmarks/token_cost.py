"""Token cost of a Claude session: a scripted 12-turn session over a 100-file repository.

Runs the real ClaudeAssistant through the real SDK against the loopback Messages API server of
the tests, whose usage numbers bill like the API's prompt cache, with caching on and off.
Reports input tokens per session, the share read from the cache, the uncached share (target
<= 25%), and the bytes of tool output sent back to the model.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parents[1] / "tests"),
]

from measure import write  # noqa: E402

from anthropic_server import MessagesServer, cached_usage, reply, text, tool_use  # noqa: E402
from cody_adapters.claude import ClaudeAssistant, claude_client  # noqa: E402
from cody_core.models import Job  # noqa: E402
from cody_core.policies.references import RepositoryRef  # noqa: E402
from cody_core.ports import AssistantRequest, Checkout  # noqa: E402

KEY = "sk-ant-bench-" + "0" * 24
TURNS = 12


def make_repository(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for i in range(100):
        path = root / f"pkg{i % 10}" / f"module_{i:03d}.py"
        path.parent.mkdir(exist_ok=True)
        body = "".join(f"def f{i}_{j}(x):\n    return old_call(x) + {j}\n\n" for j in range(12))
        path.write_text(body)
    return root


def script() -> list:
    calls = [tool_use("glob", {"pattern": "**/*.py"})]
    calls += [tool_use("read", {"file_path": f"pkg{i}/module_{i:03d}.py"}) for i in range(5)]
    calls += [tool_use("grep", {"pattern": "old_call", "path": "pkg1"})]
    calls += [
        tool_use(
            "edit",
            {
                "file_path": f"pkg{i}/module_{i:03d}.py",
                "old_string": f"def f{i}_0(x):\n    return old_call(x)",
                "new_string": f"def f{i}_0(x):\n    return new_call(x)",
            },
        )
        for i in range(4)
    ]
    steps = [reply(call, usage=cached_usage) for call in calls]
    steps.append(
        reply(text("Renamed old_call in the first function of four modules."), usage=cached_usage)
    )
    assert len(steps) == TURNS
    return steps


def session(repository: Path, caching: bool) -> dict:
    with MessagesServer(script(), expect_api_key=KEY) as server:
        client = claude_client("anthropic", KEY, server.base_url, max_retries=0)
        assistant = ClaudeAssistant(client, "claude-sonnet-5-5", prompt_caching=caching)
        job = Job(
            job_id="bench",
            name="bench",
            prompt="Rename old_call to new_call.",
            created_at=datetime.now(UTC),
            assistant="claude",
        )
        ref = RepositoryRef(kind="local", name=str(repository))
        result = assistant.change(
            AssistantRequest(job, Checkout(ref, repository, "main", "0" * 40))
        )
        tool_bytes = sum(
            len(json.dumps(block.get("content"), ensure_ascii=False).encode())
            for request in server.requests
            for block in request.messages[-1]["content"]
            if isinstance(request.messages[-1]["content"], list)
            and block.get("type") == "tool_result"
        )
    usage = result.token_usage
    total_input = usage.input + usage.cache_creation + usage.cache_read
    return {
        "caching": "on" if caching else "off",
        "turns": result.turns,
        "input tokens": total_input,
        "cache reads": usage.cache_read,
        "cache writes": usage.cache_creation,
        "uncached input": usage.input,
        "uncached share": f"{(usage.input + usage.cache_creation) / total_input:.1%}",
        "cost USD": f"{result.estimated_cost_usd:.4f}",
        "tool output bytes": tool_bytes,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        rows = [session(make_repository(Path(work) / f"repo-{c}"), c) for c in (True, False)]
    on, off = rows
    saving = float(off["cost USD"]) / float(on["cost USD"])
    notes = [
        "Uncached share = (uncached input + cache writes) / all input tokens of the session; "
        "the target is <= 25%.",
        f"Caching cuts the session's estimated cost by x{saving:.1f}.",
        "Usage comes from the test server, which bills like the API's prompt cache "
        "(prefix up to each breakpoint; len(json)/4 tokens).",
    ]
    print(
        write("token_cost", f"Token cost of a {TURNS}-turn Claude session", rows, notes).read_text()
    )


if __name__ == "__main__":
    main()
