"""What the fleet verbs print for people: 80 columns, names and URLs whole, closing lines and
exit codes like `cody job run`'s, counts in good grammar."""

from __future__ import annotations

import json

from cli_support import cody, create, forge, runs_of
from forge import make_bare_repo
from github_fake import Canned

PULL = "/repos/{owner}/{repo}/pulls/{pull_number}"
LONG = "a-service-whose-name-goes-on-and-on-well-past-what-one-line-can-hold"


def fits(text: str) -> bool:
    return max(len(line) for line in text.splitlines()) <= 80


def whole_on_a_line(text: str, value: str) -> bool:
    return any(value in line for line in text.splitlines())


def folded(text: str) -> str:
    """The lines of a table without their indents, joined: a folded value reads whole."""
    return "".join(line.strip() for line in text.splitlines())


def test_job_prs_fits_80_columns_and_cuts_no_repository_or_url(fleet, monkeypatch):
    short = [fleet.add(name) for name in ("api", "billing-service")]
    long = fleet.add(LONG)
    job_id = create([*short, long])
    cody("job", "run", job_id, "0")
    urls = {r["repositoryName"]: r["pullRequestUrl"] for r in runs_of(job_id).values()}
    monkeypatch.setenv("COLUMNS", "80")

    table = cody("job", "prs", job_id).stdout

    assert fits(table), table
    assert job_id in table.splitlines()[0]
    for repository in short:
        assert whole_on_a_line(table, repository) and whole_on_a_line(table, urls[repository])
    assert long in folded(table) and urls[long] in folded(table)  # folded, never cut
    assert table.rstrip().endswith("3 pull requests: 3 open")


def test_a_pull_request_that_could_not_be_read_says_why_on_its_own_row(fleet, monkeypatch):
    repositories = [fleet.add(name) for name in ("api", "web")]
    job_id = create(repositories)
    cody("job", "run", job_id, "0")
    gone = Canned(404, {"message": "Not Found"})

    fleet.fake.answer_next("GET", PULL, gone)
    piped = cody("job", "prs", job_id, code=1).stdout
    monkeypatch.setenv("COLUMNS", "80")
    fleet.fake.answer_next("GET", PULL, gone)
    narrow = cody("job", "prs", job_id, code=1).stdout

    (row,) = [line for line in piped.splitlines() if "octo/api" in line]
    assert row.startswith("open ") and row.endswith("GITHUB_TOKEN may not see it")  # one line
    assert len(piped.splitlines()) == 5  # title, header, two rows, counts
    assert fits(narrow) and "not-found: reading pull request #1 of octo/api" in " ".join(
        narrow.split()
    )
    assert whole_on_a_line(narrow, "octo/web")


def test_bulk_actions_fold_their_reasons_at_80_columns_and_one_line_each_when_piped(
    fleet, monkeypatch
):
    repositories = [fleet.add(name) for name in ("api", LONG)]
    job_id = create(repositories)
    cody("job", "run", job_id, "0")

    piped = cody("job", "merge", job_id).stdout
    monkeypatch.setenv("COLUMNS", "80")
    narrow = cody("job", "merge", job_id).stdout

    assert fits(narrow), narrow
    lines = piped.splitlines()
    assert len(lines) == 3  # a line each, the reason on it, and the counts
    for repository in repositories:
        (line,) = [line for line in lines if f" {repository} http" in line]
        assert line.startswith("not merged ") and line.endswith("--no-require-checks merges anyway")
    assert all(repository in folded(narrow) for repository in repositories)
    assert "--no-require-checks" in narrow
    assert narrow.splitlines()[-1] == "2 pull requests: 2 not merged"


def test_repos_list_fits_80_columns_with_names_whole(fleet, monkeypatch):
    fleet.fake.add_organization("acme")
    fleet.add("api", owner="acme", topics=["python", "service", "payments", "internal-tools"])
    fleet.add(LONG, owner="acme", fork=True)
    monkeypatch.setenv("COLUMNS", "80")

    listed = cody("repos", "list", "--org", "acme", "--include-forks")

    assert fits(listed.stdout), listed.stdout
    assert whole_on_a_line(listed.stdout, "acme/api")
    assert f"acme/{LONG}" in folded(listed.stdout)
    assert "internal-tools" in listed.stdout
    assert listed.stderr.strip() == "2 repositories"


def test_publish_closes_like_job_run_and_exits_1_when_a_repository_failed(tmp_path, env):
    good = forge(tmp_path, 1)[0]
    bad = str(make_bare_repo(tmp_path / "forge", "bad", {"app.py": "x = old_call()\n", "X": ""}))
    job_id = create([good, bad], "--no-create-prs", "--verify", "test ! -e X")
    cody("job", "run", job_id, "0")

    published = cody("job", "publish", job_id, "--require-verify", code=1)
    again = cody("job", "publish", job_id)

    assert "1 repository failed: the preview's verify command failed" in published.stderr
    assert "publishing 1 stored change\n" in published.stderr
    assert published.stdout.strip() == (
        f"{job_id} completed: 1 completed, 1 failed, 0 skipped or cancelled; "
        f"see why with `cody job status {job_id}`"
    )
    assert runs_of(job_id)[good]["pullRequestUrl"]
    assert again.stdout == "" and "nothing to publish" in again.stderr


def test_publish_of_a_clean_preview_exits_0_with_the_closing_line(tmp_path, env):
    repos = forge(tmp_path, 2)
    job_id = create(repos, "--no-create-prs")
    cody("job", "run", job_id, "0")

    published = cody("job", "publish", job_id)

    assert (
        published.stdout.strip()
        == f"{job_id} completed: 2 completed, 0 failed, 0 skipped or cancelled"
    )
    assert "publishing 2 stored changes" in published.stderr


def test_update_counts_in_good_grammar_and_says_when_no_option_changed(tmp_path, env):
    repos = forge(tmp_path, 1)
    job_id = create(repos)
    cody("job", "run", job_id)

    updated = cody("job", "update", job_id, "--name", "renamed")
    cody("job", "run", job_id, "0")
    again = cody("job", "update", job_id)

    assert updated.stdout.strip() == (
        f"1 repository back to pending: `cody job run {job_id} 0` applies the update"
    )
    assert updated.stderr == ""
    assert json.loads(cody("job", "status", job_id, "--json").stdout)["name"] == "renamed"
    assert "no option given: the job's own options apply again" in again.stderr
