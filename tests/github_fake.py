"""GitHub's REST API for tests, on loopback: the endpoints the adapters call, recorded.

Listings and search (`github_fake_listings`) page through Link headers; pull requests can be
merged (for real, in the bare repository a `FakeRepository` may name), closed, commented on
and reviewed, and their head commits carry check runs and statuses (`github_fake_lifecycle`).
Every GET answer has an ETag, and a request whose If-None-Match matches is answered 304 with
no body, which, as on GitHub, does not count against the rate limit (`counted`).

Bodies follow GitHub's OpenAPI description (the npm package @octokit/openapi); `OpenApi`
checks them against it with a small validator for the subset of JSON schema the description
uses (type, nullable, properties, required, items, enum, allOf/anyOf/oneOf, $ref, date-time
and uri formats), so that a fake body GitHub would never send fails the tests.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import github_fake_lifecycle as lifecycle
import github_fake_listings as listings
from loopback import serving

SPEC = (
    Path(__file__).resolve().parents[1]
    / "node_modules/@octokit/openapi/generated/api.github.com.json"
)
DOCS = "https://docs.github.com/rest"
CREATED = "2024-05-01T12:00:00Z"
SECONDARY_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
# The repository's URLs, relative to its API URL, as GitHub spells them: name, then suffix.
_URL_TABLE = """
    archive_url /{archive_format}{/ref}     assignees_url /assignees{/user}
    blobs_url /git/blobs{/sha}              branches_url /branches{/branch}
    collaborators_url /collaborators{/collaborator}
    comments_url /comments{/number}         commits_url /commits{/sha}
    compare_url /compare/{base}...{head}    contents_url /contents/{+path}
    git_commits_url /git/commits{/sha}      git_refs_url /git/refs{/sha}
    git_tags_url /git/tags{/sha}            issue_comment_url /issues/comments{/number}
    issue_events_url /issues/events{/number}                issues_url /issues{/number}
    keys_url /keys{/key_id}                 labels_url /labels{/name}
    milestones_url /milestones{/number}     notifications_url /notifications{?since}
    pulls_url /pulls{/number}               releases_url /releases{/id}
    statuses_url /statuses/{sha}            trees_url /git/trees{/sha}
    contributors_url /contributors          deployments_url /deployments
    downloads_url /downloads                events_url /events
    forks_url /forks                        hooks_url /hooks
    languages_url /languages                merges_url /merges
    stargazers_url /stargazers              subscribers_url /subscribers
    subscription_url /subscription          tags_url /tags
    teams_url /teams
"""
_REPOSITORY_URLS = list(zip(_URL_TABLE.split()[::2], _URL_TABLE.split()[1::2], strict=True))
# What GitHubPullRequestHost calls to open pull requests; then what comes after.
OPENING_ROUTES = (
    ("GET", "/repos/{owner}/{repo}"),
    ("GET", "/repos/{owner}/{repo}/pulls"),
    ("POST", "/repos/{owner}/{repo}/pulls"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"),
)
ROUTES = (*OPENING_ROUTES, *listings.ROUTES, *lifecycle.ROUTES)


@dataclass
class FakePull:
    number: int
    head: str
    base: str
    title: str
    body: str
    draft: bool = False
    state: str = "open"
    labels: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    merged: bool = False
    merge_commit_sha: str | None = None
    # "auto": worked out from the branches (True without git); None: GitHub is still at it.
    mergeable: bool | str | None = "auto"
    reviews: list[lifecycle.FakeReview] = field(default_factory=list)
    comments: list[lifecycle.FakeComment] = field(default_factory=list)
    head_sha: str = ""  # without a bare repository: the head commit, as tests move it


@dataclass
class FakeRepository:
    owner: str
    name: str
    id: int
    default_branch: str = "main"
    archived: bool = False
    pulls: list[FakePull] = field(default_factory=list)
    fork: bool = False
    topics: list[str] = field(default_factory=list)
    private: bool = True
    bare: Path | None = None  # the git repository behind it, where merges happen
    required_approvals: int | None = None  # branch protection of the default branch, if any
    check_runs: dict[str, list[lifecycle.FakeCheckRun]] = field(default_factory=dict)  # by sha
    statuses: dict[str, list[lifecycle.FakeStatus]] = field(default_factory=dict)  # by sha


@dataclass(frozen=True)
class Exchange:
    """One request and the answer the fake gave; `route` is its OpenAPI path, if it has one."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    body: Any
    route: str | None
    status: int
    headers: dict[str, str]
    answer: Any
    at: float = field(default_factory=time.monotonic)

    @property
    def counted(self) -> bool:
        """Whether GitHub counts it against the primary rate limit: all but a 304 does."""
        return self.status != 304


