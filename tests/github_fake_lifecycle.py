"""The GitHub fake after a pull request is opened: merges made for real in the repository's bare
git repository (405 when it cannot be merged, 409 when its head moved), branch deletion,
comments, reviews, check runs, commit statuses and branch protection."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from forge import AUTHOR, git

if TYPE_CHECKING:
    from github_fake import Canned, FakePull, FakeRepository, GitHubFake

ROUTES = (
    ("PUT", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"),
    ("DELETE", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}/status"),
    ("GET", "/repos/{owner}/{repo}/branches/{branch}/protection"),
)
CREATED = "2024-05-01T12:00:00Z"
NOT_MERGEABLE = "Pull Request is not mergeable"
HEAD_MOVED = "Head branch was modified. Review and try the merge again."


@dataclass
class FakeReview:
    user: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
    commit_id: str = "0" * 40


@dataclass
class FakeComment:
    user: str
    body: str


@dataclass
class FakeCheckRun:
    name: str
    status: str = "completed"  # queued, in_progress, completed
    conclusion: str | None = "success"


@dataclass
class FakeStatus:
    context: str
    state: str = "success"  # error, failure, pending, success


def branch_sha(repository: FakeRepository, branch: str) -> str | None:
    if repository.bare is None:
        return None
    listing = git(
        "for-each-ref", "--format=%(objectname)", f"refs/heads/{branch}", cwd=repository.bare
    )
    return listing or None


def mergeable(fake: GitHubFake, repository: FakeRepository, pull: FakePull) -> bool | None:
    """What GitHub says: None while it works it out (or for a pull request no longer open)."""
    if pull.state != "open":
        return None
    if pull.mergeable != "auto":
        return pull.mergeable
    if repository.bare is None:
        return True
    head, base = branch_sha(repository, pull.head), branch_sha(repository, pull.base)
    return head is not None and base is not None and _tree(repository, base, head) is not None


def handle(
    fake: GitHubFake,
    repository: FakeRepository,
    method: str,
    route: str,
    params: dict[str, str],
    query: dict[str, Any],
    body: Any,
) -> Canned:
    from github_fake import Canned, _error

    if route.endswith("/git/refs/{ref}"):
        return _delete_ref(repository, params["ref"])
    if route.endswith("/check-runs"):
        runs = repository.check_runs.get(params["ref"], [])
        body = {
            "total_count": len(runs),
            "check_runs": [
                _check_run(fake, repository, params["ref"], i, r) for i, r in enumerate(runs)
            ],
        }
        return Canned(200, body)
    if route.endswith("/status"):
        return Canned(200, _combined_status(fake, repository, params["ref"]))
    if route.endswith("/protection"):
        if repository.required_approvals is None or params["branch"] != repository.default_branch:
            return _error(404, "Branch not protected")
        return Canned(200, _protection(fake, repository))
    number = int(params.get("pull_number") or params["issue_number"])
    pull = next((p for p in repository.pulls if p.number == number), None)
    if pull is None:
        return _error(404, "Not Found")
    if route.endswith("/merge"):
        return _merge(fake, repository, pull, body or {})
    if route.endswith("/reviews"):
        return Canned(
            200, [_review(fake, repository, pull, i, r) for i, r in enumerate(pull.reviews)]
        )
    if method == "POST":
        pull.comments.append(FakeComment(fake.viewer, body["body"]))
        return Canned(201, _comment(fake, repository, pull, len(pull.comments) - 1))
    comments = [_comment(fake, repository, pull, i) for i in range(len(pull.comments))]
    per_page, page = int(query.get("per_page", ["30"])[0]), int(query.get("page", ["1"])[0])
    return Canned(200, comments[(page - 1) * per_page : page * per_page])


def _merge(
    fake: GitHubFake, repository: FakeRepository, pull: FakePull, body: dict[str, Any]
) -> Canned:
    from github_fake import Canned

    def refused(status: int, message: str) -> Canned:
        return Canned(
            status, {"message": message, "documentation_url": "https://docs.github.com/rest"}
        )

    if pull.state != "open" or pull.draft or mergeable(fake, repository, pull) is not True:
        return refused(405, NOT_MERGEABLE)
    head = fake.head_sha(repository, pull)
    if body.get("sha") not in (None, head):
        return refused(409, HEAD_MOVED)
    method = body.get("merge_method", "merge")
    sha = (
        _merged_commit(repository, pull, method) if repository.bare else _fake_sha(repository, pull)
    )
    pull.state, pull.merged, pull.merge_commit_sha = "closed", True, sha
    for hook in fake.on_merge:
        hook(repository, pull)
    return Canned(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


def _merged_commit(repository: FakeRepository, pull: FakePull, method: str) -> str:
    """Merge `pull` into its base in the bare repository, as GitHub's three methods do."""
    bare = repository.bare
    assert bare is not None
    base, head = branch_sha(repository, pull.base), branch_sha(repository, pull.head)
    assert base is not None and head is not None

    def commit(tree: str | None, parents: list[str], message: str) -> str:
        assert tree is not None, "merged only when mergeable"
        parent_args = [arg for parent in parents for arg in ("-p", parent)]
        return git(*AUTHOR, "commit-tree", tree, *parent_args, "-m", message, cwd=bare)

    if method == "squash":
        new = commit(_tree(repository, base, head), [base], f"{pull.title} (#{pull.number})")
    elif method == "rebase":  # each commit again on the new base, in order
        new = base
        for each in git("rev-list", "--reverse", f"{base}..{head}", cwd=bare).split():
            message = git("log", "-1", "--format=%B", each, cwd=bare)
            new = commit(_tree(repository, new, each), [new], message)
    else:
        where = f"{repository.owner}/{pull.head}"
        message = f"Merge pull request #{pull.number} from {where}\n\n{pull.title}"
        new = commit(_tree(repository, base, head), [base, head], message)
    git("update-ref", f"refs/heads/{pull.base}", new, base, cwd=bare)
    return new


