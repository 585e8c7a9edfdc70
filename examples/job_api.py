"""A small HTTP API that embeds cody_core on the SQLite store: create jobs, list them, see one.

    CODY_HOME=/tmp/cody ALLOWED_REPOSITORIES='acme/*' GITHUB_TOKEN=... \\
        python examples/job_api.py --port 8080

    curl -s -X POST localhost:8080/jobs -d '{"name": "bump", "command": "make bump",
        "repositories": ["acme/api", "acme/web"]}'
    curl -s localhost:8080/jobs
    curl -s localhost:8080/jobs/<jobId>

A job made here runs as any other: `cody job run <jobId>` with the same CODY_HOME. Errors answer
JSON, {"error": "one line"}, with 400 (bad input) or 404 (no such job or path).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cody_cli.services import Services, build_services
from cody_cli.settings import Settings
from cody_core import CodyError, InputError, Job, RunStatus

MAX_BODY_BYTES = 1_000_000
FIELDS = {"name", "prompt", "command", "repositories"}
JOB_PATH = re.compile(r"/jobs/([^/]+)")

log = logging.getLogger("job_api")


class NotFound(Exception):
    """Answered with 404."""


class JobApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], services: Services) -> None:
        super().__init__(address, JobApiHandler)
        self.services = services


class JobApiHandler(BaseHTTPRequestHandler):
    server: JobApiServer

    def do_GET(self) -> None:
        self._answer(self._get)

    def do_POST(self) -> None:
        self._answer(self._post)

    def _get(self) -> tuple[int, Any]:
        if self.path == "/jobs":
            return 200, [job_summary(job) for job in self.server.services.jobs.list()]
        match = JOB_PATH.fullmatch(self.path)
        if match is None:
            raise NotFound(f"no such path {self.path}: GET /jobs or /jobs/<jobId>")
        return 200, self._status(match.group(1))

    def _post(self) -> tuple[int, Any]:
        if self.path != "/jobs":
            raise NotFound(f"no such path {self.path}: POST /jobs")
        name, repositories, fields = job_request(self._body())
        job = self.server.services.jobs.create(repositories, name=name, **fields)
        return 201, job_summary(job)

    def _status(self, job_id: str) -> dict[str, Any]:
        if self.server.services.store.get_job(job_id) is None:
            raise NotFound(f"no job {job_id}")
        job, runs = self.server.services.jobs.report(job_id)
        counts = Counter(run.status for run in runs)
        return {**job_summary(job), "runs": {str(s): counts[s] for s in RunStatus}}

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise InputError(f"the body is over {MAX_BODY_BYTES:,} bytes")
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError as exc:
            raise InputError(f"the body is not JSON: {exc}") from None

    def _answer(self, handle: Any) -> None:
        try:
            status, body = handle()
        except NotFound as exc:
            status, body = 404, {"error": str(exc)}
        except InputError as exc:
            status, body = 400, {"error": one_line(exc)}
        except CodyError as exc:
            status, body = 500, {"error": one_line(exc)}
        except Exception as exc:  # answered in one line, never a traceback
            log.error("%s %s failed: %s: %s", self.command, self.path, type(exc).__name__, exc)
            status, body = 500, {"error": f"internal error: {type(exc).__name__}"}
        payload = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s " + format, self.address_string(), *args)


def job_request(body: Any) -> tuple[str, list[str], dict[str, str]]:
    """The name, repositories and other fields of a POST /jobs body, or InputError."""
    if not isinstance(body, dict):
        raise InputError('the body must be a JSON object: {"name", "prompt" or "command", ...}')
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InputError(f"unknown fields {unknown}: a job takes {sorted(FIELDS)}")
    name, repositories = body.get("name"), body.get("repositories")
    if not isinstance(name, str) or not name.strip():
        raise InputError("name must be a non-empty string")
    if not isinstance(repositories, list) or not all(isinstance(r, str) for r in repositories):
        raise InputError('repositories must be a list of strings such as "owner/name"')
    given = {key: body[key] for key in ("prompt", "command") if body.get(key) is not None}
    if not given or not all(isinstance(value, str) for value in given.values()):
        raise InputError("give a prompt or a command (strings), or both")
    if "command" not in given:
        given["assistant"] = "claude"  # a prompt alone is for the assistant that reads it
    given.setdefault("prompt", given.get("command", ""))
    return name, repositories, given


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "jobId": job.job_id,
        "name": job.name,
        "status": str(job.status),
        "createdAt": job.to_document().get("createdAt"),
        "repositoryCount": job.repository_count,
        "completedCount": job.completed_count,
        "failedCount": job.failed_count,
        "skippedCount": job.skipped_count,
    }


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def make_server(host: str, port: int, services: Services | None = None) -> JobApiServer:
    """The API on (host, port), port 0 for any free one; the SQLite store unless given others."""
    return JobApiServer((host, port), services or build_services(Settings(cody_store="sqlite")))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    with make_server(args.host, args.port) as server:
        host, port = server.server_address[:2]
        print(f"listening on http://{host!s}:{port}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


if __name__ == "__main__":
    main()
