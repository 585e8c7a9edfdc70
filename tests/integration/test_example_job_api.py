"""examples/job_api.py on loopback: create, list and show jobs over HTTP on the SQLite store."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cody_cli.services import build_services
from cody_cli.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "job_api.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("job_api", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(url: str, body: bytes | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def post(base: str, document: Any) -> tuple[int, Any]:
    return call(f"{base}/jobs", json.dumps(document).encode())


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        cody_home=tmp_path,
        allowed_repositories="acme/*",
        github_token="t" * 40,
        cody_store="sqlite",
    )
    server = load_example().make_server("127.0.0.1", 0, build_services(settings))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_job_posted_is_listed_and_shows_its_status_with_its_counts(base: str) -> None:
    created = post(
        base, {"name": "bump", "command": "make bump", "repositories": ["acme/a", "acme/b"]}
    )
    status, job = created
    listed = call(f"{base}/jobs")
    shown = call(f"{base}/jobs/{job['jobId']}")

    assert status == 201
    assert (job["name"], job["status"], job["repositoryCount"]) == ("bump", "pending", 2)
    assert listed == (200, [job])
    assert shown[0] == 200
    assert shown[1]["runs"] == {
        "pending": 2,
        "in-progress": 0,
        "completed": 0,
        "failed": 0,
        "skipped": 0,
        "cancelled": 0,
    }


def test_every_job_posted_is_listed(base: str) -> None:
    ids = [
        post(base, {"name": f"j{i}", "command": "true", "repositories": ["acme/a"]})[1]["jobId"]
        for i in range(3)
    ]

    status, jobs = call(f"{base}/jobs")

    assert status == 200 and {job["jobId"] for job in jobs} == set(ids)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"command": "true", "repositories": ["acme/a"]}).encode(), "name"),
        (json.dumps({"name": "n", "repositories": ["acme/a"]}).encode(), "prompt or a command"),
        (json.dumps({"name": "n", "command": "true", "repositories": "acme/a"}).encode(), "list"),
        (json.dumps({"name": "n", "command": "t", "repositories": []}).encode(), "no repositories"),
        (json.dumps({"name": "n", "command": "t", "repositories": ["evil/x"]}).encode(), "ALLOWED"),
        (json.dumps({"name": "n", "command": "t", "repositories": ["a;b"]}).encode(), "a;b"),
        (json.dumps({"name": "n", "command": "t", "repositories": [], "x": 1}).encode(), "'x'"),
    ],
)
def test_bad_input_is_a_400_with_a_one_line_message(base: str, body: bytes, says: str) -> None:
    status, answer = call(f"{base}/jobs", body)

    assert status == 400
    assert says in answer["error"]
    assert "\n" not in answer["error"] and "Traceback" not in answer["error"]


@pytest.mark.parametrize(
    ("path", "says"), [("/jobs/no-such-job", "no job no-such-job"), ("/", "no such path /")]
)
def test_an_unknown_job_or_path_is_a_404(base: str, path: str, says: str) -> None:
    status, answer = call(f"{base}{path}")

    assert (status, answer) == (404, {"error": answer["error"]})
    assert answer["error"].startswith(says)


def test_the_documented_command_serves_on_the_port_it_is_given(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CODY_", "ALLOWED_"))},
        "CODY_HOME": str(tmp_path),
        "ALLOWED_REPOSITORIES": "acme/*",
        "GITHUB_TOKEN": "t" * 40,
    }
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.split()[-1]

        assert call(f"{url}/jobs") == (200, [])
        assert post(url, {"name": "n", "command": "true", "repositories": ["acme/a"]})[0] == 201
        assert call(f"{url}/jobs/x")[0] == 404
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    assert "Traceback" not in stderr
    assert (tmp_path / "cody.db").exists()  # the SQLite store, in CODY_HOME
