"""Temporary git checkouts, driven through the git command line with a scrubbed environment."""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cody_adapters.environment import scrubbed_environ
from cody_adapters.files import replace_atomically
from cody_adapters.git_files import parse_diff, read_head, read_or_none, remove_tree
from cody_core.errors import CodyError, InputError, NotFoundError, SkippedError, TransientError
from cody_core.policies.references import RepositoryRef
from cody_core.policies.secrets import redact
from cody_core.ports import Checkout, Diff

# Every git process: hooks never run (the assistant's commands could have written .git/hooks)
# and paths are printed as they are rather than octal-quoted.
_SAFE = ("-c", "core.hooksPath=/dev/null", "-c", "core.quotepath=false")
_DROPPED = frozenset({"XDG_CONFIG_HOME", "SSH_ASKPASS"})
# Every GIT_*: an inherited GIT_DIR or GIT_INDEX_FILE would point git at another repository.
_DROPPED_PREFIXES = ("GIT_",)
# What the server says when the branch moved after it advertised it and before it updated it.
_MOVED_ON_SERVER = ("failed to update ref", "cannot lock ref", "incorrect old value")
_REJECTED = "[rejected]"  # what `push --porcelain` says when the lease or fast-forward fails
# What git prints when the server refused our credentials (it would prompt, but may not).
_AUTH_FAILURES = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "returned error: 401",
    "returned error: 403",
    "permission to",
)
_NETWORK_FAILURES = (
    "could not resolve host",
    "failed to connect",
    "connection refused",
    "connection timed out",
    "operation timed out",
    "connection reset",
    "rpc failed",
    "early eof",
    "returned error: 5",
    "the remote end hung up unexpectedly",
)


@dataclass(frozen=True)
class _Remote:
    url: str
    env: dict[str, str]


