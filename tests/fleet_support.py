"""A fleet of GitHub repositories on loopback for the CLI tests: bare repositories served over
git's smart HTTP, known to the REST fake (which merges in them), and helpers to read them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_support import GITHUB_TOKEN, cody
from cody_cli.job_commands import container
from forge import git, make_bare_repo
from git_http_server import GitHttpServer
from github_fake import FakePull, GitHubFake, OpenApi
from github_fake_lifecycle import FakeCheckRun

CHANGED = {"app.py": "x = old_call()\n", "README.md": "hi\n"}
UNCHANGED = {"app.py": "x = 1\n", "README.md": "hi\n"}


@dataclass
class Fleet:
    fake: GitHubFake
    git: GitHttpServer
    root: Path

    def add(self, name: str, files: dict[str, str] = CHANGED, owner: str = "octo", **more) -> str:
        bare = make_bare_repo(self.root / owner, f"{name}.git", files)
        self.fake.add_repository(f"{owner}/{name}", bare=bare, **more)
        return f"{owner}/{name}"

    def bare(self, repository: str) -> Path:
        return self.root / f"{repository}.git"

    def pulls(self, repository: str) -> list[FakePull]:
        return self.fake.repositories[repository].pulls

    def green(self, repository: str) -> None:
        """A passing check run on the head of each of the repository's pull requests."""
        for pull in self.pulls(repository):
            self.fake.add_checks(repository, pull.number, runs=(FakeCheckRun("ci"),))

    def main_log(self, repository: str) -> list[str]:
        return git("log", "--format=%s", "main", cwd=self.bare(repository)).splitlines()

    def merges(self, repository: str) -> list[int]:
        """Statuses of the answers to merge requests of one repository."""
        prefix = f"/repos/{repository}/pulls/"
        return [e.status for e in self.fake.requests("PUT") if e.path.startswith(prefix)]


@contextmanager
def github_fleet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openapi: OpenApi
) -> Iterator[Fleet]:
    fake = GitHubFake(GITHUB_TOKEN)
    server = GitHttpServer(tmp_path / "github", GITHUB_TOKEN)
    with server.running(), fake.running():
        monkeypatch.setenv("GITHUB_SERVER_URL", server.url)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("ALLOWED_REPOSITORIES", "octo/*,acme/*")
        monkeypatch.setenv("GITHUB_REQUEST_INTERVAL", "0")  # loopback: no need to be gentle
        monkeypatch.setenv("GITHUB_WRITE_INTERVAL", "0")
        container.reset_singletons()
        yield Fleet(fake, server, tmp_path / "github")
    assert openapi.undocumented(fake) == []
    assert server.leaks == []


def prs(job_id: str, ok: bool = True) -> dict:
    return json.loads(cody("job", "prs", job_id, "--json", ok=ok).stdout)


def by_repository(report: dict) -> dict[str, dict]:
    return {entry["repositoryName"]: entry for entry in report["repositories"]}
