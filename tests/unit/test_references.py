"""Repository references: accepted spellings, rejections, and normalisation properties."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cody_core.errors import InputError
from cody_core.policies.references import SHELL_METACHARACTERS, RepositoryRef, parse_reference

owners = st.from_regex(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,12}", fullmatch=True)
names = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}", fullmatch=True).filter(
    lambda name: not name.lower().endswith(".git")
)
segments = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,12}", fullmatch=True)
absolute_paths = st.lists(segments, min_size=1, max_size=6).map(lambda parts: "/" + "/".join(parts))
GITHUB_TEMPLATES = (
    "{o}/{n}",
    "{o}/{n}.git",
    "github.com/{o}/{n}",
    "www.github.com/{o}/{n}/",
    "https://github.com/{o}/{n}",
    "https://github.com/{o}/{n}/",
    "https://github.com/{o}/{n}.git",
    "https://www.github.com/{o}/{n}.git/",
)
BAD_CHARACTERS = [*sorted(SHELL_METACHARACTERS), " ", "\t", "\n", "\x00", "\x7f", "\u200b"]


@st.composite
def github_spellings(draw, owner: str | None = None, name: str | None = None):
    owner = owner or draw(owners)
    name = name or draw(names)
    text = draw(st.sampled_from(GITHUB_TEMPLATES)).format(o=owner, n=name)
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(ch.swapcase() if flip else ch for ch, flip in zip(text, flips, strict=True))


@st.composite
def valid_references(draw):
    if draw(st.booleans()):
        return draw(github_spellings())
    path = draw(absolute_paths)
    return draw(st.sampled_from([path, f"file://{path}", f"{path}/"]))


@pytest.mark.parametrize(
    "raw",
    [
        "Acme/Widget",
        "acme/widget.git",
        "github.com/acme/widget",
        "GitHub.com/Acme/Widget",
        "https://github.com/acme/widget",
        "https://github.com/acme/widget/",
        "https://github.com/Acme/Widget.git",
        "https://www.github.com/acme/widget.git/",
    ],
)
def test_every_github_spelling_names_the_lowercase_owner_and_name(raw: str) -> None:
    assert parse_reference(raw) == RepositoryRef(kind="github", name="acme/widget")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/srv/repos/widget", "/srv/repos/widget"),
        ("/srv/repos/widget/", "/srv/repos/widget"),
        ("/srv/./repos/widget", "/srv/repos/widget"),
        ("./widget", "/work/widget"),
        (".", "/work"),
        ("~/widget", "/home/me/widget"),
        ("~", "/home/me"),
        ("file:///srv/repos/widget", "/srv/repos/widget"),
        ("file://localhost/srv/repos/widget", "/srv/repos/widget"),
        ("file:///srv/repos/my%2Dwidget", "/srv/repos/my-widget"),
        ("/a", "/a"),
    ],
)
def test_local_paths_become_absolute_normalised_paths(raw: str, expected: str) -> None:
    ref = parse_reference(raw, cwd="/work", home="/home/me")
    assert ref == RepositoryRef(kind="local", name=expected)
    assert ref.is_local and ref.owner == ""


def test_relative_paths_resolve_against_the_process_directory_by_default(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_reference("./widget").name == posixpath.join(str(tmp_path), "widget")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("gitlab.com/a/b", "not on github.com"),
        ("https://gitlab.com/a/b", "not on github.com"),
        ("git@github.com:a/b.git", "not on github.com"),
        ("http://github.com/a/b", "not on github.com"),
        ("ssh://git@github.com/a/b", "not on github.com"),
        ("../widget", "'..'"),
        ("/srv/../etc", "'..'"),
        ("file:///srv/%2E%2E/etc", "'..'"),
        ("..", "'..'"),
        ("a//b", "empty part"),
        ("a/", "empty part"),
        ("/a//b", "empty segment"),
        ("a/b/", "empty part"),
        ("a/b/c", "3 path parts"),
        ("https://github.com/a/b/tree/main", "4 path parts"),
        ("acme", "owner/name"),
        (" acme/widget", "whitespace"),
        ("acme/widget\n", "whitespace"),
        ("acme/wid\u202eget", "control"),
        ("/srv/my repo", "whitespace"),
        ("file:///srv/my%20repo", "whitespace"),
        ("file:///srv/%00x", "control"),
        ("acme/widget;rm", "';'"),
        ("$(id)/x", "'$'"),
        ("/srv/`id`", "'`'"),
        ("file:///srv/a%3Bb", "';'"),
        ("https://user:pw@github.com/a/b", "credentials"),
        ("https://token@github.com/a/b", "credentials"),
        ("https://@github.com/a/b", "credentials"),
        ("https://github.com:443/a/b", "port"),
        ("https://github.com:x/a/b", "port"),
        ("https://github.com/a/b?ref=main", "query"),
        ("https://github.com/a/b?", "query"),
        ("https://github.com/a/b#readme", "fragment"),
        ("file:///srv/x?y", "query"),
        ("file://host/srv/x", "file:///absolute/path"),
        ("https://[::1/a/b", "malformed"),
        ("-acme/widget", "GitHub owner"),
        ("ac--me/widget", "GitHub owner"),
        (f"{'a' * 40}/widget", "GitHub owner"),
        ("acme/..", "'..'"),
        ("acme/.", "GitHub name"),
        ("acme/widget.git.git", "GitHub name"),
        ("~other/widget", "only ~/"),
        ("/", "root"),
        ("", "empty"),
    ],
)
def test_bad_references_are_rejected_with_a_message_naming_them(raw: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_reference(raw, cwd="/work", home="/home/me")
    message = str(caught.value)
    assert says in message
    assert "\n" not in message
    if raw:
        assert repr(raw) in message


@pytest.mark.parametrize(
    ("cwd", "says"), [("/home/my files", "whitespace"), ("/home/a;b", "';'"), ("//srv", "absolute")]
)
def test_a_working_directory_that_is_no_valid_path_is_rejected_not_stored(cwd, says) -> None:
    with pytest.raises(InputError, match=says):
        parse_reference("./widget", cwd=cwd)


@given(owners, names, st.data())
def test_every_spelling_of_one_repository_gives_one_name(owner: str, name: str, data) -> None:
    first = parse_reference(data.draw(github_spellings(owner, name)))
    second = parse_reference(data.draw(github_spellings(owner, name)))
    assert first == second == RepositoryRef(kind="github", name=f"{owner}/{name}".lower())


@given(github_spellings())
def test_github_normalisation_is_idempotent(raw: str) -> None:
    ref = parse_reference(raw)
    assert parse_reference(str(ref)) == ref
    assert ref.name == ref.name.lower()


@given(owners, names)
def test_github_names_compare_case_insensitively(owner: str, name: str) -> None:
    spelled = f"{owner}/{name}"
    assert parse_reference(spelled.upper()) == parse_reference(spelled.lower())


@given(absolute_paths, st.sampled_from(["{p}", "{p}/", "file://{p}", "file://localhost{p}/"]))
def test_a_local_canonical_path_parses_to_itself(path: str, template: str) -> None:
    ref = parse_reference(template.format(p=path))
    assert ref == RepositoryRef(kind="local", name=posixpath.normpath(path))
    assert parse_reference(ref.name) == ref


@given(absolute_paths, absolute_paths, st.sampled_from(["./", "~/"]))
def test_relative_paths_resolve_to_canonical_absolute_paths(cwd: str, home: str, prefix: str):
    ref = parse_reference(prefix + "widget", cwd=cwd, home=home)
    assert ref.name == posixpath.join(cwd if prefix == "./" else home, "widget")
    assert parse_reference(ref.name) == ref


junk = st.one_of(
    st.text(),
    st.tuples(
        st.sampled_from(["", "/", "./", "~", "file://", "file:", "https://", "github.com/", "a/"]),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    ).map("".join),
    st.text(alphabet="/.:@%~-_?#aB0 ", max_size=30),
)


@given(junk)
def test_junk_is_either_a_reference_or_an_input_error(raw: str) -> None:
    try:
        ref = parse_reference(raw, cwd="/work", home="/home/me")
    except InputError as exc:
        assert str(exc)
        return
    assert not any(ch in SHELL_METACHARACTERS or ch.isspace() for ch in raw + ref.name)
    assert parse_reference(ref.name) == ref


@given(valid_references(), st.sampled_from(BAD_CHARACTERS), st.data())
def test_a_metacharacter_or_control_character_anywhere_is_rejected(
    raw: str, bad: str, data
) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(raw)))
    with pytest.raises(InputError):
        parse_reference(raw[:position] + bad + raw[position:])


@given(valid_references(), st.data())
def test_a_dot_dot_segment_is_rejected(raw: str, data) -> None:
    slashes = [i for i, ch in enumerate(raw) if ch == "/"]
    assume(slashes)
    cut = data.draw(st.sampled_from(slashes))
    with pytest.raises(InputError):
        parse_reference(raw[: cut + 1] + "../" + raw[cut + 1 :])
