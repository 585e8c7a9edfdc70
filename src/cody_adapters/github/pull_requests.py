"""Pull requests on GitHub through PyGithub: retries, rate-limit waits and spaced writes."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.PullRequest import PullRequest as GithubPull
from urllib3.util import Retry

from cody_core.errors import CodyError, NotFoundError, SkippedError, TransientError
from cody_core.policies.references import RepositoryRef
from cody_core.ports import PullRequest, PullRequestSpec

_ALREADY_EXISTS = "a pull request already exists"
_RATE_LIMITED = ("too many 403 ", "too many 429 ")  # how urllib3 says it ran out of retries


def github_client(
    token: str,
    api_url: str = "https://api.github.com",
    *,
    retries: int = 5,
    backoff_factor: float = 1.0,
    secondary_rate_wait: float = 60.0,
    max_rate_limit_wait: int = 300,
    seconds_between_requests: float = 0.25,
    seconds_between_writes: float = 1.0,
    timeout: int = 30,
) -> Github:
    """A lazy client: objects fetch their attributes only when read, so writes cost no GETs.

    Rate-limit answers are waited for (`retry-after`, or `x-ratelimit-reset` for the primary
    limit, or `secondary_rate_wait`) up to `max_rate_limit_wait` seconds each, and retried
    `retries` times; after that the call raises, and the adapter reports the run as throttled.
    """
    retry = GithubRetry(
        total=retries,
        backoff_factor=backoff_factor,
        secondary_rate_wait=secondary_rate_wait,
        max_rate_limit_wait=max_rate_limit_wait,
        retry_after_max=max_rate_limit_wait,
        # GithubRetry adds 403, retried only when it says rate limit; 429 is GitHub's other one.
        status_forcelist=[429, *range(500, 600)],
        # Every write here may be repeated: a second "create" finds the first pull request.
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"GET", "POST", "PATCH"},
    )
    return Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        retry=retry,
        seconds_between_requests=seconds_between_requests,
        seconds_between_writes=seconds_between_writes,
        timeout=timeout,
        lazy=True,
        per_page=100,  # listings of repositories and pull requests: GitHub's largest page
    )


class GitHubPullRequestHost:
    """Finds, opens and updates pull requests of GitHub repositories, one per head branch."""

    def __init__(self, github: Github):
        # Lazy, so that naming a repository or a pull request costs no request of its own.
        self._github = github if github.requester.is_lazy else github.withLazy(True)
        # The owner's login as GitHub spells it, from the GET that checked the repository, so
        # that looking up its pull requests later costs no second GET (bounded: a job may
        # have 10,000 repositories; failures are not kept).
        self._owner = functools.lru_cache(maxsize=4096)(self._checked_owner)

    def check_repository(self, repository: RepositoryRef) -> None:
        """Raise unless the repository exists, the token can see it and it is not archived."""
        self._owner(repository)

    def find_open(self, repository: RepositoryRef, head: str) -> PullRequest | None:
        with _answers(f"looking up pull requests of {repository}"):
            owner = self._owner(repository)
            repo = self._github.get_repo(repository.name)  # lazy: no request
            pulls = repo.get_pulls(state="open", head=f"{owner}:{head}")
            for pull in pulls:
                if pull.head.ref == head:
                    return _pull_request(pull)
        return None

    def create(self, repository: RepositoryRef, spec: PullRequestSpec) -> PullRequest:
        """Open a pull request; if GitHub says one from this head is open, update that one."""
        with _answers(f"opening a pull request in {repository}"):
            try:
                pull = self._github.get_repo(repository.name).create_pull(
                    base=spec.base,
                    head=spec.head,
                    title=spec.title,
                    body=spec.body,
                    draft=spec.draft,
                )
            except GithubException as error:
                existing = self.find_open(repository, spec.head) if _exists(error) else None
                if existing is None:
                    raise
                return self.update(repository, existing, spec)
            _add_labels_and_reviewers(pull, spec)
            return _pull_request(pull)

    def update(
        self, repository: RepositoryRef, pull_request: PullRequest, spec: PullRequestSpec
    ) -> PullRequest:
        """New title and body, labels and reviewers added (the REST API cannot make it a draft)."""
        if pull_request.number is None:
            raise NotFoundError(
                f"pull request from {pull_request.head} in {repository} has no number"
            )
        with _answers(f"updating pull request #{pull_request.number} of {repository}"):
            pull = self._github.get_repo(repository.name).get_pull(pull_request.number)
            pull.edit(title=spec.title, body=spec.body)
            _add_labels_and_reviewers(pull, spec)
            return _pull_request(pull)

    def _checked_owner(self, repository: RepositoryRef) -> str:
        with _answers(f"reading {repository}"):
            repo = self._github.get_repo(repository.name)
            if repo.archived:  # reading it fetches the repository
                raise SkippedError(
                    f"repository {repository} is archived: it takes no pushes or pull requests",
                    kind="archived",
                )
            return repo.owner.login


def _add_labels_and_reviewers(pull: GithubPull, spec: PullRequestSpec) -> None:
    """Both only add: asking again for labels or reviewers a pull request has changes nothing."""
    if spec.labels:
        pull.add_to_labels(*spec.labels)
    if spec.reviewers:
        pull.create_review_request(reviewers=list(spec.reviewers))


def _pull_request(pull: GithubPull) -> PullRequest:
    return PullRequest(
        url=pull.html_url,
        head=pull.head.ref,
        base=pull.base.ref,
        title=pull.title,
        body=pull.body or "",
        number=pull.number,
    )


def _exists(error: GithubException) -> bool:
    """Whether GitHub refused a new pull request because one from the same head is open."""
    if error.status != 422 or not isinstance(error.data, dict):
        return False
    messages = [error.data.get("message")]
    messages += [e.get("message") for e in error.data.get("errors") or () if isinstance(e, dict)]
    return any(_ALREADY_EXISTS in str(message).lower() for message in messages if message)


@contextmanager
def _answers(action: str) -> Iterator[None]:
    """Turn what PyGithub and requests raise into the errors the pipeline understands."""
    try:
        yield
    except CodyError:
        raise
    except RateLimitExceededException as error:
        raise _throttled(action, _message(error)) from None
    except BadCredentialsException:
        raise CodyError(
            f"{action}: GitHub refused GITHUB_TOKEN (bad credentials): set a valid token",
            kind="auth",
        ) from None
    except UnknownObjectException:
        raise NotFoundError(
            f"{action}: not found on GitHub, or GITHUB_TOKEN may not see it"
        ) from None
    except GithubException as error:
        raise _github_error(action, error) from None
    except requests.exceptions.RetryError as error:
        if any(sign in str(error) for sign in _RATE_LIMITED):
            raise _throttled(action, "retries exhausted") from None
        raise TransientError(
            f"{action}: GitHub kept failing: retries exhausted", kind="server-error"
        ) from None
    except requests.exceptions.Timeout:
        raise TransientError(f"{action}: GitHub did not answer in time", kind="timeout") from None
    except requests.exceptions.ConnectionError as error:
        raise TransientError(f"{action}: could not reach GitHub: {type(error).__name__}") from None


def _throttled(action: str, detail: str) -> TransientError:
    return TransientError(f"{action}: GitHub rate limit: {detail}", kind="throttled")


def _github_error(action: str, error: GithubException) -> CodyError:
    status, message = error.status, _message(error)
    if status == 401:
        return CodyError(f"{action}: GitHub refused GITHUB_TOKEN: {message}", kind="auth")
    if status == 403 and "archived" in message.lower():
        return SkippedError(f"{action}: the repository is archived: {message}", kind="archived")
    if status == 403:
        return CodyError(f"{action}: GITHUB_TOKEN may not do this (403): {message}", kind="auth")
    if status == 404:
        return NotFoundError(f"{action}: not found on GitHub, or GITHUB_TOKEN may not see it")
    if status == 429:
        return _throttled(action, message)
    if status >= 500:
        return TransientError(f"{action}: GitHub answered {status}", kind="server-error")
    return CodyError(f"{action}: GitHub answered {status}: {message}", kind="github")


def _message(error: GithubException) -> str:
    """GitHub's own words: the message and, for validation failures, each error's message."""
    data: Any = error.data
    if not isinstance(data, dict):
        return str(error.status)
    parts = [str(data.get("message") or error.status)]
    parts += [
        str(e["message"])
        for e in data.get("errors") or ()
        if isinstance(e, dict) and "message" in e
    ]
    return "; ".join(parts)
