"""build_services: what `cody` wires, for a program without the CLI, on the real SQLite store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cody_cli.services import Services, build_services
from cody_cli.settings import Settings
from cody_core import JobService, JobStatus

EMBEDDER = """
import json, sys
from cody_cli.services import build_services

services = build_services()
job = services.jobs.create(["acme/api", "acme/web"], name="bump", prompt="Bump", command="true")
listed = [j.job_id for j in services.jobs.list()]
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"typer", "rich", "click", "boto3"})
print(json.dumps({"job": job.job_id, "listed": listed, "heavy": heavy}))
"""


def settings(home: Path) -> Settings:
    return Settings(cody_home=home, allowed_repositories="acme/*", github_token="t" * 40)


def test_a_program_builds_the_services_from_the_environment_without_typer_rich_or_boto3(
    tmp_path: Path,
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CODY_", "ALLOWED_"))},
        "CODY_HOME": str(tmp_path),
        "ALLOWED_REPOSITORIES": "acme/*",
        "GITHUB_TOKEN": "t" * 40,
    }

    result = subprocess.run(
        [sys.executable, "-c", EMBEDDER], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["listed"] == [out["job"]]
    assert out["heavy"] == []  # boto3 waits until a program submits to AWS Batch
    assert (tmp_path / "cody.db").exists()


def test_given_settings_choose_the_store_and_every_service_shares_it(tmp_path: Path) -> None:
    services = build_services(settings(tmp_path))
    job = services.jobs.create(["acme/api"], name="n", prompt="p", command="true")

    again = build_services(settings(tmp_path))

    assert isinstance(services, Services) and isinstance(services.jobs, JobService)
    assert services.jobs is services.jobs  # each is built once
    assert again.jobs.get(job.job_id).status == JobStatus.PENDING
    assert [j.job_id for j in services.store.list_jobs()] == [job.job_id]
    assert services.jobs.cancel(job.job_id).status == JobStatus.CANCELLED
    assert again.updates.update(job.job_id, {"description": "again"})[0].status == "pending"
    for name in ("processor", "selector", "tracking", "pull_request_actions", "publishing"):
        assert getattr(services, name) is not None
