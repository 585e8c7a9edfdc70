"""SubprocessCommandRunner running real shell commands, under every sandbox tier."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from cody_adapters.process.runner import SubprocessCommandRunner
from cody_adapters.shared.files import remove_tree
from cody_core.errors import CodyError
from sandbox_support import sandbox_of, scratch_checkout

SECRET = "s3cr3t-t0ken-value"
# A process that waits a long time and carries `{marker}` on its command line.
LONG = 'python3 -c "import time; time.sleep(30)" {marker}'


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:  # gone (ENOENT), or going (ESRCH)
        return False
    return state != "Z"


def gone_soon(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def processes_with(marker: str) -> list[int]:
    """Live processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture
def sandbox(tier, reachable_tmp):
    return sandbox_of(tier, reachable_tmp)


@pytest.fixture
def work(sandbox, reachable_tmp):
    """An empty checkout of the sandbox's tier."""
    area = scratch_checkout(sandbox, reachable_tmp)
    yield area.work
    sandbox.close_area(area)


def runner(sandbox, **options) -> SubprocessCommandRunner:
    return SubprocessCommandRunner(sandbox, **options)


def test_runs_in_the_checkout_with_stderr_merged_and_the_exit_code(sandbox, work):
    result = runner(sandbox).run("pwd; echo oops >&2; exit 3", work, timeout=10)

    assert result.exit_code == 3
    assert not result.ok
    assert result.output.splitlines() == [str(work), "oops"]


def test_the_runner_names_its_tier(sandbox, tier):
    assert runner(sandbox).sandbox == tier


def test_stdin_is_empty_so_a_reading_command_does_not_wait(sandbox, work):
    result = runner(sandbox).run("cat; echo done", work, timeout=10)

    assert result.ok
    assert result.output == "done\n"


def test_timeout_kills_the_command_and_what_it_started(sandbox, work):
    marker = f"cody-timeout-{os.getpid()}-{time.monotonic_ns()}"
    started = time.monotonic()
    result = runner(sandbox).run(f"{LONG.format(marker=marker)} & sleep 30", work, timeout=0.5)

    assert result.timed_out and not result.ok
    assert time.monotonic() - started < 10
    assert processes_with(marker) == []


@pytest.mark.parametrize(
    "escape",
    [
        "{long} &",
        "setsid {long} &",
        "( ( {long} & ) & );",
        "setsid sh -c 'setsid {long} &' &",
    ],
    ids=["background", "setsid", "double-fork", "setsid-twice"],
)
def test_nothing_the_command_started_outlives_it(sandbox, work, escape):
    marker = f"cody-escape-{os.getpid()}-{time.monotonic_ns()}"
    started = time.monotonic()

    result = runner(sandbox).run(
        f"{escape.format(long=LONG.format(marker=marker))} sleep 0.5; echo finished", work, 60
    )

    assert result.ok, result.output
    assert result.output == "finished\n"
    assert time.monotonic() - started < 10
    assert processes_with(marker) == []


def test_secrets_and_git_configuration_are_not_in_the_environment(sandbox, work, monkeypatch):
    hidden = {
        "GITHUB_TOKEN": "ghp_x",
        "GH_TOKEN": "gh_x",
        "CLAUDE_API_KEY": "claude_x",
        "ANTHROPIC_API_KEY": "anthropic_x",
        "ANTHROPIC_BASE_URL": "https://example.invalid",
        "AWS_SECRET_ACCESS_KEY": "aws_x",
        "AWS_SESSION_TOKEN": "aws_session_x",
        "NPM_TOKEN": "npm_x",
        "GIT_CONFIG_GLOBAL": "/tmp/evil",
        "GIT_CONFIG_PARAMETERS": "'core.pager'='evil'",
        "GIT_DIR": "/tmp/elsewhere",
        "INNOCENT_LOOKING": SECRET,
        "EMBEDDED": f"prefix-{SECRET}-suffix",
        "CODY_HOME": "/srv/cody",
        "CODY_ARTIFACTS": "s3://bucket/runs",
        "TEMP_DIR": "/srv/checkouts",
        "SSH_AUTH_SOCK": "/run/agent.sock",
        "XDG_CONFIG_HOME": "/root/.config",
        "VIRTUAL_ENV": "/opt/cody",
        "OLDPWD": "/srv/cody",
    }
    for name, value in hidden.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KEEP_ME", "visible")
    run = runner(sandbox, secret_values=[SECRET]).run

    output = run("env", work, 10, env={"CODY_JOB_ID": "job-1"}).output
    names = {line.split("=", 1)[0] for line in output.splitlines()}

    assert names.isdisjoint(set(hidden) - {"GIT_CONFIG_GLOBAL"})
    assert "GIT_CONFIG_GLOBAL" not in names
    assert {"KEEP_ME", "PATH", "GIT_TERMINAL_PROMPT", "CODY_JOB_ID"} <= names
    assert "GIT_TERMINAL_PROMPT=0" in output and "CODY_JOB_ID=job-1" in output
    assert SECRET not in output and "/srv/" not in output


