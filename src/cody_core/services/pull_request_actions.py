"""`cody job merge | close | comment`: one action over every pull request of a job.

Each action is decided from the host's answer of the moment, not from what was stored, so
running one again (after a crash, say) does only what is still to do: a pull request merged by
the first run is found merged and counted as such, a comment is looked for before it is posted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cody_core.errors import CodyError, InputError
from cody_core.models import RepositoryRun
from cody_core.policies.references import RepositoryRef, parse_reference
from cody_core.policies.secrets import redact
from cody_core.ports import MergeMethod, PullRequestLifecycle
from cody_core.services.tracking import PullRequestTracking, Tracked

OPEN = ("open", "draft")


@dataclass(frozen=True)
class Outcome:
    """What happened to one pull request: `action` in words, and why when nothing was done."""

    repository_name: str
    pull_request_url: str
    action: str
    reason: str = ""
    failed: bool = False


@dataclass(frozen=True)
class MergeOptions:
    method: MergeMethod = "squash"
    require_checks: bool = True
    require_approval: bool = False
    delete_branch: bool = False


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class PullRequestActions:
    def __init__(
        self,
        tracking: PullRequestTracking,
        host: PullRequestLifecycle,
        secrets: Sequence[str] = (),
    ):
        self._tracking = tracking
        self._host = host
        self._secrets = secrets

    def merge(
        self,
        job_id: str,
        options: MergeOptions,
        dry_run: bool = False,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[Outcome]:
        """Merge what is open, mergeable and green (and approved, if required)."""
        act = lambda tracked: self._merge_one(tracked, options, dry_run)  # noqa: E731
        return self._each(job_id, act, dry_run, should_stop, details=True)

    def close(
        self,
        job_id: str,
        comment: str | None = None,
        delete_branch: bool = False,
        dry_run: bool = False,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[Outcome]:
        """Close the open pull requests (drafts too), after a comment if one is given."""
        text = None if comment is None else redact(_said(comment), self._secrets)
        act = lambda tracked: self._close_one(tracked, text, delete_branch, dry_run)  # noqa: E731
        return self._each(job_id, act, dry_run, should_stop, details=False)

    def comment(
        self,
        job_id: str,
        text: str,
        dry_run: bool = False,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[Outcome]:
        """Comment on every open pull request (drafts too), never twice with the same text."""
        body = redact(_said(text), self._secrets)
        act = lambda tracked: self._comment_one(tracked, body, dry_run)  # noqa: E731
        return self._each(job_id, act, dry_run, should_stop, details=False)

    def _each(
        self,
        job_id: str,
        act: Callable[[Tracked], Outcome],
        dry_run: bool,
        should_stop: Callable[[], bool],
        details: bool,
    ) -> Iterator[Outcome]:
        for run in self._tracking.pull_requests(job_id):
            if should_stop():
                return
            tracked = self._tracking.refresh_run(run, details=details, keep=not dry_run)
            if tracked.error is not None and tracked.run.pull_request_state != "merged":
                yield _outcome(tracked.run, "failed", tracked.error, failed=True)
                continue
            try:
                yield act(tracked)
            except CodyError as exc:
                yield _outcome(tracked.run, "failed", f"{exc.kind}: {exc}", failed=True)

    def _merge_one(self, tracked: Tracked, options: MergeOptions, dry_run: bool) -> Outcome:
        run = tracked.run
        if run.pull_request_state == "merged":
            return self._delete_after(tracked, "already merged", "", options.delete_branch, dry_run)
        reason = _not_ready(run, options)
        if reason:
            return _outcome(run, "not merged", reason)
        if dry_run:
            return _outcome(run, "would merge", f"with {options.method}")
        try:
            sha = self._host.merge(_ref(run), tracked.number, options.method, tracked.head_sha)
        except CodyError as exc:  # merged meanwhile, by someone else or another `job merge`?
            again = self._tracking.refresh_run(run, details=False)
            if again.run.pull_request_state != "merged":
                return _outcome(run, "not merged", f"{exc.kind}: {exc}", failed=True)
            return self._delete_after(again, "already merged", "", options.delete_branch, dry_run)
        merged = self._tracking.store(
            run, tracked.number, {"pull_request_state": "merged", "mergeable": None}, sha
        )
        return self._delete_after(merged, "merged", f"as {sha[:12]}", options.delete_branch, False)

    def _close_one(
        self, tracked: Tracked, comment: str | None, delete_branch: bool, dry_run: bool
    ) -> Outcome:
        run = tracked.run
        if run.pull_request_state == "merged":
            return _outcome(run, "not closed", "merged")
        if run.pull_request_state == "closed":
            return self._delete_after(tracked, "already closed", "", delete_branch, dry_run)
        if dry_run:
            return _outcome(run, "would close", "with a comment" if comment else "")
        if comment is not None:
            tracked, _ = self._comment_once(tracked, comment)
        self._host.close(_ref(run), tracked.number)
        closed = self._tracking.store(
            tracked.run, tracked.number, {"pull_request_state": "closed", "mergeable": None}, None
        )
        return self._delete_after(closed, "closed", "", delete_branch, False)

    def _comment_one(self, tracked: Tracked, body: str, dry_run: bool) -> Outcome:
        run = tracked.run
        if run.pull_request_state not in OPEN:
            return _outcome(run, "not commented", str(run.pull_request_state))
        if digest(body) in (run.comments_posted or ()):
            return _outcome(run, "already commented")
        if dry_run:
            return _outcome(run, "would comment")
        after, posted = self._comment_once(tracked, body)
        return _outcome(after.run, "commented" if posted else "already commented")

    def _comment_once(self, tracked: Tracked, body: str) -> tuple[Tracked, bool]:
        """Post `body` unless the pull request has it already (a crash may have come between
        posting and recording); record it on the run. Whether it was posted now."""
        run, ref = tracked.run, _ref(tracked.run)
        if digest(body) in (run.comments_posted or ()):
            return tracked, False
        posted = not self._host.has_comment(ref, tracked.number, body)
        if posted:
            self._host.comment(ref, tracked.number, body)
        recorded = {"comments_posted": (*(run.comments_posted or ()), digest(body))}
        return self._tracking.store(run, tracked.number, recorded, None), posted

    def _delete_after(
        self, tracked: Tracked, action: str, reason: str, delete: bool, dry_run: bool
    ) -> Outcome:
        """`--delete-branch`: the branch goes once the pull request is merged or closed."""
        run = tracked.run
        if not delete or run.branch_deleted or run.branch is None:
            return _outcome(run, action, reason)
        done = f"would delete {run.branch}" if dry_run else f"deleted {run.branch}"
        if not dry_run:
            self._host.delete_branch(_ref(run), run.branch)
            self._tracking.store(run, tracked.number, {"branch_deleted": True}, None)
        return _outcome(run, action, "; ".join(part for part in (reason, done) if part))


def _not_ready(run: RepositoryRun, options: MergeOptions) -> str:
    """Why the pull request may not be merged now; empty when it may."""
    if run.pull_request_state != "open":
        return str(run.pull_request_state)
    if run.mergeable is False:
        return "not mergeable: it conflicts with its base branch"
    if run.mergeable is None:
        return "mergeability not known yet (the host is working it out): run again shortly"
    if options.require_checks and run.checks != "success":
        hint = (
            ": it has none, and --no-require-checks merges anyway" if run.checks == "none" else ""
        )
        return f"checks {run.checks}{hint}"
    if options.require_approval and run.review_decision != "approved":
        return f"review {run.review_decision}"
    return ""


def _said(text: str) -> str:
    if not text.strip():
        raise InputError("the comment is empty: give the text to post")
    return text


def _ref(run: RepositoryRun) -> RepositoryRef:
    return parse_reference(run.repository_name)


def _outcome(run: RepositoryRun, action: str, reason: str = "", **more: Any) -> Outcome:
    return Outcome(run.repository_name, run.pull_request_url or "", action, reason, **more)
