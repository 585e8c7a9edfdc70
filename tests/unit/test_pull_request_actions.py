"""Tracking, merging, closing and commenting on a job's pull requests, through the fakes."""

from __future__ import annotations

import pytest

from cody_core.errors import CodyError, InputError
from cody_core.models import RunStatus
from cody_core.services.pull_request_actions import MergeOptions, digest
from cody_core.services.tracking import summary
from cody_core.testing.pipeline import SECRET, Pipeline


def job_with_pull_requests(p: Pipeline, count: int = 3) -> str:
    names = p.repos(count)
    job_id = p.create(names)
    p.processor().run(job_id, max_repositories=None)
    return job_id


def actions(outcomes) -> dict[str, str]:
    return {o.repository_name: o.action for o in outcomes}


def test_a_refresh_stores_state_checks_review_and_mergeable_and_counts_drafts_apart():
    p = Pipeline()
    job_id = job_with_pull_requests(p)
    p.pull_requests.state("acme/repo-000", 1).state = "draft"
    p.pull_requests.state("acme/repo-001", 2).checks = "failure"
    p.pull_requests.state("acme/repo-002", 3).review_decision = "approved"

    tracked = list(p.tracking.refresh(job_id))

    assert summary(tracked) == {"open": 2, "draft": 1, "merged": 0, "closed": 0}
    runs = {run.repository_name: run for run in p.store.runs(job_id)}
    assert runs["acme/repo-001"].checks == "failure"
    assert runs["acme/repo-002"].review_decision == "approved"
    assert runs["acme/repo-000"].pull_request_state == "draft"
    assert all(run.mergeable is True for run in runs.values())
    assert runs["acme/repo-000"].pull_request_cache == {"reads": 1}  # the host's, kept for it


def test_a_refresh_writes_only_what_changed_and_never_reads_a_merged_one_again():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 2)
    p.pull_requests.state("acme/repo-000", 1).state = "merged"
    list(p.tracking.refresh(job_id))
    p.pull_requests.reads.clear()
    writes = p.store.writes

    list(p.tracking.refresh(job_id))

    assert p.pull_requests.reads == [("acme/repo-001", 2, True)]  # the merged one is final
    assert p.store.writes - writes == 1  # only the cache of the open one changed


def test_a_closed_pull_request_is_read_without_its_details_and_can_be_found_reopened():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 1)
    p.pull_requests.state("acme/repo-000", 1).state = "closed"
    list(p.tracking.refresh(job_id))
    p.pull_requests.state("acme/repo-000", 1).state = "open"

    (tracked,) = p.tracking.refresh(job_id)

    assert p.pull_requests.reads[-1] == ("acme/repo-000", 1, False)
    assert tracked.run.pull_request_state == "open"


def test_merge_takes_the_green_mergeable_ones_and_says_why_not_for_the_others():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 5)
    p.pull_requests.state("acme/repo-001", 2).state = "draft"
    p.pull_requests.state("acme/repo-002", 3).checks = "pending"
    p.pull_requests.state("acme/repo-003", 4).mergeable = None
    p.pull_requests.state("acme/repo-004", 5).mergeable = False

    outcomes = list(p.actions.merge(job_id, MergeOptions()))

    assert actions(outcomes) == {
        "acme/repo-000": "merged",
        "acme/repo-001": "not merged",
        "acme/repo-002": "not merged",
        "acme/repo-003": "not merged",
        "acme/repo-004": "not merged",
    }
    reasons = [o.reason for o in outcomes]
    assert reasons[1] == "draft" and reasons[2] == "checks pending"
    assert "not known yet" in reasons[3] and "conflicts" in reasons[4]
    assert p.pull_requests.merged == [("acme/repo-000", 1, "squash")]
    assert not any(o.failed for o in outcomes)
    assert p.store.get_run(job_id, "acme/repo-000").pull_request_state == "merged"


def test_a_second_merge_is_a_no_op_and_merged_elsewhere_counts_as_already_merged():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 2)
    list(p.actions.merge(job_id, MergeOptions()))
    # As if the first run had died after GitHub merged #2 but before it was recorded.
    p.store.transition_run(
        job_id, "acme/repo-001", [RunStatus.COMPLETED], {"pull_request_state": "open"}
    )

    again = list(p.actions.merge(job_id, MergeOptions()))

    assert actions(again) == {"acme/repo-000": "already merged", "acme/repo-001": "already merged"}
    assert len(p.pull_requests.merged) == 2


def test_checks_none_needs_no_require_checks_and_approval_is_required_when_asked():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 2)
    for number in (1, 2):
        p.pull_requests.state(f"acme/repo-00{number - 1}", number).checks = "none"
    p.pull_requests.state("acme/repo-001", 2).review_decision = "approved"

    refused = list(p.actions.merge(job_id, MergeOptions(require_approval=True)))
    merged = list(
        p.actions.merge(job_id, MergeOptions(require_checks=False, require_approval=True))
    )

    assert "--no-require-checks" in refused[0].reason
    assert actions(merged) == {"acme/repo-000": "not merged", "acme/repo-001": "merged"}
    assert merged[0].reason == "review none"