def test_home_and_tmpdir_are_fresh_empty_and_the_commands_own(sandbox, work, monkeypatch):
    monkeypatch.setenv("HOME", str(Path.home()))
    run = runner(sandbox).run
    script = (
        'echo "$HOME $TMPDIR"; ls -A "$HOME" "$TMPDIR" | grep -v : ; '
        'touch "$HOME/.bashrc" "$TMPDIR/x"'
    )

    first = run(script, work, 10)
    second = run(script, work, 10)

    assert first.ok and second.ok, (first.output, second.output)
    home, tmp = first.output.splitlines()[0].split()
    assert home != str(Path.home()) and not Path(home).is_relative_to(Path.home())
    listed = [line for line in (first.output + second.output).splitlines()[1:] if line]
    assert listed == [f"{home} {tmp}"]  # the second run printed its paths and saw nothing


def test_output_keeps_only_the_last_characters(sandbox, work):
    result = runner(sandbox, output_limit=1_000).run("seq 1 200000; echo THE-END", work, 30)

    assert len(result.output) <= 1_000
    assert result.output.endswith("200000\nTHE-END\n")


def test_secret_values_are_redacted_from_the_output(sandbox, work):
    result = runner(sandbox, secret_values=[SECRET, ""]).run(
        f"echo 'token={SECRET}.'; echo ok", work, 10
    )

    assert result.output == "token=***.\nok\n"


@pytest.mark.parametrize("limit", [7, 333])
def test_no_fragment_of_a_secret_survives_cutting_the_output(sandbox, work, limit):
    run = runner(sandbox, secret_values=[SECRET], output_limit=limit).run

    result = run(f"for i in $(seq 1 3000); do printf '{SECRET}'; done", work, 30)

    assert 0 < len(result.output) <= limit
    assert set(result.output) == set("*")


def test_output_that_is_not_utf8_is_decoded_with_replacement(sandbox, work):
    result = runner(sandbox).run(r"printf 'caf\351\n'", work, timeout=10)

    assert result.output == "caf\ufffd\n"


def test_the_runner_does_not_change_the_callers_environment(sandbox, work, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "still-here")

    runner(sandbox).run("true", work, timeout=10)

    assert os.environ["GITHUB_TOKEN"] == "still-here"


def test_a_stopping_worker_kills_the_command_at_once(sandbox, work):
    marker = f"cody-stop-{os.getpid()}-{time.monotonic_ns()}"
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()

    result = runner(sandbox).run(
        LONG.format(marker=marker), work, timeout=60, should_stop=stop.is_set
    )

    assert result.stopped and not result.timed_out and not result.ok
    assert processes_with(marker) == []


def test_a_directory_the_sandbox_did_not_make_is_refused(sandbox, tmp_path):
    with pytest.raises(CodyError, match="not a checkout") as raised:
        runner(sandbox).run("true", tmp_path, timeout=10)
    assert raised.value.kind == "sandbox"


def test_a_sandbox_that_cannot_start_the_command_fails_closed(sandbox, tier, reachable_tmp):
    if tier == "none":
        pytest.skip("the none tier confines nothing that could fail to start")
    area = scratch_checkout(sandbox, reachable_tmp)
    try:
        remove_tree(area.work)  # what the command would be confined to is gone
        area.work.mkdir()  # recreated without the slot's group: out of the command's reach
        os.chmod(area.work, 0o700)
        os.chown(area.work, 0, 0)
        (area.work / "ran").unlink(missing_ok=True)

        with pytest.raises(CodyError) as raised:
            runner(sandbox).run("touch ran", area.work, timeout=10)

        assert raised.value.kind == "sandbox"
        assert not (area.work / "ran").exists()
    finally:
        sandbox.close_area(area)


@pytest.mark.parametrize("network", [False, True], ids=["network-off", "network-on"])
def test_loopback_is_reached_only_with_the_network(sandbox, tier, work, network):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        script = f"import socket; socket.create_connection(('127.0.0.1', {port}), 2)"
        connect = f'python3 -c "{script}"'

        result = runner(sandbox).run(connect, work, 20, network=network)

        listener.settimeout(0.2)  # a connection made is waiting in the backlog by now
        try:
            listener.accept()[0].close()
            reached = True
        except TimeoutError:
            reached = False
    assert reached == (network or tier == "none"), result.output
    assert result.ok == reached, result.output