class GitCliWorkspace:
    """Clones, diffs, commits and pushes in temporary checkouts of local or GitHub
    repositories.

    Git runs as a subprocess rather than through GitPython: GitPython always starts a
    command's environment from os.environ, so secrets could not be removed, and importing it
    runs `git version`. Each checkout's .git/config is restored to its state after the clone
    before git touches it again, so a command cannot redirect pushes with `insteadOf` or add
    filters that would run during `git add`.

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
        self._configs: dict[Path, bytes] = {}  # checkout path -> .git/config right after cloning
        self._indexes: dict[Path, tuple[int, int, int] | None] = {}  # and its .git/index's identity

    def clone(self, repository: RepositoryRef) -> Checkout:
        remote = self._remote(repository)
        self._home.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix="cody-", dir=self._temp_root))
        try:
            args = ["clone", "--quiet", "--depth", "1", "--single-branch", "--no-tags"]
            result = self._run([*args, "--template=", "--", remote.url, str(path)], remote.env)
            if result.returncode != 0:
                raise _remote_error(f"git clone of {repository}", self._tail(result))
            head = read_head(path / ".git")
            if head is None:
                raise CodyError(f"repository {repository} has no commits", kind="empty-repository")
            self._configs[path] = (path / ".git" / "config").read_bytes()
            self._indexes[path] = _identity(path / ".git" / "index")
        except BaseException:
            remove_tree(path)
            raise
        branch, sha = head
        return Checkout(repository, path, branch.removeprefix("refs/heads/"), sha)

    def remote_branch_sha(self, checkout: Checkout, branch: str) -> str | None:
        remote = self._remote(checkout.repository)
        ref = f"refs/heads/{branch}"
        listing = self._git(checkout, ["ls-remote", "--", remote.url, ref], remote.env, check=False)
        if listing.returncode != 0:
            raise _remote_error(f"git ls-remote of {checkout.repository}", self._tail(listing))
        for line in listing.stdout.decode().splitlines():
            sha, _, name = line.partition("\t")
            if name == ref:  # ls-remote matches suffixes: refs/heads/x also matches .../a/x
                return sha
        return None

    def diff(self, checkout: Checkout) -> Diff:
        # While nothing has written the index since the clone, it holds HEAD's tree, so an `add`
        # that stages nothing means no change, and the diff process is saved. (Git replaces the
        # index file whenever it writes it, so a command's `git add` shows as a new identity.)
        untouched = self._indexes.get(checkout.path) == _identity(checkout.path / ".git/index")
        staged = self._git(checkout, ["add", "--all", "--verbose"]).stdout
        if untouched and not staged:
            return Diff((), "")
        options = ["--cached", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", "-M"]
        # One process: NUL-separated numstat records, an empty record, then the patch.
        result = self._git(checkout, ["diff", *options, "--numstat", "-z", "--patch", "HEAD"])
        return parse_diff(result.stdout)

    def commit(self, checkout: Checkout, message: str) -> str:
        """Commit exactly what `diff` staged, the change the guardrails judged: files a verify
        command wrote afterwards (build output, caches) stay out."""
        self._git(
            checkout,
            ["-c", "commit.gpgSign=false", "commit", "--quiet", "--no-verify", "-m", message],
        )
        head = read_head(checkout.path / ".git")
        if head is None:  # pragma: no cover - git just committed, so HEAD resolves
            raise CodyError(f"no commit in {checkout.path} after committing", kind="git")
        return head[1]

    def push(self, checkout: Checkout, branch: str, expected_remote_sha: str | None) -> None:
        """Push the commit checked out (HEAD) to `branch` of the remote: no local branch is
        made, which would cost a git process for every repository, changed or not."""
        remote = self._remote(checkout.repository)
        ref = f"refs/heads/{branch}"
        lease = f"--force-with-lease={ref}:{expected_remote_sha or ''}"
        args = ["push", "--porcelain", "--no-verify", lease, "--", remote.url, f"HEAD:{ref}"]
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
        raise _remote_error(f"push of {branch} to {checkout.repository}", self._tail(result))

    def cleanup(self, checkout: Checkout) -> None:
        self._configs.pop(checkout.path, None)
        self._indexes.pop(checkout.path, None)
        try:
            ours = checkout.path.resolve().parent == self._temp_root.resolve()
        except OSError:
            return
        if ours and checkout.path.name.startswith("cody-"):  # never delete what clone did not make
            remove_tree(checkout.path)

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
        self._restore_config(checkout)
        result = self._run(args, env or self._environment(), cwd=checkout.path)
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
        self, args: list[str], env: dict[str, str], cwd: Path | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", *_SAFE, *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self._timeout,
            )
        except subprocess.TimeoutExpired as error:
            raise TransientError(
                f"git {args[0]} took longer than {self._timeout:g}s", kind="timeout"
            ) from error

    def _restore_config(self, checkout: Checkout) -> None:
        original = self._configs.get(checkout.path)
        config = checkout.path / ".git" / "config"
        if original is None or read_or_none(config) == original:
            return
        replace_atomically(config, original, prefix="config.cody-")


def basic_credential(token: str) -> str:
    """What git sends for the token: basic auth with x-access-token as the user, as
    actions/checkout does."""
    return base64.b64encode(f"x-access-token:{token}".encode()).decode()


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _server_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username:
        raise InputError(
            f"GITHUB_SERVER_URL {url!r} must be an http(s) URL without credentials, "
            "such as https://github.com"
        )
    return url.rstrip("/")


def _remote_error(action: str, detail: str) -> CodyError:
    """The error for git failing to reach a remote, by what its (redacted) text says."""
    lowered = detail.lower()
    if "archived" in lowered and "read-only" in lowered:
        return SkippedError(
            f"{action} refused: the repository is archived: {detail}", kind="archived"
        )
    if any(sign in lowered for sign in _AUTH_FAILURES):
        return CodyError(
            f"{action} was refused: check that GITHUB_TOKEN is valid and may read and push "
            f"the repository: {detail}",
            kind="auth",
        )
    if "does not appear to be a git repository" in lowered or "not found" in lowered:
        return NotFoundError(f"{action} failed: repository not found: {detail}")
    if any(sign in lowered for sign in _NETWORK_FAILURES):
        return TransientError(f"{action} failed: {detail}")
    return CodyError(f"{action} failed: {detail}", kind="git")
