"""What cody prints for people: 80 columns, whole ids, plain help, counts in good grammar."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from cli_support import cody, create, forge
from cody_cli.app import app

COMMANDS = [
    ("run",), ("demo",), ("store", "init"),
    *[("job", name) for name in ("create", "run", "submit", "status", "list", "cancel", "retry",
                                 "diff", "conversation", "logs")],
]  # fmt: skip


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


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_reads_well_at_80_columns(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    text = cody(*command, "--help").stdout

    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert not re.search(r"<\w+>|<list\[|int range|x>=|\{[A-Z_]+\}", text), text  # plain metavars
    assert "Example:" in text and "Reads " in text and "CODY" in text


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
