"""Branch names: the {jobName} slug, the template, and git's own rules for a ref."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cody_core.errors import InputError
from cody_core.models import Job
from cody_core.policies.branches import check_branch, fill_branch, ref_problem, slug


def git_accepts(branch: str) -> bool:
    command = ["git", "check-ref-format", f"refs/heads/{branch}"]
    return subprocess.run(command, capture_output=True).returncode == 0


def test_the_job_name_becomes_a_lower_case_slug():
    assert slug("Drop assertEquals (v2)!") == "drop-assertequals-v2-"
    assert slug("a  b\t\nc") == "a-b-c"
    assert slug("keep.dots_and-dashes") == "keep.dots_and-dashes"
    assert slug("Ünïcode naïve") == "-n-code-na-ve"


def test_the_template_fills_in_the_job_id_and_the_slugged_name():
    assert fill_branch("fleet/{jobName}-{jobId}", "j-1", "Bump Deps") == "fleet/bump-deps-j-1"
    job = Job(job_id="j-2", name="Fix CI", prompt="p", created_at="2026-01-01T00:00:00Z")
    assert job.evolve(branch_template="cody/{jobName}").branch_name() == "cody/fix-ci"
    assert job.branch_name() == "cody/j-2"  # the default template is unchanged


@pytest.mark.parametrize(
    "branch",
    ["my branch/x", "a..b", "x~1", "x.lock", "-x", "a/.b", "a@{b", "a/", "/a", "a//b", "a.",
     "HEAD", "x?", "x*", "x[", "a\\b", "a:b", "a^b", "", "x/y.lock/z", "tab\there"],
)  # fmt: skip
def test_names_git_refuses_are_refused_with_the_reason(branch):
    assert ref_problem(branch) is not None
    with pytest.raises(InputError, match="not a valid git branch name"):
        check_branch(branch, branch)


@pytest.mark.parametrize("branch", ["cody/abc", "fleet/drop-x.v2", "a/b/c", "é", "x-lock"])
def test_names_git_accepts_are_accepted(branch):
    assert ref_problem(branch) is None and git_accepts(branch)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab/.-@{}~^:?*[\\ \x01lock"), max_size=12))
def test_the_rules_agree_with_git_check_ref_format(branch):
    expected = git_accepts(branch) and not branch.startswith("-") and branch not in ("HEAD", "@")
    assert (ref_problem(branch) is None) == expected, branch
