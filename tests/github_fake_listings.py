"""The GitHub fake's users, organisations' and users' repository listings, and repository search,
paginated as GitHub does: `per_page` (30 by default, at most 100), `page`, and a Link header."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from github_fake import Canned, FakeRepository, GitHubFake

ROUTES = (
    ("GET", "/users/{username}"),
    ("GET", "/user"),
    ("GET", "/orgs/{org}/repos"),
    ("GET", "/users/{username}/repos"),
    ("GET", "/user/repos"),
    ("GET", "/search/repositories"),
)
CREATED = "2024-05-01T12:00:00Z"


def handle(fake: GitHubFake, route: str, params: dict[str, str], query: dict[str, Any]) -> Canned:
    from github_fake import Canned, _error

    if route == "/user":
        return Canned(200, _private_user(fake, fake.viewer))
    if route == "/users/{username}":
        kind = fake.owners.get(params["username"].lower())
        if kind is None:
            return _error(404, "Not Found")
        return Canned(200, _public_user(fake, params["username"], kind))
    if route == "/search/repositories":
        found = _search(fake, _first(query, "q") or "")
        items, links = _page(fake, "/search/repositories", query, found)
        body = {
            "total_count": len(found),
            "incomplete_results": False,
            "items": [{**fake.repository_body(r), "score": 1.0} for r in items],
        }
        return Canned(200, body, links)
    if route == "/orgs/{org}/repos":
        org = params["org"].lower()
        if fake.owners.get(org) != "Organization":
            return _error(404, "Not Found")
        owned = _owned(fake, org, private=True)
        path = f"/orgs/{params['org']}/repos"
    elif route == "/users/{username}/repos":  # someone else's: their public repositories
        owned = _owned(fake, params["username"].lower(), private=False)
        path = f"/users/{params['username']}/repos"
    else:
        owned = _owned(fake, fake.viewer.lower(), private=True)
        path = "/user/repos"
    items, links = _page(fake, path, query, owned)
    return Canned(200, [fake.repository_body(r) for r in items], links)


def _owned(fake: GitHubFake, owner: str, private: bool) -> list[FakeRepository]:
    return [
        r
        for r in fake.repositories.values()
        if r.owner.lower() == owner and (private or not r.private)
    ]


def _search(fake: GitHubFake, q: str) -> list[FakeRepository]:
    """Qualifiers org:, user:, topic: (each must match), fork: (true, only; forks are left out
    otherwise) and archived:; other words must appear in the name."""
    words = q.split()
    qualified: dict[str, list[str]] = {}
    for word in words:
        if ":" in word:
            key, _, value = word.partition(":")
            qualified.setdefault(key, []).append(value.lower())
    text = [word.lower() for word in words if ":" not in word]
    fork = (qualified.get("fork") or [""])[-1]
    archived = (qualified.get("archived") or [""])[-1]
    found = []
    for r in fake.repositories.values():
        owner = r.owner.lower()
        if any(
            o != owner or fake.owners.get(o) != "Organization" for o in qualified.get("org", ())
        ):
            continue
        if any(u != owner for u in qualified.get("user", ())):
            continue
        if any(t not in r.topics for t in qualified.get("topic", ())):
            continue
        if (r.fork and fork not in ("true", "only")) or (not r.fork and fork == "only"):
            continue
        if archived and (archived == "true") != r.archived:
            continue
        if all(word in r.name.lower() for word in text):
            found.append(r)
    return found


def _page(
    fake: GitHubFake, path: str, query: dict[str, Any], items: list[Any]
) -> tuple[list[Any], dict[str, str]]:
    per_page = min(100, int(_first(query, "per_page") or 30))
    page = int(_first(query, "page") or 1)
    last = max(1, -(-len(items) // per_page))
    kept = {k: v[0] for k, v in query.items() if k not in ("page", "per_page")}

    def link(number: int, rel: str) -> str:
        arguments = urlencode({**kept, "per_page": per_page, "page": number})
        return f'<{fake.url}{path}?{arguments}>; rel="{rel}"'

    links = []
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links += [link(1, "first"), link(page - 1, "prev")]
    headers = {"Link": ", ".join(links)} if links else {}
    return items[(page - 1) * per_page : page * per_page], headers


def _first(query: dict[str, Any], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _public_user(fake: GitHubFake, login: str, kind: str) -> dict[str, Any]:
    body = fake.user_body(login)
    owned = [r for r in fake.repositories.values() if r.owner.lower() == login.lower()]
    body.update(
        type=kind, name=None, company=None, blog=None, location=None, email=None,
        hireable=None, bio=None, public_repos=sum(not r.private for r in owned),
        public_gists=0, followers=0, following=0, created_at=CREATED, updated_at=CREATED,
        user_view_type="public",
    )  # fmt: skip
    return body


def _private_user(fake: GitHubFake, login: str) -> dict[str, Any]:
    body = _public_user(fake, login, "User")
    owned = [r for r in fake.repositories.values() if r.owner.lower() == login.lower()]
    body.update(
        private_gists=0, total_private_repos=sum(r.private for r in owned),
        owned_private_repos=sum(r.private for r in owned), disk_usage=0, collaborators=0,
        two_factor_authentication=True, user_view_type="private",
    )  # fmt: skip
    return body
