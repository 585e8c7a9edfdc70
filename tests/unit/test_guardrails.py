"""Guardrails on a diff: size limits, protected paths and secrets in added lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cody_core.models import DEFAULT_PROTECTED_PATHS, Job
from cody_core.policies.guardrails import (
    DiffLimits,
    added_lines,
    check_diff,
    compile_glob,
    lines_changed,
)
from cody_core.ports import Diff, FileChange

TOKEN = "ghp_" + "Z9y8X7w6" * 4 + "abcd"
LOOSE = DiffLimits(max_files=1000, max_lines=100_000, protected_paths=())
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
github_tokens = st.tuples(
    st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
    st.text(alphabet=ALNUM, min_size=36, max_size=36),
).map("".join)
plain_lines = st.text(alphabet=st.characters(exclude_characters="\n\r"), max_size=40)


def patch(path: str, removed=(), added=(), context=()) -> str:
    """A unified diff of one hunk: context lines first, then removals, then additions."""
    old, new = len(context) + len(removed), len(context) + len(added)
    body = [f" {line}" for line in context]
    body += [f"-{line}" for line in removed] + [f"+{line}" for line in added]
    header = [f"diff --git a/{path} b/{path}", f"--- a/{path}", f"+++ b/{path}"]
    return "\n".join([*header, f"@@ -1,{old} +1,{new} @@", *body]) + "\n"


def diff_of(path: str, removed=(), added=(), context=()) -> Diff:
    change = FileChange(path=path, added=len(added), removed=len(removed))
    return Diff(files=(change,), patch=patch(path, removed, added, context))


def test_limits_come_from_the_job() -> None:
    job = Job(
        job_id="j1",
        name="n",
        prompt="p",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        max_files_changed=3,
        max_lines_changed=40,
        protected_paths=("infra/**",),
    )
    assert DiffLimits.for_job(job) == DiffLimits(3, 40, ("infra/**",))


def test_a_small_ordinary_change_passes() -> None:
    limits = DiffLimits(max_files=5, max_lines=10, protected_paths=DEFAULT_PROTECTED_PATHS)
    assert check_diff(diff_of("src/app.py", removed=["a"], added=["b"]), limits) == []


def test_too_many_files_and_lines_are_both_reported_with_the_flag_that_lifts_them() -> None:
    files = tuple(FileChange(path=f"f{i}.py", added=7, removed=3) for i in range(3))
    violations = check_diff(Diff(files=files, patch=""), DiffLimits(2, 20, ()))
    assert violations == [
        "3 files changed, more than the limit of 2: raise it with --max-files N",
        "21 lines changed, more than the limit of 20: raise it with --max-lines N",
    ]


def test_a_modified_line_counts_once() -> None:
    # 10 lines rewritten in each of two files: 20 lines changed, not 40.
    files = tuple(FileChange(path=f"f{i}.py", added=10, removed=10) for i in range(2))
    assert lines_changed(Diff(files=files, patch="")) == 20
    assert check_diff(Diff(files=files, patch=""), DiffLimits(2, 20, ())) == []
    assert check_diff(Diff(files=files, patch=""), DiffLimits(2, 19, ())) == [
        "20 lines changed, more than the limit of 19: raise it with --max-lines N"
    ]


def test_one_file_over_the_limit_is_one_file() -> None:
    files = (FileChange(path="a.py", added=1, removed=0),)
    assert check_diff(Diff(files=files, patch=""), DiffLimits(0, 20, ())) == [
        "1 file changed, more than the limit of 0: raise it with --max-files N"
    ]


def test_allow_protected_lifts_protection_from_the_paths_it_matches_only() -> None:
    limits = DiffLimits(
        10, 100, DEFAULT_PROTECTED_PATHS, allowed_protected_paths=(".github/workflows/ci.yml",)
    )
    allowed = diff_of(".github/workflows/ci.yml", removed=["a"], added=["b"])
    other = diff_of(".github/workflows/release.yml", removed=["a"], added=["b"])

    assert check_diff(allowed, limits) == []
    assert check_diff(other, limits) == [
        ".github/workflows/release.yml is protected (matches .github/workflows/**): leave it "
        "unchanged, or allow it with --allow-protected '.github/workflows/**'"
    ]


def test_limits_are_inclusive() -> None:
    files = tuple(FileChange(path=f"f{i}.py", added=5, removed=5) for i in range(2))
    assert check_diff(Diff(files=files, patch=""), DiffLimits(2, 10, ())) == []


@pytest.mark.parametrize(
    ("path", "protected"),
    [
        (".github/workflows/ci.yml", True),
        (".github/workflows/nested/deploy.yml", True),
        (".GitHub/Workflows/ci.yml", True),
        ("./.github/workflows/ci.yml", True),
        (".github/dependabot.yml", False),
        (".github/workflows", False),
        ("docs/.github/workflows/ci.yml", False),
        (".git/config", True),
        (".gitignore", False),
        ("src/app.py", False),
    ],
)
def test_default_protected_paths(path: str, protected: bool) -> None:
    limits = DiffLimits(10, 100, DEFAULT_PROTECTED_PATHS)
    violations = check_diff(Diff(files=(FileChange(path, 1, 0),), patch=""), limits)
    assert bool(violations) is protected
    if protected:
        assert violations[0].startswith(f"{path} is protected (matches ")


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("docs/*.md", "docs/a.md", True),
        ("docs/*.md", "docs/deep/a.md", False),
        ("*", "a/b", False),
        ("**/*.pem", "key.pem", True),
        ("**/*.pem", "a/b/key.pem", True),
        ("**", "a/b/c", True),
        ("a/**", "a", False),
        ("a/**", "a/", False),
        ("infra/**/main.tf", "infra/main.tf", True),
        ("infra/**/main.tf", "infra/a/b/main.tf", True),
        ("infra/**/main.tf", "infra/a/b/main.tfx", False),
        ("a.b", "aXb", False),
        ("/srv/*", "/srv/x", True),
        ("/srv/*", "srv/x", False),
    ],
)
def test_glob_semantics(pattern: str, path: str, matches: bool) -> None:
    assert bool(compile_glob(pattern).fullmatch(path)) is matches


def test_the_old_side_of_a_rename_is_protected_too() -> None:
    text = (
        "diff --git a/.github/workflows/ci.yml b/ci.yml\n"
        "similarity index 100%\n"
        "rename from .github/workflows/ci.yml\n"
        "rename to ci.yml\n"
    )
    renamed = FileChange("ci.yml", 0, 0, old_path=".github/workflows/ci.yml")
    diff = Diff(files=(renamed,), patch=text)
    violations = check_diff(diff, DiffLimits(10, 100, DEFAULT_PROTECTED_PATHS))
    assert violations == [
        ".github/workflows/ci.yml is protected (matches .github/workflows/**): leave it "
        "unchanged, or allow it with --allow-protected '.github/workflows/**'"
    ]


def test_a_file_change_that_carries_its_old_path_is_checked_on_both_paths() -> None:
    diff = Diff(files=(FileChange("ci.yml", 0, 0, old_path=".github/workflows/ci.yml"),), patch="")
    assert len(check_diff(diff, DiffLimits(10, 100, DEFAULT_PROTECTED_PATHS))) == 1


def test_a_secret_in_an_added_line_is_reported_with_its_file_but_not_its_value() -> None:
    violations = check_diff(diff_of("config.py", added=[f"TOKEN = '{TOKEN}'"]), LOOSE)
    assert violations == ["config.py adds a secret: a GitHub token"]


def test_removing_a_secret_or_keeping_it_in_context_is_fine() -> None:
    diff = diff_of("config.py", removed=[f"TOKEN = '{TOKEN}'"], context=[TOKEN], added=["x"])
    assert check_diff(diff, LOOSE) == []


def test_an_added_line_that_itself_starts_with_two_pluses_is_still_checked() -> None:
    assert check_diff(diff_of("a.c", added=[f"++{TOKEN}"]), LOOSE) == [
        "a.c adds a secret: a GitHub token"
    ]


def test_a_configured_secret_added_is_reported_by_position() -> None:
    value = "correct-horse-battery"
    violations = check_diff(diff_of("a.env", added=[f"PASSWORD={value}"]), LOOSE, [value])
    assert violations == ["a.env adds a secret: configured secret #1"]


def test_added_lines_follow_hunk_counts_and_file_headers() -> None:
    text = patch("a.py", removed=["-- old", "gone"], added=["++ new", "plain"]) + patch(
        "b.py", added=["other"], context=["keep"]
    )
    assert added_lines(text) == {"a.py": ["++ new", "plain"], "b.py": ["other"]}


def test_added_lines_of_a_bare_patch_without_hunk_headers() -> None:
    assert added_lines("+one\n-two\n+++ b/x.py\n+three") == {
        "the patch": ["one"],
        "x.py": ["three"],
    }


file_changes = st.lists(
    st.builds(
        FileChange,
        path=st.sampled_from(["a.py", "docs/x.md", ".github/workflows/ci.yml", "infra/main.tf"]),
        added=st.integers(0, 500),
        removed=st.integers(0, 500),
    ),
    max_size=6,
).map(lambda files: Diff(files=tuple(files), patch=""))
protected_sets = st.lists(
    st.sampled_from([".github/workflows/**", "infra/**", "docs/*.md", "**/*.tf"]), unique=True
)


@given(
    file_changes,
    st.integers(0, 8),
    st.integers(0, 3000),
    protected_sets,
    st.integers(0, 5),
    st.integers(0, 1000),
    st.data(),
)
def test_a_diff_within_limits_stays_within_any_looser_limits(
    diff: Diff, files: int, lines: int, protected: list[str], more_files, more_lines, data
) -> None:
    limits = DiffLimits(files, lines, tuple(protected))
    fewer = data.draw(st.lists(st.sampled_from(protected), unique=True)) if protected else []
    looser = DiffLimits(files + more_files, lines + more_lines, tuple(fewer))
    if not check_diff(diff, limits):
        assert check_diff(diff, looser) == []
    assert len(check_diff(diff, looser)) <= len(check_diff(diff, limits))


@given(st.lists(plain_lines, max_size=5), github_tokens, st.lists(plain_lines, max_size=5))
def test_secrets_in_removed_lines_are_never_flagged(before, token, after) -> None:
    diff = diff_of("app.py", removed=[*before, f"key = {token}", *after], added=["key = env()"])
    assert check_diff(diff, LOOSE, [token]) == []


@given(st.lists(plain_lines, max_size=5), plain_lines, github_tokens, plain_lines, st.data())
def test_any_github_token_added_is_flagged_without_quoting_it(lines, prefix, token, suffix, data):
    position = data.draw(st.integers(0, len(lines)))
    added = [*lines[:position], prefix + token + suffix, *lines[position:]]
    violations = check_diff(diff_of("app.py", removed=["old"], added=added), LOOSE)
    assert "app.py adds a secret: a GitHub token" in violations
    assert not any(token in violation for violation in violations)