def _tree(repository: FakeRepository, base: str, head: str) -> str | None:
    import subprocess

    from forge import git_env

    result = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--no-messages", base, head],
        cwd=repository.bare, env=git_env(), capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout.split()[0] if result.returncode == 0 else None


def _delete_ref(repository: FakeRepository, ref: str) -> Canned:
    from github_fake import Canned, _error

    branch = ref.removeprefix("heads/")
    if not ref.startswith("heads/") or branch_sha(repository, branch) is None:
        return _error(422, "Reference does not exist")
    assert repository.bare is not None
    git("update-ref", "-d", f"refs/heads/{branch}", cwd=repository.bare)
    return Canned(204, None)


def _fake_sha(repository: FakeRepository, pull: FakePull) -> str:
    return hashlib.sha1(f"{repository.owner}/{repository.name}#{pull.number}".encode()).hexdigest()


def _api(fake: GitHubFake, repository: FakeRepository) -> str:
    return f"{fake.url}/repos/{repository.owner}/{repository.name}"


def _check_run(
    fake: GitHubFake, repository: FakeRepository, sha: str, index: int, run: FakeCheckRun
) -> dict[str, Any]:
    id, api = 5000 + index, _api(fake, repository)
    html = f"{fake.url}/{repository.owner}/{repository.name}/runs/{id}"
    return {
        "id": id, "head_sha": sha, "node_id": f"CR_{id}", "external_id": None,
        "url": f"{api}/check-runs/{id}", "html_url": html, "details_url": None,
        "status": run.status, "conclusion": run.conclusion if run.status == "completed" else None,
        "started_at": CREATED, "completed_at": CREATED if run.status == "completed" else None,
        "output": {"title": None, "summary": None, "text": None, "annotations_count": 0,
                   "annotations_url": f"{api}/check-runs/{id}/annotations"},
        "name": run.name, "check_suite": {"id": 7}, "app": None, "pull_requests": [],
    }  # fmt: skip


def _combined_status(fake: GitHubFake, repository: FakeRepository, sha: str) -> dict[str, Any]:
    statuses = repository.statuses.get(sha, [])
    states = {s.state for s in statuses}
    if states & {"failure", "error"}:
        state = "failure"
    elif "pending" in states or not statuses:  # GitHub's word for no status at all, too
        state = "pending"
    else:
        state = "success"
    api = _api(fake, repository)
    return {
        "state": state, "sha": sha, "total_count": len(statuses),
        "statuses": [
            {"description": None, "id": 9000 + i, "node_id": f"SC_{i}", "state": s.state,
             "context": s.context, "target_url": None, "avatar_url": None,
             "url": f"{api}/statuses/{sha}", "created_at": CREATED, "updated_at": CREATED}
            for i, s in enumerate(statuses)
        ],
        "repository": fake.repository_body(repository),
        "commit_url": f"{api}/commits/{sha}", "url": f"{api}/commits/{sha}/status",
    }  # fmt: skip


def _protection(fake: GitHubFake, repository: FakeRepository) -> dict[str, Any]:
    url = f"{_api(fake, repository)}/branches/{repository.default_branch}/protection"
    return {
        "url": url, "enabled": True,
        "required_pull_request_reviews": {
            "url": f"{url}/required_pull_request_reviews", "dismiss_stale_reviews": False,
            "require_code_owner_reviews": False,
            "required_approving_review_count": repository.required_approvals,
        },
    }  # fmt: skip


def _review(
    fake: GitHubFake, repository: FakeRepository, pull: FakePull, index: int, review: FakeReview
) -> dict[str, Any]:
    id = 7000 + index
    html = f"{fake.url}/{repository.owner}/{repository.name}/pull/{pull.number}"
    pull_url = f"{_api(fake, repository)}/pulls/{pull.number}"
    return {
        "id": id, "node_id": f"PRR_{id}", "user": fake.user_body(review.user), "body": "",
        "state": review.state, "html_url": f"{html}#pullrequestreview-{id}",
        "pull_request_url": pull_url,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        "submitted_at": CREATED, "commit_id": review.commit_id, "author_association": "MEMBER",
    }  # fmt: skip


def _comment(
    fake: GitHubFake, repository: FakeRepository, pull: FakePull, index: int
) -> dict[str, Any]:
    comment, id = pull.comments[index], 8000 + index
    issue = f"{_api(fake, repository)}/issues/{pull.number}"
    html = f"{fake.url}/{repository.owner}/{repository.name}/pull/{pull.number}#issuecomment-{id}"
    return {
        "id": id, "node_id": f"IC_{id}", "url": f"{issue}/comments/{id}", "body": comment.body,
        "user": fake.user_body(comment.user), "created_at": CREATED, "updated_at": CREATED,
        "issue_url": issue, "html_url": html, "author_association": "OWNER",
    }  # fmt: skip
