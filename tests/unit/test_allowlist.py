"""ALLOWED_REPOSITORIES: GitHub patterns, local path globs, and the error that names the fix."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cody_core.errors import InputError, NotAllowedError
from cody_core.policies.allowlist import Allowlist
from cody_core.policies.references import RepositoryRef, parse_reference

owners = st.from_regex(r"[a-z0-9](?:-?[a-z0-9]){0,10}", fullmatch=True)
names = st.from_regex(r"[a-z0-9_-][a-z0-9._-]{0,15}", fullmatch=True).filter(
    lambda name: not name.endswith(".git")
)
segments = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,10}", fullmatch=True)
paths = st.lists(segments, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts))


def github(name: str) -> RepositoryRef:
    return RepositoryRef(kind="github", name=name)


def local(path: str) -> RepositoryRef:
    return RepositoryRef(kind="local", name=path)


def test_parse_trims_entries_and_ignores_empty_ones() -> None:
    allowlist = Allowlist.parse(" acme/widget , ,acme-labs/*,, /srv/repos/* ,")
    assert allowlist.patterns == ("acme/widget", "acme-labs/*", "/srv/repos/*")


@pytest.mark.parametrize("text", ["", " ", ",", " , ,"])
def test_an_empty_allowlist_allows_nothing(text: str) -> None:
    allowlist = Allowlist.parse(text)
    assert allowlist.patterns == ()
    assert not allowlist.allows(github("acme/widget"))
    assert not allowlist.allows(local("/srv/repos/widget"))


@pytest.mark.parametrize(
    ("patterns", "ref", "allowed"),
    [
        ("acme/widget", github("acme/widget"), True),
        ("Acme/Widget", github("acme/widget"), True),
        ("https://github.com/Acme/Widget.git", github("acme/widget"), True),
        ("acme/widget", github("acme/widgets"), False),
        ("acme/*", github("acme/anything"), True),
        ("ACME/*", github("acme/anything"), True),
        ("acme/*", github("acme-labs/widget"), False),
        ("acme/svc-*", github("acme/svc-billing"), True),
        ("acme/svc-*", github("acme/web"), False),
        ("*/*", github("anyone/anything"), True),
        ("*/widget", github("acme/widget"), True),
        ("*/*", local("/srv/repos/widget"), False),
        ("*/*", local("/widget"), False),
        ("*/widget", local("/widget"), False),
        ("acme/*", local("/acme/widget"), False),
        ("/srv/repos/*", local("/srv/repos/widget"), True),
        ("/srv/repos/*", local("/srv/repos/team/widget"), False),
        ("/srv/repos/*", local("/srv/repos"), False),
        ("/srv/repos/*", local("/srv/other/widget"), False),
        ("/srv/repos/*", github("srv/repos"), False),
        ("/tmp/**", local("/tmp/a/b/c"), True),
        ("/tmp/**", local("/tmp/a"), True),
        ("/tmp/**", local("/tmpx/a"), False),
        ("/srv/**/widget", local("/srv/widget"), True),
        ("/srv/**/widget", local("/srv/a/b/widget"), True),
        ("/srv/repos/widget", local("/srv/repos/widget"), True),
        ("/srv/repos/widget/", local("/srv/repos/widget"), True),
        ("/srv/repos/widget", local("/srv/repos/Widget"), False),
        ("file:///srv/repos/*", local("/srv/repos/widget"), True),
        ("file:///srv/repos/widget", local("/srv/repos/widget"), True),
        ("/srv/*.repo", local("/srv/x.repo"), True),
        ("/srv/*.repo", local("/srv/x.repox"), False),
        ("/srv/repos/*, acme/*", github("acme/widget"), True),
    ],
)
def test_patterns(patterns: str, ref: RepositoryRef, allowed: bool) -> None:
    assert Allowlist.parse(patterns).allows(ref) is allowed


@pytest.mark.parametrize(
    "pattern", ["*", "acme", "a/b/c", "gitlab.com/a/b", "./repos", "~/repos", "/srv/../x/*"]
)
def test_a_pattern_that_can_never_match_is_a_configuration_error(pattern: str) -> None:
    with pytest.raises(InputError, match="ALLOWED_REPOSITORIES"):
        Allowlist.parse(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "liamzdenek/*",
        "github.com/liamzdenek/*",  # what the existing stack sets
        "GitHub.com/LiamZdenek/*",
        "www.github.com/liamzdenek/*",
        "https://github.com/liamzdenek/*",
        "https://github.com/liamzdenek/*/",
        "https://www.github.com/liamzdenek/*.git",
    ],
)
def test_owner_globs_take_every_spelling_a_repository_reference_takes(pattern: str) -> None:
    allowlist = Allowlist.parse(pattern)

    assert allowlist.allows(parse_reference("liamzdenek/cody"))
    assert allowlist.allows(parse_reference("https://github.com/LiamZdenek/cody.git"))
    assert not allowlist.allows(parse_reference("other/cody"))
    assert not allowlist.allows(local("/liamzdenek/cody"))


@pytest.mark.parametrize(
    "pattern",
    ["http://github.com/o/*", "gitlab.com/o/*", "https://github.com/o/*/x", "github.com/*"],
)
def test_other_hosts_and_shapes_of_glob_are_still_refused(pattern: str) -> None:
    with pytest.raises(InputError, match="ALLOWED_REPOSITORIES"):
        Allowlist.parse(pattern)


def test_check_names_the_repository_the_patterns_and_a_pattern_to_add() -> None:
    with pytest.raises(NotAllowedError) as caught:
        Allowlist.parse("acme/*, /srv/repos/*").check(github("other/widget"))
    assert str(caught.value) == (
        "other/widget is not in ALLOWED_REPOSITORIES (acme/*, /srv/repos/*): add it, or a "
        "pattern such as other/*, to ALLOWED_REPOSITORIES"
    )
    assert caught.value.kind == "not-allowed"


def test_check_on_an_empty_allowlist_says_it_is_empty() -> None:
    with pytest.raises(NotAllowedError, match=r"\(empty\).*/srv/repos/\*"):
        Allowlist.parse("").check(local("/srv/repos/widget"))


def test_check_passes_an_allowed_repository() -> None:
    Allowlist.parse("acme/*").check(github("acme/widget"))


@given(owners, names)
def test_a_repository_is_allowed_by_its_own_name(owner: str, name: str) -> None:
    ref = parse_reference(f"{owner}/{name}")
    assert Allowlist((ref.name,)).allows(ref)


@given(paths)
def test_a_local_repository_is_allowed_by_its_own_path(path: str) -> None:
    ref = parse_reference(path)
    assert Allowlist((ref.name,)).allows(ref)
    assert not Allowlist((ref.name + "x",)).allows(ref)


@given(owners, names, owners)
def test_owner_star_allows_every_repository_of_that_owner_and_no_other(
    owner: str, name: str, other: str
) -> None:
    allowlist = Allowlist((f"{owner}/*",))
    assert allowlist.allows(github(f"{owner}/{name}"))
    assume(other != owner)
    assert not allowlist.allows(github(f"{other}/{name}"))


@given(owners, names, st.data())
def test_github_patterns_ignore_case(owner: str, name: str, data) -> None:
    spelled = f"{owner}/{name}"
    flips = data.draw(st.lists(st.booleans(), min_size=len(spelled), max_size=len(spelled)))
    pattern = "".join(ch.swapcase() if f else ch for ch, f in zip(spelled, flips, strict=True))
    assert Allowlist((pattern,)).allows(github(spelled))
    assert Allowlist((f"{owner.upper()}/*",)).allows(github(spelled))
    assert Allowlist((spelled,)).allows(github(spelled.upper()))


@given(paths, st.lists(segments, min_size=1, max_size=3))
def test_a_single_star_never_crosses_a_path_segment(parent: str, below: list[str]) -> None:
    allowlist = Allowlist((f"{parent}/*",))
    assert allowlist.allows(local(f"{parent}/{below[0]}"))
    assert allowlist.allows(local(f"{parent}/{'/'.join(below)}")) is (len(below) == 1)
    assert Allowlist((f"{parent}/**",)).allows(local(f"{parent}/{'/'.join(below)}"))


@given(owners, names)
def test_github_patterns_never_match_local_paths_and_vice_versa(owner: str, name: str) -> None:
    assert not Allowlist((f"{owner}/{name}", "*/*")).allows(local(f"/{owner}/{name}"))
    assert not Allowlist((f"/{owner}/{name}", "/**")).allows(github(f"{owner}/{name}"))
