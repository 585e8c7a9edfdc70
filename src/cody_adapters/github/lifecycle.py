"""Pull requests on GitHub after they are opened: read again with conditional requests (an
answer 304, "not modified", does not count against the primary rate limit), merged, closed,
commented on, and their branches deleted."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from github import GithubException

from cody_adapters.github.pull_requests import GitHubPullRequestHost
from cody_adapters.github.pull_requests import _answers as answers
from cody_core.errors import CodyError
from cody_core.models import ChecksState, ReviewDecision
from cody_core.policies.references import RepositoryRef
from cody_core.ports import MergeMethod, PullRequestStatus

PAGE = 100
_FAILED = frozenset({"failure", "timed_out", "cancelled", "action_required"})
_DECISIVE = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})
_GONE = (404, 422)  # what DELETE of a ref says when there is no such ref


class GitHubForge(GitHubPullRequestHost):
    """GitHubPullRequestHost, and everything that comes after opening a pull request.

    `status` keeps, in the cache it is given back next time, each answer's ETag with the little
    it needs of that answer, so that a refresh of an unchanged pull request is answered 304.
    """

    def status(
        self,
        repository: RepositoryRef,
        number: int,
        cache: Mapping[str, Any],
        details: bool = True,
    ) -> PullRequestStatus:
        api = f"/repos/{repository.name}"
        notes = dict(cache)
        with answers(f"reading pull request #{number} of {repository}"):
            pull = self._read(notes, "pull", f"{api}/pulls/{number}", _pull)
            state, sha = pull["state"], pull["head"]
            if not details or state not in ("open", "draft"):
                return PullRequestStatus(state, head_sha=sha, cache=notes)
            runs = self._read(notes, "checkRuns", f"{api}/commits/{sha}/check-runs", _check_runs)
            combined = self._read(notes, "status", f"{api}/commits/{sha}/status", _statuses)
            reviews = self._read(notes, "reviews", f"{api}/pulls/{number}/reviews", _reviews)
            decision: ReviewDecision = reviews or "none"
            if reviews is None and (
                pull["reviewersRequested"]
                or self._approvals_required(notes, api, pull["base"], sha)
            ):
                decision = "review_required"
            return PullRequestStatus(
                state,
                checks=_combined(runs, combined),
                review_decision=decision,
                mergeable=pull["mergeable"],
                head_sha=sha,
                cache=notes,
            )

    def merge(
        self, repository: RepositoryRef, number: int, method: MergeMethod, head_sha: str | None
    ) -> str:
        body: dict[str, Any] = {"merge_method": method}
        if head_sha is not None:  # GitHub refuses (409) if the head moved since it was checked
            body["sha"] = head_sha
        url = f"/repos/{repository.name}/pulls/{number}/merge"
        with answers(f"merging pull request #{number} of {repository}"):
            try:
                _, merged = self._github.requester.requestJsonAndCheck("PUT", url, input=body)
            except GithubException as error:
                kind = {405: "not-mergeable", 409: "head-moved"}.get(error.status)
                if kind is None:
                    raise
                message = error.data.get("message") if isinstance(error.data, dict) else None
                raise CodyError(f"GitHub refused: {message or error.status}", kind=kind) from None
            return str(merged["sha"])

    def close(self, repository: RepositoryRef, number: int) -> None:
        url = f"/repos/{repository.name}/pulls/{number}"
        with answers(f"closing pull request #{number} of {repository}"):
            self._github.requester.requestJsonAndCheck("PATCH", url, input={"state": "closed"})

    def delete_branch(self, repository: RepositoryRef, branch: str) -> None:
        # The plural `refs`, as documented: PyGithub's GitRef.delete() sends `git/ref/...`.
        url = f"/repos/{repository.name}/git/refs/heads/{quote(branch)}"
        with answers(f"deleting branch {branch} of {repository}"):
            try:
                self._github.requester.requestJsonAndCheck("DELETE", url)
            except GithubException as error:
                if error.status not in _GONE:
                    raise

    def has_comment(self, repository: RepositoryRef, number: int, body: str) -> bool:
        url = f"/repos/{repository.name}/issues/{number}/comments"
        with answers(f"reading the comments of #{number} of {repository}"):
            return any(comment.get("body") == body for comment in self._pages(url))

    def comment(self, repository: RepositoryRef, number: int, body: str) -> None:
        url = f"/repos/{repository.name}/issues/{number}/comments"
        with answers(f"commenting on #{number} of {repository}"):
            self._github.requester.requestJsonAndCheck("POST", url, input={"body": body})

    def _approvals_required(self, notes: dict[str, Any], api: str, base: str, head: str) -> bool:
        """Whether branch protection of the base asks for approving reviews, read once per
        head commit. Reading it needs admin rights: a token without them is answered 404 (as
        for a branch without protection), which reads as no."""
        kept = notes.get("protection") or {}
        if kept.get("head") == head:
            return bool(kept.get("value"))
        url = f"{api}/branches/{quote(base, safe='')}/protection"
        try:
            required = self._read(notes, "protection", url, _approvals)
        except GithubException as error:
            if error.status not in (403, 404):
                raise
            required = 0
        notes["protection"] = {**(notes.get("protection") or {}), "value": required, "head": head}
        return bool(required)

    def _read(
        self,
        notes: dict[str, Any],
        kind: str,
        url: str,
        summarise: Callable[[Any, Callable[[int], Any]], Any],
    ) -> Any:
        """GET `url` (a first page of PAGE items), conditional on the ETag kept in `notes`;
        the summary of the answer, the one kept when GitHub says 304."""
        kept = notes.get(kind) or {}
        headers = {"If-None-Match": kept["etag"]} if kept.get("etag") and "value" in kept else {}
        requester = self._github.requester
        status, response_headers, output = requester.requestJson(
            "GET", url, {"per_page": PAGE}, headers
        )
        if status == 304 and headers:
            return kept["value"]
        data = json.loads(output) if output else None
        if status >= 400:
            raise requester.createException(status, response_headers, data or {})
        pages: list[int] = []

        def page(number: int) -> Any:  # further pages, read in full each time
            pages.append(number)
            return requester.requestJsonAndCheck("GET", url, {"per_page": PAGE, "page": number})[1]

        value = summarise(data, page)
        etag = response_headers.get("etag")
        notes[kind] = {"etag": etag, "value": value} if etag and not pages else {"value": value}
        return value

    def _pages(self, url: str) -> list[Any]:
        items: list[Any] = []
        for number in range(1, 1000):
            page = self._github.requester.requestJsonAndCheck(
                "GET", url, {"per_page": PAGE, "page": number}
            )[1]
            items += page
            if len(page) < PAGE:
                break
        return items


def _pull(data: dict[str, Any], page: Callable[[int], Any]) -> dict[str, Any]:
    state = "merged" if data.get("merged_at") else data["state"]
    if state == "open" and data.get("draft"):
        state = "draft"
    return {
        "state": state,
        "head": data["head"]["sha"],
        "base": data["base"]["ref"],
        "mergeable": data.get("mergeable"),
        "reviewersRequested": bool(data.get("requested_reviewers") or data.get("requested_teams")),
    }


def _all(first: list[Any], page: Callable[[int], Any]) -> list[Any]:
    items, number, last = list(first), 1, first
    while len(last) == PAGE:
        number += 1
        last = page(number)
        items += last
    return items


def _check_runs(data: dict[str, Any], page: Callable[[int], Any]) -> ChecksState:
    runs, number = list(data["check_runs"]), 1
    while len(runs) < data["total_count"] and number < 1000:
        number += 1
        more = page(number)["check_runs"]
        if not more:
            break
        runs += more
    if any(run.get("conclusion") in _FAILED for run in runs):
        return "failure"
    if any(run.get("status") != "completed" for run in runs):
        return "pending"
    return "success" if runs else "none"


def _statuses(data: dict[str, Any], page: Callable[[int], Any]) -> ChecksState:
    """GitHub's combined state already ranks failure and error, then pending; with no status
    at all it says pending too, so the count decides `none`."""
    if not data["total_count"]:
        return "none"
    ranked: dict[str, ChecksState] = {
        "failure": "failure",
        "error": "failure",
        "pending": "pending",
    }
    return ranked.get(data["state"], "success")


def _combined(*sources: ChecksState) -> ChecksState:
    ranked: tuple[ChecksState, ...] = ("failure", "pending", "success")
    return next((state for state in ranked if state in sources), "none")


def _reviews(data: list[Any], page: Callable[[int], Any]) -> ReviewDecision | None:
    """The latest decisive review of each reviewer (oldest first in GitHub's list): changes
    requested outweighs approved; None when no review decides."""
    latest: dict[str, str] = {}
    for review in _all(data, page):
        login = (review.get("user") or {}).get("login")
        if login and review.get("state") in _DECISIVE:
            latest[login] = review["state"]
    decisions = set(latest.values())
    if "CHANGES_REQUESTED" in decisions:
        return "changes_requested"
    return "approved" if "APPROVED" in decisions else None


def _approvals(data: dict[str, Any], page: Callable[[int], Any]) -> int:
    reviews = data.get("required_pull_request_reviews")
    return 0 if reviews is None else int(reviews.get("required_approving_review_count", 1))
