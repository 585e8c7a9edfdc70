"""Every job `cody` writes reads back through the existing API's routes, on SQLite and DynamoDB.

The readers in tests/existing_api.py do what the API's GET routes do, with the types its code
and the dashboard rely on; a job of cody's that broke one of them would break the dashboard.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from anthropic_server import MessagesServer, cached_usage, reply, text, tool_use
from cli_support import cody, create, forge, status
from cody_adapters.local.sample_forge import make_bare_repo
from cody_core.bounds import diff_is_cut
from existing_api import (
    get_claude_thread,
    get_diff,
    get_job,
    get_jobs,
    get_repository,
    post_job,
)
from store_documents import Documents

TURNS = 44
BIG = "".join(f"line {n:05d}: the rename leaves this file {'long ' * 4}\n" for n in range(1_800))


def test_a_command_job_reads_back_through_every_route(tmp_path, documents: Documents):
    repos = forge(tmp_path, 3, changed=2)
    job_id = create(repos, "--no-create-prs")

    cody("job", "run", job_id, "0")

    [listed] = get_jobs(documents)
    assert (listed["jobId"], listed["repositoryCount"]) == (job_id, 3)
    detail = get_job(documents, job_id)
    assert detail["status"] == "completed" and detail["startedAt"] and detail["completedAt"]
    assert sorted(r["name"] for r in detail["repositories"]) == sorted(repos)
    assert documents.job(job_id)["repositories"] == sorted(repos)
    for repo, changed in zip(repos, [True, True, False], strict=True):
        repository = get_repository(documents, job_id, repo)
        assert repository["wereChangesNecessary"] is changed
        assert [entry["message"][:6] for entry in repository["logs"]][:1] == ["cloned"]
        diff = get_diff(documents, job_id, repo)
        assert (diff is not None) is changed
        if changed:
            assert "+x = new_call()" in diff
            assert diff == cody("job", "diff", job_id, "--repo", repo).stdout
        assert get_claude_thread(documents, job_id, repo) is None  # a command keeps no thread
        run = documents.run(job_id, repo)
        assert run["createdAt"] <= run["updatedAt"] and "expiresAt" not in run


def test_a_long_claude_session_with_a_large_diff_reads_back_whole_or_marked(
    tmp_path, documents: Documents, claude_api: MessagesServer
):
    modules = {
        f"m{n}.py": f"# module {n}\n" + "x = 1  # a line of code to read\n" * 80 for n in range(3)
    }
    repo = str(make_bare_repo(tmp_path / "forge", "big", modules))
    for turn in range(TURNS - 2):  # each turn reads three files of 2.6 KB: 8 KB of results
        reads = [tool_use("read", {"file_path": name}, id=f"r{turn}-{name}") for name in modules]
        claude_api.add(reply(*reads))
    claude_api.add(
        reply(
            tool_use("write", {"file_path": "big.txt", "content": BIG}, id="w"), usage=cached_usage
        ),
        reply(text("Wrote big.txt after reading app.py many times."), usage=cached_usage),
    )
    job_id = cody(
        "job",
        "create",
        "--name",
        "long",
        "--assistant",
        "claude",
        "--prompt",
        "Write big.txt",
        "--repo",
        repo,
        "--max-turns",
        str(TURNS + 5),
        "--no-create-prs",
    ).stdout.strip()

    cody("job", "run", job_id)

    run = status(job_id)["repositories"][0]
    assert run["status"] == "completed" and run["turns"] == TURNS
    diff = get_diff(documents, job_id, repo)
    assert diff is not None and len(diff.encode()) > 64 * 1024 and not diff_is_cut(diff)
    assert diff == cody("job", "diff", job_id, "--repo", repo).stdout
    thread = get_claude_thread(documents, job_id, repo, view="technical")
    assert thread is not None
    messages = thread["messages"]
    types = [m["type"] for m in messages]
    assert types[:3] == ["prompt", "tool_call", "tool_result"] and types[-1] == "response"
    dropped = [m for m in messages if "messages left out here" in str(m["content"])]
    assert len(dropped) == 1 and 20 < len(messages) < 2 * TURNS
    assert len(json.dumps(documents.run(job_id, repo)["claudeConversation"])) < 80_000
    assert all(m["timestamp"] > 1_700_000_000_000 for m in messages)  # epoch milliseconds
    assert messages[-1]["content"][0]["text"].startswith("Wrote big.txt")
    whole = json.loads(cody("job", "conversation", job_id, repo, "--json").stdout)
    assert sum(1 for entry in whole if entry["role"] == "assistant") == TURNS
    usage = thread["tokenUsage"]
    assert usage == {**status(job_id)["repositories"][0]["tokenUsage"], "total": usage["total"]}
    simplified = get_claude_thread(documents, job_id, repo, view="simplified")
    assert next(m["type"] for m in simplified["messages"]) == "prompt"
    assert {
        m["type"]
        for m in get_claude_thread(documents, job_id, repo, include_tool=False)["messages"]
    } <= {"prompt", "response"}


def test_a_diff_larger_than_the_item_is_stored_cut_with_a_last_line_saying_how_to_get_it(
    tmp_path, documents: Documents
):
    repo = str(make_bare_repo(tmp_path / "forge", "huge", {"README.md": "hi\n"}))
    write = (
        'for i in $(seq 1 12000); do echo "line $i of a file larger than one item"; done > huge.txt'
    )
    job_id = cody(
        "job",
        "create",
        "--name",
        "huge",
        "--prompt",
        "p",
        "--command",
        write,
        "--repo",
        repo,
        "--no-create-prs",
    ).stdout.strip()

    cody("job", "run", job_id)

    inline = get_diff(documents, job_id, repo)
    whole = cody("job", "diff", job_id, "--repo", repo).stdout
    assert inline is not None and diff_is_cut(inline)
    assert inline.splitlines()[-1].endswith(f"cody job diff {job_id} --repo {repo}")
    assert whole.startswith(inline.rsplit("\n", 2)[0]) and len(whole) > len(inline)
    assert whole.count("\n+line ") == 12_000
    assert get_repository(documents, job_id, repo)["wereChangesNecessary"] is True


def test_retention_days_set_expires_at_on_the_job_and_its_runs(
    tmp_path, documents: Documents, monkeypatch
):
    from cody_cli.job_commands import container

    monkeypatch.setenv("CODY_RETENTION_DAYS", "30")
    container.reset_singletons()
    before = datetime.now(UTC).timestamp()

    job_id = create(forge(tmp_path, 2))

    expires = [documents.job(job_id)["expiresAt"]] + [
        r["expiresAt"] for r in documents.runs(job_id)
    ]
    assert len(set(expires)) == 1 and isinstance(expires[0], int)
    assert before + 30 * 86400 - 5 <= expires[0] <= before + 30 * 86400 + 60


def test_job_list_filters_by_status_and_refuses_an_unknown_one(tmp_path, documents: Documents):
    repos = forge(tmp_path, 1)
    done = create(repos)
    cody("job", "run", done)
    waiting = create(repos)
    api_job = post_job(documents, repos)

    pending = json.loads(cody("job", "list", "--status", "pending", "--json").stdout)
    completed = json.loads(cody("job", "list", "--status", "completed", "--json").stdout)
    refused = cody("job", "list", "--status", "finished", ok=False)

    assert [j["jobId"] for j in pending] == [api_job, waiting]
    assert [j["jobId"] for j in completed] == [done]
    assert refused.exit_code == 2 and "pending, in-progress" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert {j["jobId"] for j in get_jobs(documents, "pending")} == {api_job, waiting}


def test_the_tables_named_by_the_existing_stack_variables_are_the_ones_used(
    tmp_path, dynamo, monkeypatch
):
    import boto3

    from cody_cli.job_commands import container
    from store_documents import DynamoDocuments

    monkeypatch.setenv("DYNAMODB_JOBS_TABLE", f"{dynamo}-Stack-JobsTable-X1")
    monkeypatch.setenv("DYNAMODB_REPOSITORIES_TABLE", f"{dynamo}-Stack-ReposTable-Y2")
    container.reset_singletons()
    assert "Stack-JobsTable-X1" in cody("store", "init").stdout
    client = boto3.client(
        "dynamodb", endpoint_url=container.settings().dynamodb_endpoint_url, region_name="us-east-1"
    )
    documents = DynamoDocuments(
        client, f"{dynamo}-Stack-JobsTable-X1", f"{dynamo}-Stack-ReposTable-Y2"
    )

    job_id = create(forge(tmp_path, 1))
    cody("job", "run", job_id)

    by_prefix = DynamoDocuments(client, f"{dynamo}-jobs", f"{dynamo}-repositories")
    assert get_job(documents, job_id)["status"] == "completed"
    assert by_prefix.job(job_id) is None and by_prefix.runs(job_id) == []
