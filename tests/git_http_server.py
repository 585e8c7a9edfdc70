"""Git's smart HTTP protocol on loopback: `git http-backend` behind http.server, token required.

Every request must carry `Authorization: Basic base64(x-access-token:TOKEN)`; anything else is
answered 401 with a WWW-Authenticate challenge, as GitHub does, so a git that may not prompt
fails. While git waits for each answer, the server reads the command line of every process on
the machine (Linux /proc): a token passed in argv would show up there.

`remote_error` makes the server answer every authorized request with git's ERR packet,
which git prints: a hostile or broken server putting secrets into git's error text.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from forge import git_env
from loopback import serving

PROC = Path("/proc")


@dataclass(frozen=True)
class GitRequest:
    method: str
    target: str  # the request line's path and query, as received
    authorized: bool
    status: int


@dataclass
class GitHttpServer:
    """Serves the bare repositories under `root` (root/owner/name.git) to holders of `token`."""

    root: Path
    token: str = field(repr=False)
    requests: list[GitRequest] = field(default_factory=list)
    git_command_lines: list[bytes] = field(default_factory=list)  # git processes seen waiting
    leaks: list[bytes] = field(default_factory=list)  # command lines that held a secret
    remote_error: str | None = None
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def secrets(self) -> list[bytes]:
        return secret_forms(self.token)

    def authorized(self, header: str | None) -> bool:
        return header == f"Basic {self.secrets[1].decode()}"

    @contextmanager
    def running(self) -> Iterator[GitHttpServer]:
        server = self

        class Handler(_Handler):
            git = server

        with serving(Handler) as self._server:
            yield self

    def inspect_processes(self) -> None:
        """Record git's command lines, and any command line at all that holds a secret."""
        if not PROC.is_dir():
            return
        for entry in PROC.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command_line = (entry / "cmdline").read_bytes()
            except OSError:  # the process ended, or is not ours to read
                continue
            if any(secret in command_line for secret in self.secrets):
                self.leaks.append(command_line)
            if command_line.split(b"\0")[0].rsplit(b"/", 1)[-1].startswith(b"git"):
                self.git_command_lines.append(command_line)


class _Handler(BaseHTTPRequestHandler):
    git: GitHttpServer

    def do_GET(self) -> None:
        self.git.inspect_processes()
        authorized = self.git.authorized(self.headers.get("Authorization"))
        body = self._body()
        if not authorized:
            status, headers, content = 401, {"WWW-Authenticate": 'Basic realm="GitHub"'}, b""
        elif self.git.remote_error is not None:
            status, headers, content = (
                200,
                self._advertisement(),
                _packet(f"ERR {self.git.remote_error}"),
            )
        else:
            status, headers, content = self._backend(body)
        self.git.requests.append(GitRequest(self.command, self.path, authorized, status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_POST = do_GET

    def _advertisement(self) -> dict[str, str]:
        service = urlsplit(self.path).query.removeprefix("service=") or "git-upload-pack"
        return {"Content-Type": f"application/x-{service}-advertisement"}

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()  # the empty trailer
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _backend(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(self.path)
        env = git_env()
        env.update(
            GIT_PROJECT_ROOT=str(self.git.root),
            GIT_HTTP_EXPORT_ALL="1",
            GATEWAY_INTERFACE="CGI/1.1",
            REQUEST_METHOD=self.command,
            PATH_INFO=parts.path,
            QUERY_STRING=parts.query,
            CONTENT_TYPE=self.headers.get("Content-Type", ""),
            CONTENT_LENGTH=str(len(body)),
            REMOTE_USER="x-access-token",  # lets http-backend accept pushes
            REMOTE_ADDR="127.0.0.1",
            GIT_PROTOCOL=self.headers.get("Git-Protocol", ""),
            HTTP_CONTENT_ENCODING=self.headers.get("Content-Encoding", ""),
        )
        result = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, content = result.stdout.partition(b"\r\n\r\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(": ")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers[name] = value
        return status, headers, content

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def _packet(text: str) -> bytes:
    data = text.encode()
    return f"{len(data) + 4:04x}".encode() + data


def secret_forms(token: str) -> list[bytes]:
    """The token as Cody holds it and as git sends it (basic auth as x-access-token)."""
    return [token.encode(), base64.b64encode(f"x-access-token:{token}".encode())]


def files_holding(roots: Iterable[Path], needles: list[bytes]) -> list[Path]:
    """Every file under the roots (a database and artifacts included) holding one of `needles`."""
    return [
        path
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink() and any(n in path.read_bytes() for n in needles)
    ]
