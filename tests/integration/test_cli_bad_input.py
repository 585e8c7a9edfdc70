"""Bad input and a broken set-up: one `error:` line, exit 2 (3: unreachable), nothing changed."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from cli_support import CREATE_WITHOUT_REPO, cody, create, forge, status
from cody_cli.job_commands import container


@pytest.fixture(params=["sqlite", "dynamodb"])
def any_store(request, env):
    """The test runs once on each store."""
    if request.param == "dynamodb":
        request.getfixturevalue("dynamo")
    return request.param


def one_line(result, code: int = 2) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def no_jobs() -> bool:
    return json.loads(cody("job", "list", "--json").stdout) == []


@pytest.mark.parametrize("option", ["--prompt-file", "--repos-file"])
@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00", b"text\x00more"])
def test_a_binary_prompt_or_repositories_file(tmp_path, env, option, content):
    binary = tmp_path / "file.bin"
    binary.write_bytes(content)
    args = ["job", "create", "--name", "n", "--command", "true", option, str(binary)]
    args += ["--repo", forge(tmp_path, 1)[0]] if option == "--prompt-file" else ["--prompt", "p"]

    line = one_line(cody(*args, ok=False))

    assert "is not UTF-8 text" in line and str(binary) in line
    assert not Path(env["CODY_HOME"]).exists()


def test_cody_home_that_is_a_file(tmp_path, env, monkeypatch):
    home = tmp_path / "home-file"
    home.write_text("not a directory\n")
    monkeypatch.setenv("CODY_HOME", str(home))
    container.reset_singletons()

    line = one_line(cody(*CREATE_WITHOUT_REPO, "--repo", forge(tmp_path, 1)[0], ok=False))

    assert f"CODY_HOME {home} is not a directory" in line
    assert home.read_text() == "not a directory\n"


def test_cody_home_that_is_not_writable(tmp_path, env, monkeypatch):
    # Root writes anywhere a mode forbids; sysfs refuses a new directory to root too.
    if os.geteuid() == 0:
        home = Path("/sys/cody-home")
    else:
        (tmp_path / "locked").mkdir(mode=0o555)
        home = tmp_path / "locked" / "home"
    monkeypatch.setenv("CODY_HOME", str(home))
    container.reset_singletons()

    line = one_line(cody(*CREATE_WITHOUT_REPO, "--repo", forge(tmp_path, 1)[0], ok=False))

    assert line.startswith(f"error: cannot create CODY_HOME {home}") and "writable" in line
    assert not home.exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_or_truncated_database(tmp_path, env, damage):
    repos = forge(tmp_path, 2)
    job_id = create(repos)
    database = Path(env["CODY_HOME"], "cody.db")
    container.store().close()
    container.reset_singletons()
    with sqlite3.connect(database) as connection:  # everything in the main file, then cut it
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = database.read_bytes()
    if damage == "garbage":
        database.write_bytes(b"this is not a database" * 500)
    else:
        database.write_bytes(data[: len(data) // 2])
    before = database.read_bytes()

    creating = (*CREATE_WITHOUT_REPO, "--repo", repos[0])
    for args in (("job", "status", job_id), ("job", "list"), creating, ("job", "run", job_id)):
        line = one_line(cody(*args, ok=False))
        assert f"{database} is not a usable SQLite database" in line and "move it aside" in line
    assert database.read_bytes() == before


def test_store_init_against_an_endpoint_that_refuses_connections(env, monkeypatch):
    monkeypatch.setenv("CODY_STORE", "dynamodb")
    monkeypatch.setenv("DYNAMODB_ENDPOINT", "http://127.0.0.1:9")  # discard: nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    container.reset_singletons()

    line = one_line(cody("store", "init", ok=False), code=3)

    assert "DynamoDB at http://127.0.0.1:9 cannot be reached" in line


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("é" * 300_000, "more than the limit of 100,000"),  # 600 KB: over DynamoDB's 400 KB item
        ("x" * 100_001, "more than the limit of 100,000"),
    ],
    ids=["600KB", "100001-characters"],
)
def test_a_prompt_over_the_limit_is_refused_the_same_on_both_stores(
    tmp_path, any_store, prompt, message
):
    prompt_file = tmp_path / "prompt.txt"
    prompt_file.write_text(prompt)
    repo = forge(tmp_path, 1)[0]
    args = ["job", "create", "--name", "n", "--command", "true", "--repo", repo]

    line = one_line(cody(*args, "--prompt-file", str(prompt_file), ok=False))

    assert message in line
    assert no_jobs()
    assert cody(*args, "--prompt", "x" * 100_000).stdout.strip()  # the limit itself is fine


def test_a_command_too_large_for_a_store_item_is_refused(tmp_path, any_store):
    repo = forge(tmp_path, 1)[0]

    line = one_line(cody("job", "create", "--name", "n", "--prompt", "p", "--repo", repo,
                         "--command", "true # " + "x" * 400_000, ok=False))  # fmt: skip

    assert "one job may" in line and no_jobs()


def test_more_than_100000_repositories_are_refused_at_create(tmp_path, env):
    listing = tmp_path / "repos.txt"
    listing.write_text("".join(f"acme/r{i}\n" for i in range(100_001)))

    line = one_line(cody(*CREATE_WITHOUT_REPO, "--repos-file", str(listing), ok=False))

    assert "at most 100,000 repositories" in line
    assert not Path(env["CODY_HOME"]).exists()


@pytest.mark.parametrize(
    "args",
    [
        ("job", "status", "nope"),
        ("job", "list"),
        ("job", "logs", "nope", "acme/x"),
        ("job", "diff", "nope"),
        ("job", "cancel", "nope"),
        ("job", "retry", "nope"),
    ],
)
def test_read_only_commands_and_unknown_jobs_create_nothing(env, args):
    cody(*args, ok=False)

    assert not Path(env["CODY_HOME"]).exists()


def test_allowlist_errors_suggest_a_pattern_of_the_refused_kind(tmp_path, env):
    outside = tmp_path / "elsewhere" / "repo.git"

    local = one_line(cody(*CREATE_WITHOUT_REPO, "--repo", str(outside), ok=False))
    github = one_line(cody(*CREATE_WITHOUT_REPO, "--repo", "acme/app", ok=False))

    assert f"a pattern such as {outside.parent}/*" in local and "owner/*" not in local
    assert "a pattern such as acme/*" in github
    assert "1 repository outside" in local


def test_usage_errors_are_one_line_too(env):
    assert "missing option '--name'" in one_line(cody("job", "create", "--prompt", "p", ok=False))
    line = one_line(cody("job", "create", "--name", "n", "--max-repos", "-1", ok=False))
    assert "-1 is not 0 or more" in line and "job create --help`" in line


def test_submit_refuses_a_local_store_and_calls_nothing(tmp_path, env):
    job_id = create(forge(tmp_path, 1))

    line = one_line(cody("job", "submit", job_id, ok=False))

    assert "CODY_STORE=dynamodb" in line and "SQLite" in line
    assert "batchJobId" not in status(job_id)


def test_a_choice_not_offered_is_named_with_the_choices_in_plain_words(env):
    line = one_line(cody("job", "merge", "any-job", "--method", "fast", ok=False))

    assert "invalid value for '--method': 'fast' is not one of 'squash', 'merge', 'rebase'" in line
    assert "Value error" not in line and line.endswith(" job merge --help`")


def test_repos_list_without_where_to_look_says_which_options_do(env):
    bare = one_line(cody("repos", "list", ok=False))
    narrowed = one_line(cody("repos", "list", "--topic", "python", ok=False))

    assert bare == narrowed
    assert "--org OWNER or --search QUERY" in bare
