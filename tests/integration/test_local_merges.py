"""The local pull-request host after a pull request is opened: real merges into bare
repositories, closing, branches and comments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cody_adapters.local.pull_requests import LocalPullRequestHost
from cody_core.errors import CodyError
from cody_core.policies.references import RepositoryRef
from cody_core.ports import PullRequestSpec
from forge import branch_sha, git, make_bare_repo, push_commit


def opened(tmp_path: Path, draft: bool = False) -> tuple[LocalPullRequestHost, RepositoryRef]:
    bare = make_bare_repo(tmp_path, "svc.git", {"app.py": "x = old_call()\n", "README.md": "hi\n"})
    push_commit(bare, "cody/x", {"app.py": "x = new_call()\n"}, "Rename")
    host, ref = LocalPullRequestHost(tmp_path / "pulls"), RepositoryRef("local", str(bare))
    host.create(ref, PullRequestSpec("cody/x", "main", "Rename old_call", "", draft=draft))
    return host, ref


def parents(bare: str, ref: str = "main") -> list[str]:
    return git("log", "-1", "--format=%P", ref, cwd=Path(bare)).split()


def test_the_recorded_state_and_whether_it_merges_cleanly(tmp_path):
    host, ref = opened(tmp_path)
    status = host.status(ref, 1, {})
    assert (status.state, status.checks, status.review_decision) == ("open", "none", "none")
    assert status.mergeable is True and status.head_sha == branch_sha(Path(ref.name), "cody/x")

    push_commit(Path(ref.name), "main", {"app.py": "x = their_call()\n"}, "Theirs")
    assert host.status(ref, 1, {}).mergeable is False


def test_merge_fast_forwards_when_it_can_and_squash_makes_one_commit(tmp_path):
    host, ref = opened(tmp_path)
    head = branch_sha(Path(ref.name), "cody/x")

    assert host.merge(ref, 1, "merge", head) == head == branch_sha(Path(ref.name), "main")
    assert host.status(ref, 1, {}).state == "merged"

    other, other_ref = opened(tmp_path / "two")
    news = push_commit(Path(other_ref.name), "main", {"NEWS": "news\n"}, "News")  # no ff now
    squashed = other.merge(other_ref, 1, "squash", None)
    assert parents(other_ref.name) == [news]
    assert git("show", f"{squashed}:app.py", cwd=Path(other_ref.name)) == "x = new_call()"
    message = git("log", "-1", "--format=%s", "main", cwd=Path(other_ref.name))
    assert message == "Rename old_call (#1)"


def test_a_merge_commit_has_both_parents_when_the_base_moved(tmp_path):
    host, ref = opened(tmp_path)
    push_commit(Path(ref.name), "main", {"NEWS": "news\n"}, "News")

    host.merge(ref, 1, "merge", None)

    assert len(parents(ref.name)) == 2


@pytest.mark.parametrize(
    ("prepare", "method", "kind"),
    [
        (
            lambda bare: push_commit(bare, "main", {"app.py": "x = theirs()\n"}),
            "merge",
            "not-mergeable",
        ),
        (lambda bare: None, "rebase", "unsupported"),
        (lambda bare: push_commit(bare, "cody/x", {"late.txt": "late\n"}), "squash", "head-moved"),
    ],
    ids=["conflict", "rebase", "head-moved"],
)
def test_merges_that_cannot_happen_are_refused_with_a_reason(tmp_path, prepare, method, kind):
    host, ref = opened(tmp_path)
    head = branch_sha(Path(ref.name), "cody/x")
    before = branch_sha(Path(ref.name), "main")
    prepare(Path(ref.name))

    with pytest.raises(CodyError) as refused:
        host.merge(ref, 1, method, head)

    assert refused.value.kind == kind
    if kind == "not-mergeable":
        assert "conflicts" in str(refused.value)
    else:
        assert branch_sha(Path(ref.name), "main") == before
    assert host.status(ref, 1, {}).state == "open"


def test_drafts_and_closed_pull_requests_are_not_merged(tmp_path):
    host, ref = opened(tmp_path, draft=True)
    with pytest.raises(CodyError, match="is draft"):
        host.merge(ref, 1, "merge", None)
    host.close(ref, 1)
    with pytest.raises(CodyError, match="is closed"):
        host.merge(ref, 1, "merge", None)


def test_a_merge_cut_short_after_the_branch_moved_is_finished_not_done_twice(tmp_path, monkeypatch):
    host, ref = opened(tmp_path)
    push_commit(Path(ref.name), "main", {"NEWS": "news\n"}, "News")
    monkeypatch.setattr(
        LocalPullRequestHost, "_merged", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt)
    )
    with pytest.raises(KeyboardInterrupt):
        host.merge(ref, 1, "merge", None)
    monkeypatch.undo()
    moved = branch_sha(Path(ref.name), "main")
    (record,) = (tmp_path / "pulls").rglob("*.json")
    assert json.loads(record.read_text())["state"] == "open"

    again = host.merge(ref, 1, "merge", None)

    assert again == moved == branch_sha(Path(ref.name), "main")  # no second merge commit
    assert json.loads(record.read_text())["state"] == "merged"


def test_close_delete_branch_and_comments_are_recorded_once(tmp_path):
    host, ref = opened(tmp_path)

    host.comment(ref, 1, "Superseded")
    host.close(ref, 1)
    host.close(ref, 1)
    host.delete_branch(ref, "cody/x")
    host.delete_branch(ref, "cody/x")

    assert host.has_comment(ref, 1, "Superseded") and not host.has_comment(ref, 1, "Other")
    assert host.status(ref, 1, {}).state == "closed"
    assert branch_sha(Path(ref.name), "cody/x") is None
    (record,) = (tmp_path / "pulls").rglob("*.json")
    assert [c["body"] for c in json.loads(record.read_text())["comments"]] == ["Superseded"]


def test_a_branch_checked_out_in_a_working_repository_is_not_merged_into(tmp_path):
    work = tmp_path / "work"
    git("-c", "init.defaultBranch=main", "init", "-q", work)
    (work / "app.py").write_text("x = 1\n")
    git("add", "-A", cwd=work)
    git("-c", "user.name=T", "-c", "user.email=t@t", "commit", "-qm", "one", cwd=work)
    git("branch", "cody/x", cwd=work)
    host, ref = LocalPullRequestHost(tmp_path / "pulls"), RepositoryRef("local", str(work))
    host.create(ref, PullRequestSpec("cody/x", "main", "T", ""))

    with pytest.raises(CodyError, match="checked out"):
        host.merge(ref, 1, "merge", None)
