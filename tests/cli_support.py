"""Running the cody command in tests, on a forge of local bare repositories."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cody_adapters.local.sample_forge import make_bare_repo
from cody_cli.app import app

GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5" * 3 + "xyz123"
CLAUDE_KEY = "sk-ant-api03-" + "Zz9" * 12
CREATE_WITHOUT_REPO = ("job", "create", "--name", "n", "--prompt", "p", "--command", "true")
CODEMOD = "sed -i 's/old_call/new_call/g' app.py"


def forge(tmp_path: Path, count: int, changed: int | None = None) -> list[str]:
    """`count` repositories; the first `changed` of them contain the call the codemod renames."""
    changed = count if changed is None else changed
    return [
        str(
            make_bare_repo(
                tmp_path / "forge",
                f"repo-{i:02d}",
                {"app.py": "x = old_call()\n" if i < changed else "x = 1\n", "README.md": "hi\n"},
            )
        )
        for i in range(count)
    ]


def cody(*args: str, ok: bool = True, code: int = 0):
    """Run cody in-process; unless `ok` is False, its exit code must be `code`."""
    result = CliRunner().invoke(app, list(args))
    if ok:
        assert result.exit_code == code, (result.output, result.exception)
    return result


def create(repos: list[str], *extra: str) -> str:
    repo_args = [arg for repo in repos for arg in ("--repo", repo)]
    result = cody(
        "job",
        "create",
        "--name",
        "rename",
        "--prompt",
        "rename old_call",
        "--command",
        CODEMOD,
        *repo_args,
        *extra,
    )
    return result.stdout.strip()


def status(job_id: str) -> dict:
    return json.loads(cody("job", "status", job_id, "--json").stdout)


def pull_request_files(env) -> list[Path]:
    return sorted(Path(env["CODY_HOME"], "pulls").rglob("*.json"))


def runs_of(job_id: str) -> dict[str, dict]:
    """The job's runs by repository name, as `cody job status --json` reports them."""
    return {run["repositoryName"]: run for run in status(job_id)["repositories"]}