@dataclass(frozen=True)
class Canned:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class GitHubFake:
    """Repositories and pull requests in memory, behind GitHub's URLs on a loopback port."""

    def __init__(self, token: str, viewer: str = "cody-bot") -> None:
        self.token = token
        self.viewer = viewer  # the token's own user
        self.owners: dict[str, str] = {viewer.lower(): "User"}  # login -> User or Organization
        self.on_merge: list[Any] = []  # callables run after each merge, before the answer
        self.repositories: dict[str, FakeRepository] = {}
        self.exchanges: list[Exchange] = []
        self._canned: dict[tuple[str, str], list[Canned]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_repository(
        self,
        full_name: str,
        default_branch: str = "main",
        archived: bool = False,
        **more: Any,
    ) -> FakeRepository:
        """A repository; `more` sets FakeRepository's other fields (fork, topics, bare, ...)."""
        owner, name = full_name.split("/")
        repository = FakeRepository(
            owner, name, len(self.repositories) + 1, default_branch, archived, **more
        )
        self.repositories[full_name.lower()] = repository
        self.owners.setdefault(owner.lower(), "User")
        return repository

    def add_organization(self, login: str) -> None:
        self.owners[login.lower()] = "Organization"

    def counted(self) -> int:
        return sum(exchange.counted for exchange in self.exchanges)

    def open_pull(self, full_name: str, head: str, title: str = "Theirs") -> FakePull:
        """A pull request someone opened before the adapter looked."""
        repository = self.repositories[full_name.lower()]
        pull = FakePull(len(repository.pulls) + 1, head, repository.default_branch, title, "")
        repository.pulls.append(pull)
        return pull

    def pull(self, full_name: str, number: int) -> FakePull:
        return self.repositories[full_name.lower()].pulls[number - 1]

    def add_review(self, full_name: str, number: int, user: str, state: str) -> None:
        """A review, as GitHub records it: the reviewer is no longer a requested one."""
        pull = self.pull(full_name, number)
        sha = self.head_sha(self.repositories[full_name.lower()], pull)
        pull.reviews.append(lifecycle.FakeReview(user, state, sha))
        pull.reviewers = [name for name in pull.reviewers if name != user]

    def add_checks(
        self,
        full_name: str,
        number: int,
        runs: tuple[lifecycle.FakeCheckRun, ...] = (),
        statuses: tuple[lifecycle.FakeStatus, ...] = (),
    ) -> None:
        """Check runs and commit statuses on the pull request's head commit as it is now."""
        repository = self.repositories[full_name.lower()]
        sha = self.head_sha(repository, self.pull(full_name, number))
        repository.check_runs.setdefault(sha, []).extend(runs)
        repository.statuses.setdefault(sha, []).extend(statuses)

    def head_sha(self, repository: FakeRepository, pull: FakePull) -> str:
        return lifecycle.branch_sha(repository, pull.head) or pull.head_sha or "0" * 40

    def answer_next(self, method: str, route: str, *answers: Canned) -> None:
        """Give these answers, in order, to the next requests of `route` before serving it."""
        self._canned.setdefault((method, route), []).extend(answers)

    def requests(self, method: str | None = None, route: str | None = None) -> list[Exchange]:
        return [
            e
            for e in self.exchanges
            if (method is None or e.method == method) and (route is None or e.route == route)
        ]

    @contextmanager
    def running(self) -> Iterator[GitHubFake]:
        fake = self

        class Handler(_Handler):
            github = fake

        with serving(Handler) as self._server:
            yield self

    def serve(
        self,
        method: str,
        target: str,
        authorization: str | None,
        body: Any,
        if_none_match: str | None = None,
    ) -> Exchange:
        parts = urlsplit(target)
        route, params = _route(method, parts.path)
        query = parse_qs(parts.query)
        with self._lock:
            canned = self._canned.get((method, route or ""), [])
            if canned:
                answer = canned.pop(0)
            elif authorization not in (f"token {self.token}", f"Bearer {self.token}"):
                answer = _error(401, "Bad credentials")
            elif route is None:
                answer = _error(404, "Not Found")
            else:
                answer = self._handle(method, route, params, query, body)
            if method == "GET" and answer.status == 200:
                tag = 'W/"' + hashlib.sha256(json.dumps(answer.body).encode()).hexdigest() + '"'
                answer = Canned(200, answer.body, {**answer.headers, "ETag": tag})
                if if_none_match == tag:
                    answer = Canned(304, None, {"ETag": tag})
            counted = self.counted() + (answer.status != 304)
            resource = "search" if parts.path.startswith("/search/") else "core"
            headers = {**_rate_headers(counted, resource), **answer.headers}
            exchange = Exchange(
                method,
                parts.path,
                query,
                authorization,
                body,
                route,
                answer.status,
                headers,
                answer.body,
            )
            self.exchanges.append(exchange)
        return exchange

    def _handle(
        self, method: str, route: str, params: dict[str, str], query: dict[str, Any], body: Any
    ) -> Canned:
        if (method, route) in listings.ROUTES:
            return listings.handle(self, route, params, query)
        repository = self.repositories.get(f"{params['owner']}/{params['repo']}".lower())
        if repository is None:
            return _error(404, "Not Found")
        if (method, route) in lifecycle.ROUTES:
            return lifecycle.handle(self, repository, method, route, params, query, body)
        if method == "GET" and route == "/repos/{owner}/{repo}":
            return Canned(200, self.repository_body(repository, full=True))
        if method == "GET" and route.endswith("/pulls"):
            listed = _listed(repository, query)
            return Canned(200, [self.pull_body(repository, p, simple=True) for p in listed])
        if method != "GET" and repository.archived:
            return _error(403, "Repository was archived so is read-only.")
        if method == "POST" and route.endswith("/pulls"):
            return self._create(repository, body)
        number = int(params.get("pull_number") or params["issue_number"])
        pull = next((p for p in repository.pulls if p.number == number), None)
        if pull is None:
            return _error(404, "Not Found")
        if method == "PATCH":
            pull.title = body.get("title", pull.title)
            pull.body = body.get("body", pull.body)
            if body.get("state") in ("open", "closed") and not pull.merged:
                pull.state = body["state"]
        elif route.endswith("/requested_reviewers"):
            pull.reviewers += [name for name in body["reviewers"] if name not in pull.reviewers]
            return Canned(201, self.pull_body(repository, pull, simple=True))
        elif route.endswith("/labels"):
            names = body["labels"] if isinstance(body, dict) else body
            pull.labels += [name for name in names if name not in pull.labels]
            return Canned(200, [self.label_body(repository, name) for name in pull.labels])
        return Canned(200, self.pull_body(repository, pull))

    def _create(self, repository: FakeRepository, body: dict[str, Any]) -> Canned:
        head = body["head"].split(":")[-1]
        if any(p.head == head and p.state == "open" for p in repository.pulls):
            error = {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"A pull request already exists for {repository.owner}:{head}.",
            }
            documentation = f"{DOCS}/pulls/pulls#create-a-pull-request"
            return Canned(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [error],
                    "documentation_url": documentation,
                },
            )
        title, text = body.get("title", ""), body.get("body") or ""
        number, draft = len(repository.pulls) + 1, bool(body.get("draft", False))
        pull = FakePull(number, head, body["base"], title, text, draft)
        repository.pulls.append(pull)
        return Canned(201, self.pull_body(repository, pull))

    # Bodies, shaped as GitHub's OpenAPI description says.

    def user_body(self, login: str, id: int = 1) -> dict[str, Any]:
        api, html = f"{self.url}/users/{login}", f"{self.url}/{login}"
        return {
            "login": login, "id": id, "node_id": f"U_{id}", "type": "User", "site_admin": False,
            "avatar_url": f"{self.url}/avatars/{login}", "gravatar_id": "",
            "url": api, "html_url": html, "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions", "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
        }  # fmt: skip

    def repository_body(self, repository: FakeRepository, full: bool = False) -> dict[str, Any]:
        """The `repository` schema; also `minimal-repository`, which listings give."""
        full_name = f"{repository.owner}/{repository.name}"
        api, html = f"{self.url}/repos/{full_name}", f"{self.url}/{full_name}"
        templated = {key: api + suffix for key, suffix in _REPOSITORY_URLS}
        body: dict[str, Any] = {
            "id": repository.id, "node_id": f"R_{repository.id}", "name": repository.name,
            "full_name": full_name, "owner": self.user_body(repository.owner),
            "private": repository.private, "description": None, "fork": repository.fork,
            "url": api, "html_url": html, "topics": list(repository.topics),
            **templated,
            "clone_url": f"{html}.git", "git_url": f"{html}.git", "ssh_url": f"{html}.git",
            "svn_url": html, "mirror_url": None, "homepage": None, "language": None,
            "default_branch": repository.default_branch, "archived": repository.archived,
            "disabled": False, "has_issues": True, "has_projects": False, "has_wiki": False,
            "has_pages": False, "has_downloads": True, "has_discussions": False, "license": None,
            "forks": 0, "forks_count": 0, "open_issues": 0, "open_issues_count": 0, "size": 1,
            "stargazers_count": 0, "watchers": 0, "watchers_count": 0,
            "pushed_at": CREATED, "created_at": CREATED, "updated_at": CREATED,
        }  # fmt: skip
        if full:
            body.update(network_count=0, subscribers_count=0)
        else:
            del body["has_discussions"]
        return body

    def label_body(self, repository: FakeRepository, name: str) -> dict[str, Any]:
        # "" rather than null: the simple pull request schema does not allow a null description
        id = sum(name.encode())
        return {
            "id": id, "node_id": f"LA_{id}", "name": name, "description": "", "color": "ededed",
            "default": False,
            "url": f"{self.url}/repos/{repository.owner}/{repository.name}/labels/{name}",
        }  # fmt: skip

    def pull_body(
        self, repository: FakeRepository, pull: FakePull, simple: bool = False
    ) -> dict[str, Any]:
        full_name = f"{repository.owner}/{repository.name}"
        api = f"{self.url}/repos/{full_name}"
        url, issue = f"{api}/pulls/{pull.number}", f"{api}/issues/{pull.number}"
        html = f"{self.url}/{full_name}/pull/{pull.number}"
        links = {
            "self": url, "html": html, "issue": issue, "comments": f"{issue}/comments",
            "review_comments": f"{url}/comments",
            "review_comment": f"{api}/pulls/comments{{/number}}",
            "commits": f"{url}/commits", "statuses": f"{api}/statuses/{'0' * 40}",
        }  # fmt: skip
        body: dict[str, Any] = {
            "id": 1000 + pull.number, "node_id": f"PR_{pull.number}", "number": pull.number,
            "url": url, "html_url": html, "issue_url": issue, "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch", "commits_url": links["commits"],
            "comments_url": links["comments"], "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"], "statuses_url": links["statuses"],
            "state": pull.state, "locked": False, "title": pull.title, "body": pull.body,
            "draft": pull.draft, "user": self.user_body(repository.owner),
            "labels": [self.label_body(repository, name) for name in pull.labels],
            "assignee": None, "assignees": [],
            "requested_reviewers": [self.user_body(name) for name in pull.reviewers],
            "requested_teams": [],
            "milestone": None, "created_at": CREATED, "updated_at": CREATED,
            "closed_at": None if pull.state == "open" else CREATED,
            "merged_at": CREATED if pull.merged else None,
            "merge_commit_sha": pull.merge_commit_sha, "author_association": "OWNER",
            "auto_merge": None, "_links": {name: {"href": href} for name, href in links.items()},
            "head": self._end(repository, pull.head, self.head_sha(repository, pull)),
            "base": self._end(repository, pull.base),
        }  # fmt: skip
        if not simple:
            mergeable = lifecycle.mergeable(self, repository, pull)
            state = {True: "clean", False: "dirty", None: "unknown"}[mergeable]
            body.update(
                merged=pull.merged, mergeable=mergeable, mergeable_state=state, merged_by=None,
                comments=len(pull.comments), review_comments=0, maintainer_can_modify=False,
                commits=1, additions=1, deletions=0, changed_files=1,
            )  # fmt: skip
        return body

    def _end(self, repository: FakeRepository, ref: str, sha: str | None = None) -> dict[str, Any]:
        sha = sha or lifecycle.branch_sha(repository, ref) or "0" * 40
        return {
            "label": f"{repository.owner}:{ref}", "ref": ref, "sha": sha,
            "user": self.user_body(repository.owner), "repo": self.repository_body(repository),
        }  # fmt: skip


