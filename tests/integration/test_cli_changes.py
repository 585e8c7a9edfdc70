"""What a change may be: guardrails the user sets, and any file name git accepts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cli_support import cody, create, runs_of
from cody_adapters.local.sample_forge import make_bare_repo
from forge import git_env

FILES = {f"m{i}.py": "".join(f"old_call({n})\n" for n in range(10)) for i in range(3)}
EVERY_FILE = "sed -i 's/old_call/new_call/' m0.py m1.py m2.py"


@pytest.fixture
def repo(tmp_path) -> str:
    files = {**FILES, ".github/workflows/ci.yml": "on: push\n", "docs/a.md": "a\n"}
    return str(make_bare_repo(tmp_path / "forge", "repo", files))


def outcome(job_id: str) -> dict:
    return next(iter(runs_of(job_id).values()))


@pytest.mark.parametrize(
    ("command", "refusing", "lifting", "flag"),
    [
        (EVERY_FILE, ["--max-files", "2"], ["--max-files", "3"], "--max-files"),
        # 30 lines modified: 30 changed, not 60 (added plus removed)
        (EVERY_FILE, ["--max-lines", "29"], ["--max-lines", "30"], "--max-lines"),
        ("echo x >> .github/workflows/ci.yml", [], ["--allow-protected", ".github/**"],
         "--allow-protected"),
        ("echo x >> docs/a.md", ["--protect", "docs/**"], [], "--allow-protected"),
    ],
    ids=["files", "lines", "workflow", "protect"],
)  # fmt: skip
def test_a_refusal_names_the_flag_and_the_flag_lifts_it(
    repo, env, command, refusing, lifting, flag
):
    refused = create([repo], "--command", command, "--no-create-prs", *refusing)
    allowed = create([repo], "--command", command, "--no-create-prs", *lifting)

    cody("job", "run", refused, code=1)
    cody("job", "run", allowed)

    run = outcome(refused)
    assert (run["status"], run["error"]["kind"]) == ("failed", "guardrail")
    assert flag in run["error"]["message"]
    assert outcome(allowed)["status"] == "completed"


def test_cody_run_takes_the_guardrail_options_too(repo, env):
    result = cody("run", "--name", "n", "--prompt", "p", "--command", EVERY_FILE, "--repo", repo,
                  "--no-create-prs", "--max-files", "2", code=1)  # fmt: skip

    assert "--max-files" in result.output


@pytest.fixture(params=["sqlite", "dynamodb"])
def any_store(request, env):
    if request.param == "dynamodb":
        request.getfixturevalue("dynamo")
    return request.param


def test_a_file_name_that_is_not_utf8_is_stored_shown_and_pushed(tmp_path, env, any_store):
    bare = make_bare_repo(tmp_path / "forge", "latin", {"README.md": "hi\n"})
    latin1_name = r"""printf 'caf\351\n' > "$(printf 'caf\351.txt')" """
    job_id = create([str(bare)], "--command", latin1_name)

    cody("job", "run", job_id)

    report = json.loads(cody("job", "status", job_id, "--json").stdout)  # valid JSON
    run = report["repositories"][0]
    assert run["status"] == "completed", run.get("error")
    assert run["changedFiles"] == ["caf\\xe9.txt"]
    assert "1 file +1 -0" in cody("job", "status", job_id).stdout
    assert "1 file changed" in cody("job", "logs", job_id, str(bare)).stdout
    patch = cody("job", "diff", job_id).stdout_bytes
    assert b"caf\xe9.txt" in patch  # the patch keeps the real bytes: `git apply` takes it
    tree = ["git", "ls-tree", "-z", "--name-only", f"cody/{job_id}"]
    pushed = subprocess.run(tree, cwd=bare, env=git_env(), capture_output=True, check=True)
    assert b"caf\xe9.txt" in pushed.stdout.split(b"\0")
    pulls = [json.loads(p.read_text()) for p in Path(env["CODY_HOME"], "pulls").rglob("*.json")]
    assert len(pulls) == 1 and "caf\\xe9.txt" in pulls[0]["body"]
