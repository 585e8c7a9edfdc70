"""The hostile suite's stage: a forge of hostile repositories, a cody process holding secrets in
its environment, its HOME and its working directory, listeners on loopback, and what to look
at afterwards (what was pushed, what was looted, what still runs)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import sysconfig
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyseccomp

import cody_adapters
from forge import git, make_bare_repo

ATTACK = Path(__file__).parent / "hostile" / "attack.py"
APP = {"app.py": "x = old_call()\n", "README.md": "hi\n"}
# Every secret the cody process can reach, by where it is: each must stay out of what an
# attack can push.
SECRETS = {
    "GITHUB_TOKEN": "ghp_" + "H0st1leSu1te" * 3,
    "CLAUDE_API_KEY": "sk-ant-api03-" + "H0st1le" * 6,
    "AWS_SECRET_ACCESS_KEY": "SECRETKEY" + "aws0" * 8,
    "dotenv": "SECRETKEY-dotenv-" + "d0t" * 8,
    "aws_file": "SECRETKEY-awsfile-" + "f1l3" * 6,
    "netrc": "SECRETKEY-netrc-" + "n3t" * 8,
    "ssh_key": "SECRETKEY-ssh-" + "k3y" * 8,
    "gh_hosts": "ghp_" + "GhH0stsF1le" * 3,
    "git_credentials": "ghp_" + "Cr3dent1als" * 3,
}
SYSCALLS = ("ptrace", "io_uring_setup", "add_key")


@dataclass
class Listeners:
    """TCP, UDP, abstract unix and proxy listeners on loopback, counting what reaches them."""

    tcp: socket.socket
    udp: socket.socket
    abstract: socket.socket
    proxy: socket.socket
    abstract_name: str
    hits: dict[str, int] = field(default_factory=dict)

    def ports(self) -> dict[str, Any]:
        return {
            "tcp_port": self.tcp.getsockname()[1],
            "udp_port": self.udp.getsockname()[1],
            "proxy_port": self.proxy.getsockname()[1],
            "abstract": self.abstract_name,
        }

    def reached(self) -> dict[str, int]:
        try:
            while self.udp.recv(100):
                self.hits["udp"] = self.hits.get("udp", 0) + 1
        except BlockingIOError:
            pass
        return {name: count for name, count in self.hits.items() if count}


@contextmanager
def listening() -> Iterator[Listeners]:
    with ExitStack() as stack:
        tcp, proxy = (stack.enter_context(socket.socket()) for _ in range(2))
        udp = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        abstract = stack.enter_context(socket.socket(socket.AF_UNIX))
        name = f"cody-hostile-{uuid.uuid4().hex}"
        for listener, address in ((tcp, ("127.0.0.1", 0)), (proxy, ("127.0.0.1", 0))):
            listener.bind(address)
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        abstract.bind("\0" + name)
        listeners = Listeners(tcp, udp, abstract, proxy, name)
        for label, listener in (("tcp", tcp), ("abstract", abstract), ("proxy", proxy)):
            listener.listen()
            threading.Thread(target=_count, args=(listener, label, listeners), daemon=True).start()
        yield listeners


def _count(listener: socket.socket, label: str, listeners: Listeners) -> None:
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        listeners.hits[label] = listeners.hits.get(label, 0) + 1
        connection.close()


@dataclass
class Scene:
    root: Path
    temp_dir: Path
    tier: str
    listeners: Listeners
    marker: str = field(default_factory=lambda: f"cody-hostile-{uuid.uuid4().hex[:12]}")

    def __post_init__(self) -> None:
        self.forge = self.root / "forge"
        self.cody_home = self.root / "cody-home"
        self.home = self.root / "user-home"  # the HOME of the user cody runs as
        self.cwd = self.root / "project"  # cody's working directory, with a .env
        self.canary = self.root / "canary"  # what planted code would leave
        self.decoy = make_bare_repo(self.root, "decoy.git", {"decoy.txt": "decoy\n"})
        _write_home(self.home)
        self.cwd.mkdir()
        (self.cwd / ".env").write_text(f"DOTENV_SECRET={SECRETS['dotenv']}\n")

    def repo(
        self,
        name: str,
        files: dict[str, str] | None = None,
        root: Path | None = None,
        url: str | None = None,
    ) -> str:
        """A hostile repository `name` (under `root`, cloned from `url` when they are given)."""
        bare = (root or self.forge) / f"{name}.git"
        targets = {
            "cody_home": str(self.cody_home),
            "temp_dir": str(self.temp_dir),
            "home": str(self.home),
            "cody_cwd": str(self.cwd),
            "marker": self.marker,
            "canary": str(self.canary),
            "site_packages": sysconfig.get_paths()["purelib"],
            "cody_source": cody_adapters.__file__,
            "decoy": str(self.decoy),
            "origin_url": url or f"file://{bare}",
            "syscalls": {n: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, n) for n in SYSCALLS},
            **self.listeners.ports(),
        }
        content = {**APP, "attack.py": ATTACK.read_text(), "targets.json": json.dumps(targets)}
        return str(make_bare_repo(bare.parent, bare.name, {**content, **(files or {})}))

    def cody(self, *args: str, **environment: str) -> subprocess.CompletedProcess[str]:
        """The cody command as a process of its own: its environment, HOME and working
        directory hold the secrets, as a worker's would."""
        env = {
            "PATH": os.environ["PATH"],
            "LANG": "C.UTF-8",
            "HOME": str(self.home),
            "CODY_HOME": str(self.cody_home),
            "TEMP_DIR": str(self.temp_dir),
            "CODY_SANDBOX": self.tier,
            "ALLOWED_REPOSITORIES": f"{self.forge}/*",
            **{name: value for name, value in SECRETS.items() if name.isupper()},
            **environment,
        }
        return subprocess.run(
            [sys.executable, "-m", "cody_cli", *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )

    def run(self, *repos: str, command: str, verify: str | None = None, **options: str) -> Job:
        args = ["run", "--name", "hostile", "--prompt", "p", "--command", command, "--json"]
        args += [part for repo in repos for part in ("--repo", repo)]
        if verify:
            args += ["--verify", verify]
        for name, value in options.items():  # a value of "" is a flag without one
            args += [f"--{name.replace('_', '-')}", *([value] if value else [])]
        done = self.cody(*args)
        assert done.returncode == 0, done.stderr[-3000:]
        return Job(self, json.loads(done.stdout))

    def attack(self, name: str, *repos: str, **options: str) -> Job:
        """Run attack `name` as the command, then the honest codemod (so there is a push)."""
        repos = repos or (self.repo(f"target-{uuid.uuid4().hex[:8]}"),)
        return self.run(*repos, command=f"python3 attack.py {name} sed", **options)


@dataclass
class Job:
    scene: Scene
    document: dict[str, Any]

    @property
    def runs(self) -> list[dict[str, Any]]:
        return self.document["repositories"]

    def run_of(self, repo: str) -> dict[str, Any]:
        (found,) = [r for r in self.runs if r["repositoryName"] == repo]
        return found

    def pushed(self, repo: str) -> dict[str, bytes]:
        """The files of the commit pushed for `repo`, by path."""
        run = self.run_of(repo)
        assert run["status"] == "completed" and run.get("commitSha"), run
        sha = run["commitSha"]
        names = git("ls-tree", "-r", "--name-only", sha, cwd=Path(repo)).splitlines()
        return {n: _show(repo, sha, n) for n in names}

    def report(self, repo: str) -> dict[str, Any]:
        found = json.loads(self.pushed(repo)["report.json"])
        assert found.get("ran") and "error" not in found, found  # the attack itself ran
        return found

    def looted(self, repo: str) -> bytes:
        encoded = self.pushed(repo).get("loot.b64", b"")
        return b"\n".join(base64.b64decode(line) for line in encoded.splitlines())

    def leaks(self, *extra: str, among: tuple[str, ...] = ()) -> set[str]:
        """Which secrets (and `extra` values) reached what was pushed, plainly or base64
        encoded; from the repositories `among`, or from every repository of the job."""
        values = {**SECRETS, **{value: value for value in extra}}
        found = set()
        for repo in among or [run["repositoryName"] for run in self.runs]:
            blobs = [self.looted(repo), *self.pushed(repo).values()]
            for name, value in values.items():
                if any(value.encode() in blob for blob in blobs):
                    found.add(name)
        return found


def _show(repo: str, sha: str, name: str) -> bytes:
    return subprocess.run(
        ["git", "show", f"{sha}:{name}"], cwd=repo, capture_output=True, check=True
    ).stdout


def _write_home(home: Path) -> None:
    files = {
        ".aws/credentials": f"[default]\naws_secret_access_key = {SECRETS['aws_file']}\n",
        ".netrc": f"machine github.com login x password {SECRETS['netrc']}\n",
        ".ssh/id_ed25519": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRETS['ssh_key']}\n",
        ".config/gh/hosts.yml": f"github.com:\n    oauth_token: {SECRETS['gh_hosts']}\n",
        ".gitconfig": "[credential]\n\thelper = store\n",
        ".git-credentials": f"https://x-access-token:{SECRETS['git_credentials']}@github.com\n",
        ".bashrc": "# the user's own\n",
    }
    for name, text in files.items():
        path = home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