def rate_limited(retry_after: int | None = None, primary_reset_in: int | None = None) -> Canned:
    """A 403 as GitHub sends it for its secondary limit (retry-after) or its primary limit."""
    if primary_reset_in is not None:
        reset = str(int(time.time()) + primary_reset_in)
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
        return _error(403, "API rate limit exceeded for user ID 1.", headers)
    headers = {} if retry_after is None else {"retry-after": str(retry_after)}
    return _error(403, SECONDARY_LIMIT, headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Canned:
    body = {"message": message, "documentation_url": DOCS, "status": str(status)}
    return Canned(status, body, headers or {})


def _rate_headers(used: int = 1, resource: str = "core") -> dict[str, str]:
    return {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": str(max(0, 5000 - used)),
        "x-ratelimit-used": str(used),
        "x-ratelimit-reset": str(int(time.time()) + 3600),
        "x-ratelimit-resource": resource,
    }


def _listed(repository: FakeRepository, query: dict[str, list[str]]) -> list[FakePull]:
    state = query.get("state", ["open"])[0]
    head = query.get("head", [None])[0]
    return [
        p
        for p in repository.pulls
        if (state == "all" or p.state == state)
        and (head is None or head.lower() == f"{repository.owner}:{p.head}".lower())
    ]


def _route(method: str, path: str) -> tuple[str | None, dict[str, str]]:
    for route_method, route in ROUTES:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route))
        if route.endswith("/git/refs/{ref}"):  # GitHub's one multi-segment parameter here
            pattern = pattern.replace("(?P<ref>[^/]+)", "(?P<ref>.+)")
        match = re.fullmatch(pattern, path)
        if match and route_method == method:
            return route, {name: unquote(value) for name, value in match.groupdict().items()}
    return None, {}