def test_a_dry_run_changes_nothing_not_even_the_store():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 2)
    before = p.store.runs(job_id)

    merges = list(p.actions.merge(job_id, MergeOptions(delete_branch=True), dry_run=True))
    closes = list(p.actions.close(job_id, comment="bye", delete_branch=True, dry_run=True))
    comments = list(p.actions.comment(job_id, "hello", dry_run=True))

    assert {o.action for o in merges} == {"would merge"}
    assert {o.action for o in closes} == {"would close"}
    assert {o.action for o in comments} == {"would comment"}
    assert p.pull_requests.merged == p.pull_requests.closed == p.pull_requests.deleted == []
    assert all(not s.comments for s in p.pull_requests.states.values())
    assert p.store.runs(job_id) == before


def test_a_refused_merge_is_a_failure_with_the_hosts_reason():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 1)
    refusal = CodyError("GitHub refused: Head branch was modified", kind="head-moved")
    p.pull_requests.refuse_merge[("acme/repo-000", 1)] = refusal

    (outcome,) = p.actions.merge(job_id, MergeOptions())

    assert outcome.failed and "head-moved" in outcome.reason


def test_merge_with_delete_branch_deletes_once_even_when_run_again():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 1)
    branch = p.store.get_run(job_id, "acme/repo-000").branch

    list(p.actions.merge(job_id, MergeOptions(delete_branch=True)))
    list(p.actions.merge(job_id, MergeOptions(delete_branch=True)))

    assert p.pull_requests.deleted == [("acme/repo-000", branch)]
    assert p.store.get_run(job_id, "acme/repo-000").branch_deleted


def test_close_comments_closes_deletes_and_a_second_close_does_nothing_more():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 2)
    p.pull_requests.state("acme/repo-001", 2).state = "draft"  # drafts are closed too

    first = list(p.actions.close(job_id, comment=f"Superseded, {SECRET}", delete_branch=True))
    second = list(p.actions.close(job_id, comment=f"Superseded, {SECRET}", delete_branch=True))

    assert {o.action for o in first} == {"closed"} and {o.action for o in second} == {
        "already closed"
    }
    assert p.pull_requests.closed == [("acme/repo-000", 1), ("acme/repo-001", 2)]
    assert len(p.pull_requests.deleted) == 2
    assert p.pull_requests.state("acme/repo-000", 1).comments == ["Superseded, ***"]


def test_the_same_comment_is_never_posted_twice_even_when_its_record_was_lost():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 2)
    list(p.actions.comment(job_id, "Please review"))
    # The first run posted on #2 and died before recording it.
    p.store.transition_run(job_id, "acme/repo-001", [RunStatus.COMPLETED], {"comments_posted": ()})

    again = list(p.actions.comment(job_id, "Please review"))

    assert actions(again) == {
        "acme/repo-000": "already commented",
        "acme/repo-001": "already commented",
    }
    assert all(s.comments == ["Please review"] for s in p.pull_requests.states.values())
    run = p.store.get_run(job_id, "acme/repo-001")
    assert run.comments_posted == (digest("Please review"),)


def test_an_empty_comment_is_refused_before_anything_is_read():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 1)
    p.pull_requests.reads.clear()

    for act in (lambda: p.actions.comment(job_id, " \n"), lambda: p.actions.close(job_id, "")):
        with pytest.raises(InputError, match="comment is empty"):
            act()
    assert p.pull_requests.reads == []


def test_comments_skip_merged_and_closed_pull_requests():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 2)
    p.pull_requests.state("acme/repo-000", 1).state = "merged"

    outcomes = list(p.actions.comment(job_id, "hi"))

    assert [(o.action, o.reason) for o in outcomes] == [
        ("not commented", "merged"),
        ("commented", ""),
    ]


def test_a_pull_request_the_host_cannot_read_fails_and_the_others_go_on():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 2)
    del p.pull_requests.states[("acme/repo-000", 1)]

    outcomes = list(p.actions.merge(job_id, MergeOptions()))

    assert [o.failed for o in outcomes] == [True, False]
    assert "not-found" in outcomes[0].reason


def test_a_stop_request_ends_the_action_between_pull_requests():
    p = Pipeline()
    job_id = job_with_pull_requests(p, 3)
    done: list[str] = []

    for outcome in p.actions.merge(job_id, MergeOptions(), should_stop=lambda: len(done) == 1):
        done.append(outcome.repository_name)

    assert done == ["acme/repo-000"] and len(p.pull_requests.merged) == 1
