"""Branch names: the rules of `git check-ref-format --branch`, checked against git itself."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cody_core.policies.branches import branch_name_problem


def git_accepts(name: str) -> bool:
    result = subprocess.run(
        ["git", "check-ref-format", "--branch", name], capture_output=True, cwd="/"
    )
    return result.returncode == 0


@pytest.mark.parametrize(
    "name", ["my branch/x", "a..b", "x~1", "x.lock", "-x", "a/", "/a", "a//b", "a.", "HEAD",
             ".hidden", "a/.b", "a@{1}", "a:b", "a?b", "a*b", "a[b", "a\\b", "a\tb", "a\x7fb"],
)  # fmt: skip
def test_names_git_refuses_are_refused_with_a_reason(name):
    assert not git_accepts(name)
    assert branch_name_problem(name)


@pytest.mark.parametrize("name", ["cody/1234", "feature/a.b", "a-b_c", "é/ü", "a.lock.b", "a#b"])
def test_names_git_accepts_are_accepted(name):
    assert git_accepts(name)
    assert branch_name_problem(name) is None


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab./-~^:@{}*?[\\ .lock", min_size=1, max_size=12))
def test_the_policy_agrees_with_git(name):
    if name == "@" or name.startswith("@{-"):  # --branch expands these against a repository
        return
    assert (branch_name_problem(name) is None) == git_accepts(name), name
