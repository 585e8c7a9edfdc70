"""The environment of the processes cody starts: git, and commands that run repository code."""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Mapping, Sequence

# Names that hold credentials, whatever their value; values that are secrets, whatever their name.
_SECRET_NAMES = frozenset({"GITHUB_TOKEN", "GH_TOKEN", "CLAUDE_API_KEY"})
_SECRET_PREFIXES = ("ANTHROPIC_", "AWS_")
# Words that name a credential in a variable, whatever tool it belongs to (NPM_TOKEN, ...).
_SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "API_KEY", "APIKEY")

# What repository code must not learn about cody: where its store, checkouts, home, working
# directory and virtualenv are, and the agents and sessions of the user it runs as.
_COMMAND_DROPPED = frozenset(
    {
        "HOME",
        "TMPDIR",
        "TMP",
        "TEMP",
        "TEMP_DIR",
        "PWD",
        "OLDPWD",
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONUSERBASE",
        "MAIL",
        "KUBECONFIG",
        "DOCKER_HOST",
        "DOCKER_CONFIG",
        "NETRC",
    }
)
_COMMAND_DROPPED_PREFIXES = ("CODY_", "GIT_", "XDG_", "SSH_", "GPG_", "DBUS_", "KRB5", "GNUPG")


def scrubbed_environ(
    secrets: Sequence[str] = (),
    *,
    drop_names: Collection[str] = (),
    drop_prefixes: tuple[str, ...] = (),
) -> dict[str, str]:
    """os.environ without credentials, secret values, and what the caller also drops."""
    prefixes = _SECRET_PREFIXES + drop_prefixes
    return {
        name: value
        for name, value in os.environ.items()
        if name not in _SECRET_NAMES
        and name not in drop_names
        and not name.startswith(prefixes)
        and not any(word in name.upper() for word in _SECRET_WORDS)
        and not any(secret and secret in value for secret in secrets)
    }


def command_environ(secrets: Sequence[str], extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of repository code: no secret, nothing that points at cody, git told
    not to prompt and to trust the read-only git dir it does not own; then `extra`."""
    env = scrubbed_environ(
        secrets, drop_names=_COMMAND_DROPPED, drop_prefixes=_COMMAND_DROPPED_PREFIXES
    )
    if "PATH" in env:
        env["PATH"] = _without_cody(env["PATH"])
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="safe.directory",
        GIT_CONFIG_VALUE_0="*",
    )
    env.update(extra)
    return env


def _without_cody(path: str) -> str:
    """PATH without the directories of cody's own virtualenv."""
    if sys.prefix == sys.base_prefix:
        return path
    venv = os.path.realpath(sys.prefix)
    kept = [
        entry
        for entry in path.split(os.pathsep)
        if entry and not (os.path.realpath(entry) + os.sep).startswith(venv + os.sep)
    ]
    return os.pathsep.join(kept)
