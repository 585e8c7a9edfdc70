"""What cody prints for people: 80 columns, whole ids, plain help, counts in good grammar."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from cli_support import cody, create, forge
from cody_cli.app import app
from cody_cli.group import PlainCommand

README = Path(__file__).parents[2] / "README.md"


def command_tree(
    group: TyperGroup, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], object]]:
    """Every group and command under `group`, with the words that call it."""
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from command_tree(command, (*path, name))
        else:
            yield (*path, name), command


TREE = dict(command_tree(typer.main.get_command(app)))  # type: ignore[arg-type]
COMMANDS = [path for path, command in TREE.items() if not isinstance(command, TyperGroup)]
GROUPS = [path for path, command in TREE.items() if isinstance(command, TyperGroup)]


def configured_variables() -> list[str]:
    """The variables the README's Configuration table names."""
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)]


def test_job_list_shows_whole_ids_at_80_columns_and_when_piped(tmp_path, env, monkeypatch):
    repos = forge(tmp_path, 1)
    ids = [create(repos, "--name", "a rather long name " * 4) for _ in range(2)]

    monkeypatch.setenv("COLUMNS", "80")
    narrow = cody("job", "list").stdout
    monkeypatch.delenv("COLUMNS")
    piped = subprocess.run(
        [sys.executable, "-m", "cody_cli", "job", "list"], capture_output=True, text=True
    ).stdout

    for output in (narrow, piped):
        assert all(re.search(rf"^{job_id}\s", output, re.MULTILINE) for job_id in ids), output
    assert max(len(line) for line in narrow.splitlines()) <= 80, narrow


def test_job_status_fits_80_columns_and_cuts_nothing(tmp_path, env, monkeypatch):
    repos = forge(tmp_path, 2)
    job_id = create(repos, "--command", "exit 3")
    cody("job", "run", job_id, code=1)
    monkeypatch.setenv("COLUMNS", "80")

    table = cody("job", "status", job_id).stdout

    assert max(len(line) for line in table.splitlines()) <= 80, table
    assert job_id in table
    joined = "".join(line.strip() for line in table.splitlines())
    assert all(repo in joined for repo in repos)  # folded, never cut
    assert table.rstrip().endswith("2 repositories: 2 failed")


def test_the_help_test_covers_every_command_of_the_app():
    assert {("job", "merge"), ("job", "update"), ("repos", "list"), ("store", "init")} <= set(
        COMMANDS
    )
    assert {(), ("job",), ("repos",), ("store",)} <= set(GROUPS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_reads_well_at_80_columns(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    text = cody(*command, "--help").stdout
    usage = text.splitlines()[0]

    assert isinstance(TREE[command], PlainCommand), command
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert not re.search(r"<[^\s>]+>|int range|x>=", text), text  # plain metavars
    assert re.fullmatch(rf"Usage: \S+ {' '.join(command)} \[OPTIONS\]( \[?[A-Z_]+\]?)*", usage), (
        usage
    )
    assert "Example:" in text and f"cody {' '.join(command)}" in text.split("Example:")[1]
    reads = re.search(r"Reads ([A-Z0-9_*, ]+) \(README: Configuration\)\.", " ".join(text.split()))
    assert reads, text
    known = configured_variables()
    for name in reads.group(1).split(", "):
        assert fnmatch.filter(known, name), f"{name} is not in the README's Configuration"


@pytest.mark.parametrize("group", GROUPS, ids=lambda path: " ".join(("cody", *path)))
def test_command_lists_show_each_summary_whole_at_80_columns(group, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    text = cody(*group, "--help").stdout

    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "..." not in text.split("Commands:")[1], text  # click cut a summary short


def test_required_options_say_so_and_cody_has_a_version(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    text = cody("job", "create", "--help").stdout
    flat = " ".join(text.split())

    assert "--name TEXT A short name for the job. [required]" in flat
    assert "--prompt TEXT What to change, in words. [required, or --prompt-file]" in flat
    assert "--max-repos N" in flat and "--max-files N" in flat and "--protect GLOB" in flat
    assert re.fullmatch(r"cody \d+\.\d+\.\d+\S*\n", cody("--version").stdout)
    assert app.info.help


def test_counts_are_in_good_grammar(tmp_path, env):
    repos = forge(tmp_path, 1)
    job_id = create(repos, "--no-create-prs")
    cody("job", "run", job_id)

    assert "1 file changed" in cody("job", "logs", job_id, repos[0]).stdout
    assert "1 repository: 1 completed" in cody("job", "status", job_id).stdout
    assert cody("job", "retry", job_id).stdout.strip() == "0 repositories back to pending"


def test_job_diff_says_when_there_is_nothing_to_show(tmp_path, env):
    repos = forge(tmp_path, 1, changed=0)
    job_id = create(repos)

    before = cody("job", "diff", job_id)
    cody("job", "run", job_id)
    after = cody("job", "diff", job_id)

    assert before.stdout == "" and after.stdout == ""
    assert f"no diff: job {job_id} has not run yet: `cody job run {job_id}`" in before.stderr
    assert "changed nothing" in after.stderr