class _Handler(BaseHTTPRequestHandler):
    github: GitHubFake

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        exchange = self.github.serve(
            self.command,
            self.path,
            self.headers.get("Authorization"),
            body,
            self.headers.get("If-None-Match"),
        )
        data = b"" if exchange.answer is None else json.dumps(exchange.answer).encode()
        self.send_response(exchange.status)
        for name, value in exchange.headers.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # a client killed while it waited
            pass

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class OpenApi:
    """GitHub's OpenAPI description, and a check of a response body against it."""

    def __init__(self, path: Path = SPEC) -> None:
        self.description = json.loads(path.read_bytes())

    def response_schema(self, method: str, route: str, status: int) -> dict[str, Any] | None:
        """The schema of the answer, None when it has no body; undocumented error statuses,
        and documented ones without a body, take GitHub's basic error."""
        operation = self.description["paths"][route][method.lower()]
        response = operation["responses"].get(str(status))
        basic_error = {"$ref": "#/components/schemas/basic-error"}
        if response is None:
            if status < 400:
                raise AssertionError(f"{method} {route} does not document status {status}")
            return self._resolve(basic_error)
        content = self._resolve(response).get("content")
        if content is None:
            return self._resolve(basic_error) if status >= 400 else None
        return content["application/json"]["schema"]

    def undocumented(self, fake: GitHubFake) -> list[str]:
        """What `fake` answered that GitHub's description does not allow. A 304 may answer any
        conditional GET (the description lists it for a few) and has no body."""
        found = []
        for exchange in fake.exchanges:
            if exchange.route is None:
                continue
            where = f"{exchange.method} {exchange.path} {exchange.status}"
            if exchange.status == 304:
                if exchange.method != "GET" or exchange.answer is not None:
                    found.append(f"{where}: a 304 answers a GET, with no body")
                continue
            schema = self.response_schema(exchange.method, exchange.route, exchange.status)
            if schema is None:
                if exchange.answer is not None:
                    found.append(f"{where}: a body where GitHub sends none")
                continue
            found += [f"{where}: {error}" for error in self.errors(exchange.answer, schema)]
        return found

    def errors(self, value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
        """What is wrong with `value`; also names properties the schema does not declare."""
        schema = self._resolve(schema)
        if value is None:
            return [] if schema.get("nullable") else [f"{where}: null where it may not be"]
        found: list[str] = []
        for part in schema.get("allOf", ()):
            found += self.errors(value, part, where)
        if "anyOf" in schema and all(self.errors(value, s, where) for s in schema["anyOf"]):
            found.append(f"{where}: matches none of anyOf")
        if "oneOf" in schema:
            matching = sum(not self.errors(value, s, where) for s in schema["oneOf"])
            if matching != 1:
                found.append(f"{where}: matches {matching} of oneOf, not one")
        kind = schema.get("type")
        if kind is not None and not _is_type(value, kind):
            return [*found, f"{where}: {type(value).__name__} where {kind} is expected"]
        if "enum" in schema and value not in schema["enum"]:
            found.append(f"{where}: {value!r} is not one of {schema['enum']}")
        if isinstance(value, str):
            found += _format_errors(value, schema.get("format"), where)
        if isinstance(value, list):
            for index, item in enumerate(value):
                found += self.errors(item, schema.get("items", {}), f"{where}[{index}]")
        if isinstance(value, dict):
            found += self._object_errors(value, schema, where)
        return found

    def _object_errors(
        self, value: dict[str, Any], schema: dict[str, Any], where: str
    ) -> list[str]:
        properties = schema.get("properties", {})
        required = schema.get("required", ())
        found = [f"{where}: missing {name!r}" for name in required if name not in value]
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                found += self.errors(item, properties[name], f"{where}.{name}")
            elif isinstance(extra, dict):
                found += self.errors(item, extra, f"{where}.{name}")
            elif extra is False or (extra is None and properties and not _combines(schema)):
                found.append(f"{where}: {name!r} is not in GitHub's description")
        return found

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.description
            for key in schema["$ref"].removeprefix("#/").split("/"):
                node = node[key]
            schema = node
        return schema


def _combines(schema: dict[str, Any]) -> bool:
    return any(key in schema for key in ("allOf", "anyOf", "oneOf"))


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    types = {"string": str, "boolean": bool, "object": dict, "array": list}
    return isinstance(value, types[kind])


def _format_errors(value: str, format: str | None, where: str) -> list[str]:
    if format == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return [f"{where}: {value!r} is not a date-time"]
    if format == "uri" and not re.match(r"[a-z][a-z0-9+.-]*://\S+$", value):
        return [f"{where}: {value!r} is not a uri"]
    return []
