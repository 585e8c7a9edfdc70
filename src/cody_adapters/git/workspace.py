"""Temporary git checkouts, driven through the git command line with a scrubbed environment."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cody_adapters.git.checkout_state import CheckoutState, identity, restore_git_dir
from cody_adapters.git.files import (
    local_git_dir,
    parse_diff,
    read_head,
    read_or_none,
    read_ref,
)
from cody_adapters.git.remote_errors import remote_error
from cody_adapters.process.sandbox import Sandbox
from cody_adapters.process.sandbox.areas import seal_git_dir
from cody_adapters.shared.environment import scrubbed_environ
from cody_adapters.shared.files import replace_atomically
from cody_core.errors import CodyError, InputError, NotFoundError, TransientError
from cody_core.policies.references import RepositoryRef
from cody_core.policies.secrets import redact
from cody_core.ports import Checkout, Diff

# Every git process: no hook, fsmonitor, credential helper or background gc runs, whatever
# the config says, and paths are printed as they are rather than octal-quoted.
_SAFE = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "credential.helper=",
    "-c",
    "core.quotepath=false",
)
_DROPPED = frozenset({"XDG_CONFIG_HOME", "SSH_ASKPASS"})
# Every GIT_*: an inherited GIT_DIR or GIT_INDEX_FILE would point git at another repository.
_DROPPED_PREFIXES = ("GIT_",)
# What the server says when the branch moved after it advertised it and before it updated it.
_MOVED_ON_SERVER = ("failed to update ref", "cannot lock ref", "incorrect old value")
_REJECTED = "[rejected]"  # what `push --porcelain` says when the lease or fast-forward fails


@dataclass(frozen=True)
class _Remote:
    url: str
    env: dict[str, str]


class GitCliWorkspace:
    """Clones, diffs, commits and pushes in temporary checkouts of local or GitHub
    repositories.

    Git runs as a subprocess rather than through GitPython: GitPython always starts a
    command's environment from os.environ, so secrets could not be removed, and importing it
    runs `git version`.

    Each checkout keeps its git dir outside the work tree (read-only to repository code under
    a sandbox), and cody's own git runs with an explicit GIT_DIR, GIT_WORK_TREE and an index
    of its own. Before cody's git touches a checkout again, the config and shallow list are
    restored as the clone left them and whatever could redirect git is removed (commondir,
    config.worktree, info/, hooks/, object alternates), so a command cannot make `git add` run
    a filter or fsmonitor, or a push go through a proxy. The tree the diff judged is the tree
    committed, on the commit cloned, whatever a verify command later does to the index, HEAD
    or the work tree.

    The GitHub token reaches only the git processes that talk to the server, as an
    `http.<server>/.extraHeader` set through GIT_CONFIG_* variables of their environment: it is
    never in a URL, a command line, .git/config or any other file, and git's error text is
    redacted before it goes into an error.
    """

    def __init__(
        self,
        temp_root: Path,
        author_name: str = "Cody Batch",
        author_email: str = "cody-batch@users.noreply.github.com",
        timeout: float = 600,
        *,
        github_server_url: str = "https://github.com",
        token: str | None = None,
        secrets: Sequence[str] = (),
        sandbox: Sandbox | None = None,
    ):
        self._temp_root = Path(temp_root).absolute()
        self._server = _server_url(github_server_url)
        self._token = token or None
        credential = basic_credential(token or "")
        self._auth_header = f"Authorization: Basic {credential}"
        # Kept out of git's environment by value and out of its error text.
        self._secrets = (*secrets, self._auth_header, credential, token) if token else (*secrets,)
        self._home = self._temp_root / "home"  # empty: no ~/.gitconfig, ignore or attributes
        self._author = {
            "GIT_AUTHOR_NAME": author_name,
            "GIT_AUTHOR_EMAIL": author_email,
            "GIT_COMMITTER_NAME": author_name,
            "GIT_COMMITTER_EMAIL": author_email,
        }
        self._timeout = timeout
        self._sandbox = sandbox or Sandbox("none")
        self._states: dict[Path, CheckoutState] = {}  # by work tree
        self._lock = threading.Lock()

    def clone(self, repository: RepositoryRef) -> Checkout:
        remote = self._remote(repository)
        self._home.mkdir(parents=True, exist_ok=True)
        area = self._sandbox.open_area(self._temp_root)
        try:
            args = ["clone", "--quiet", "--depth", "1", "--single-branch", "--no-tags"]
            args += ["--template=", f"--separate-git-dir={area.git_dir}"]
            result = self._run(
                [*args, "--", remote.url, str(area.work)], remote.env, area.root, area.umask
            )
            if result.returncode != 0:
                raise remote_error(f"git clone of {repository}", self._tail(result))
            head = read_head(area.git_dir)
            if head is None:
                raise CodyError(f"repository {repository} has no commits", kind="empty-repository")
            seal_git_dir(area)
            # An index of cody's own, with the stat data of the checkout just written, so that
            # `add` hashes only what changed.
            shutil.copyfile(area.git_dir / "index", area.index)
            found = os.lstat(area.git_dir)
            state = CheckoutState(
                area,
                branch=head[0],
                base=head[1],
                head=(area.git_dir / "HEAD").read_bytes(),
                config=(area.git_dir / "config").read_bytes(),
                shallow=read_or_none(area.git_dir / "shallow"),
                git_dir=(found.st_dev, found.st_ino),
                index=identity(area.index),
            )
        except BaseException:
            self._sandbox.close_area(area)
            raise
        with self._lock:
            self._states[area.work] = state
        branch, sha = head
        return Checkout(repository, area.work, branch.removeprefix("refs/heads/"), sha)

    def remote_branch_sha(self, checkout: Checkout, branch: str) -> str | None:
        remote = self._remote(checkout.repository)
        ref = f"refs/heads/{branch}"
        local = (
            local_git_dir(Path(checkout.repository.name)) if checkout.repository.is_local else None
        )
        if local is not None:  # read as git would, without a git process per repository
            return read_ref(local, ref)
        listing = self._git(checkout, ["ls-remote", "--", remote.url, ref], remote.env, check=False)
        if listing.returncode != 0:
            raise remote_error(f"git ls-remote of {checkout.repository}", self._tail(listing))
        for line in listing.stdout.decode().splitlines():
            sha, _, name = line.partition("\t")
            if name == ref:  # ls-remote matches suffixes: refs/heads/x also matches .../a/x
                return sha
        return None

    def diff(self, checkout: Checkout) -> Diff:
        state = self._state(checkout)
        state.judged = None
        # While nothing has written cody's index since the clone, it holds the base tree, so
        # an `add` that stages nothing means no change, and the diff process is saved.
        untouched = state.index == identity(state.area.index)
        staged = self._git(checkout, ["add", "--all", "--verbose"]).stdout
        if untouched and not staged:
            return Diff((), "")
        options = ["--cached", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", "-M"]
        # One process: NUL-separated numstat records, an empty record, then the patch.
        args = ["diff", *options, "--numstat", "-z", "--patch", state.base]
        diff = parse_diff(self._git(checkout, args).stdout)
        state.judged = state.area.index.read_bytes()
        return diff

    def commit(self, checkout: Checkout, message: str) -> str:
        """Commit the index the last `diff` judged, on the commit cloned: files a verify command
        wrote or staged afterwards (build output, caches, anything) stay out."""
        state = self._state(checkout)
        if state.judged is None:
            raise CodyError(
                f"nothing to commit in {checkout.path}: no change was diffed", kind="git"
            )
        if read_or_none(state.area.index) != state.judged:  # only an unsandboxed command can
            replace_atomically(state.area.index, state.judged, prefix=".cody-")
        args = ["-c", "commit.gpgSign=false", "commit", "--quiet", "--no-verify", "-m", message]
        self._git(checkout, args)  # HEAD and its branch are put back on the base first
        head = read_head(state.area.git_dir)
        if head is None or head[0] != state.branch:  # pragma: no cover - git just committed
            raise CodyError(f"no commit in {checkout.path} after committing", kind="git")
        state.commit = head[1]
        return state.commit

    def push(self, checkout: Checkout, branch: str, expected_remote_sha: str | None) -> None:
        """Push the last commit to `branch` of the remote: no local branch is made, which
        would cost a git process for every repository, changed or not."""
        remote = self._remote(checkout.repository)
        ref = f"refs/heads/{branch}"
        lease = f"--force-with-lease={ref}:{expected_remote_sha or ''}"
        head = self._commit_of(checkout)
        args = ["push", "--porcelain", "--no-verify", lease, "--", remote.url, f"{head}:{ref}"]
        result = self._git(checkout, args, remote.env, check=False)
        if result.returncode == 0:
            return
        porcelain = result.stdout.decode(errors="replace")
        moved_on_server = "[remote rejected]" in porcelain and any(
            sign in f"{porcelain}\n{self._tail(result)}".lower() for sign in _MOVED_ON_SERVER
        )
        if _REJECTED in porcelain or moved_on_server:
            raise CodyError(
                f"push of {branch} to {checkout.repository} refused: the branch moved since "
                f"it was read (expected {expected_remote_sha or 'no branch'})",
                kind="conflict",
            )
        raise remote_error(f"push of {branch} to {checkout.repository}", self._tail(result))

    def cleanup(self, checkout: Checkout) -> None:
        with self._lock:
            state = self._states.pop(checkout.path, None)
        if state is not None:  # never delete what clone did not make
            self._sandbox.close_area(state.area)

    def _state(self, checkout: Checkout) -> CheckoutState:
        with self._lock:
            state = self._states.get(checkout.path)
        if state is None:
            raise CodyError(f"{checkout.path} is not a checkout of this workspace", kind="git")
        return state

    def _commit_of(self, checkout: Checkout) -> str:
        commit = self._state(checkout).commit
        if commit is None:
            raise CodyError(
                f"nothing to push from {checkout.path}: nothing was committed", kind="git"
            )
        return commit

    def apply_patch(self, checkout: Checkout, patch: bytes) -> None:
        """Apply a stored patch (`cody job publish`) to the working tree and the index; one that
        no longer applies to the default branch as it is now is a conflict."""
        descriptor, name = tempfile.mkstemp(prefix="patch-", suffix=".diff", dir=self._temp_root)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(patch)
            result = self._git(
                checkout, ["apply", "--index", "--whitespace=nowarn", name], check=False
            )
        finally:
            os.unlink(name)
        if result.returncode != 0:
            raise CodyError(
                f"the stored change no longer applies to {checkout.default_branch} of "
                f"{checkout.repository}: {self._tail(result)}",
                kind="conflict",
            )

    def _remote(self, repository: RepositoryRef) -> _Remote:
        """Where the repository lives and the environment git needs to reach it."""
        if repository.is_local:
            if not os.path.exists(repository.name):
                raise NotFoundError(f"repository {repository} not found")
            return _Remote(f"file://{repository.name}", self._environment())
        if self._token is None:
            raise InputError(
                f"GITHUB_TOKEN is not set: it is needed to clone and push {repository}; "
                "set it to a token that may push to the repository"
            )
        env = self._environment()
        env.update(
            GIT_CONFIG_COUNT="1",
            GIT_CONFIG_KEY_0=f"http.{self._server}/.extraHeader",
            GIT_CONFIG_VALUE_0=self._auth_header,
        )
        return _Remote(f"{self._server}/{repository.name}.git", env)

    def _environment(self) -> dict[str, str]:
        env = scrubbed_environ(self._secrets, drop_names=_DROPPED, drop_prefixes=_DROPPED_PREFIXES)
        env.update(self._author)
        env.update(
            HOME=str(self._home),
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_CONFIG_NOSYSTEM="1",
            GIT_TERMINAL_PROMPT="0",
            LC_ALL="C",
            LANGUAGE="C",
        )
        return env

    def _git(
        self,
        checkout: Checkout,
        args: list[str],
        env: dict[str, str] | None = None,
        *,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        state = self._state(checkout)
        restore_git_dir(state)
        area = state.area
        env = {**(env or self._environment())}
        env.update(
            GIT_DIR=str(area.git_dir), GIT_WORK_TREE=str(area.work), GIT_INDEX_FILE=str(area.index)
        )
        # Objects and refs cody writes stay out of reach of the slot's group.
        result = self._run(args, env, area.work, None if area.slot is None else 0o027)
        if check and result.returncode != 0:
            raise CodyError(
                f"git {args[0]} in {checkout.path} failed: {self._tail(result)}", kind="git"
            )
        return result

    def _tail(self, result: subprocess.CompletedProcess[bytes], limit: int = 1_000) -> str:
        """The end of git's error text, redacted before it is cut: a cut secret is still one."""
        text = (result.stderr or result.stdout).decode("utf-8", errors="replace")
        text = redact(text, self._secrets)
        return text.strip()[-limit:] or f"exit code {result.returncode}"

    def _run(
        self, args: list[str], env: dict[str, str], cwd: Path, umask: int | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", *_SAFE, *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self._timeout,
                umask=-1 if umask is None else umask,
            )
        except subprocess.TimeoutExpired as error:
            raise TransientError(
                f"git {args[0]} took longer than {self._timeout:g}s", kind="timeout"
            ) from error


def basic_credential(token: str) -> str:
    """What git sends for the token: basic auth with x-access-token as the user, as
    actions/checkout does."""
    return base64.b64encode(f"x-access-token:{token}".encode()).decode()


def _server_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username:
        raise InputError(
            f"GITHUB_SERVER_URL {url!r} must be an http(s) URL without credentials, "
            "such as https://github.com"
        )
    return url.rstrip("/")
