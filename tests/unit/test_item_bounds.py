"""No job or run the models accept can pass DynamoDB's 400 KB, whatever goes into them.

Sizes are measured by tests/dynamodb_size.py on the typed item boto3 makes of the document,
independently of the models' own count (cody_core.item_size), and that measure is checked
against DynamoDB's limit as dynalite enforces it in tests/integration/test_item_size.py.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st
from pydantic import ValidationError

from cody_core.bounds import diff_is_cut
from cody_core.item_size import value_size
from cody_core.models import (
    MAX_JOB_ITEM_BYTES,
    MAX_REPOSITORIES_BYTES,
    MAX_RUN_ITEM_BYTES,
    Job,
    RepositoryRun,
    RunStatus,
)
from dynamodb_size import LIMIT, document_item_size

# Strings from empty to about two megabytes of UTF-8, of one to four bytes a character.
units = st.text(min_size=1, max_size=6)
texts = st.one_of(
    st.text(max_size=30),
    st.builds(lambda unit, count: unit * count, units, st.integers(0, 120_000)),
    st.builds(lambda unit, count: unit * count, units, st.sampled_from([20_000, 70_000, 400_000])),
)
small_texts = st.text(min_size=1, max_size=40)
numbers = st.integers(-(10**30), 10**30)
counts = st.integers(0, 10**12)
moments = st.datetimes(timezones=st.just(UTC))
string_tuples = st.lists(texts, max_size=6) | st.builds(
    lambda text, count: [text] * count, small_texts, st.integers(0, 30_000)
)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | st.floats() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(small_texts, inner, max_size=4),
    max_leaves=12,
)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


jobs = st.fixed_dictionaries(
    {"job_id": small_texts, "name": texts, "prompt": texts, "created_at": moments},
    optional={
        "description": texts,
        "type": texts,
        "command": optional(texts),
        "verify_command": optional(texts),
        "branch_template": texts,
        "pr_title_template": texts,
        "pr_body_template": optional(texts),
        "labels": string_tuples,
        "reviewers": string_tuples,
        "protected_paths": string_tuples,
        "repositories": string_tuples,
        "error": optional(texts),
        "batch_job_id": optional(texts),
        "repository_count": counts,
        "max_repositories": optional(counts),
        "updated_at": optional(moments),
        "expires_at": optional(counts),
    },
)
messages = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["human", "assistant"]),
        "content": texts | st.lists(json_values, max_size=4),
        "timestamp": counts,
        "type": st.sampled_from(["prompt", "response", "tool_call", "tool_result"]),
    }
)
conversations = st.fixed_dictionaries(
    {
        "thread_id": texts,
        "messages": st.lists(messages, max_size=12)
        | st.builds(lambda m, n: [m] * n, messages, st.integers(0, 2_000)),
    }
)
logs = st.lists(
    st.fixed_dictionaries({"timestamp": moments, "message": texts}), max_size=5
) | st.builds(
    lambda entry, count: [entry] * count,
    st.fixed_dictionaries({"timestamp": moments, "message": texts}),
    st.integers(0, 400),
)
runs = st.fixed_dictionaries(
    {"job_id": small_texts, "repository_name": small_texts},
    optional={
        "status": st.sampled_from(list(RunStatus)),
        "attempt": counts,
        "version": counts,
        "lease_owner": optional(small_texts),
        "lease_expires_at": optional(moments),
        "branch": optional(small_texts),
        "pull_request_url": optional(small_texts),
        "changed_files": string_tuples,
        "lines_added": counts,
        "summary": optional(texts),
        "stop_reason": optional(small_texts),
        "verification": st.fixed_dictionaries(
            {"status": st.sampled_from(["passed", "failed"]), "output_tail": texts}
        ),
        "error": st.fixed_dictionaries({"kind": small_texts, "message": texts}),
        "logs": logs,
        "diff": optional(texts),
        "diff_ref": optional(small_texts),
        "conversation_ref": optional(small_texts),
        "token_usage": st.fixed_dictionaries({"input": counts, "output": counts}),
        "created_at": optional(moments),
        "claude_conversation": optional(conversations),
    },
)
BOUNDED = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@BOUNDED
@given(jobs)
def test_no_job_can_pass_400_kb(fields: dict[str, Any]) -> None:
    try:
        job = Job.model_validate(fields)
    except ValidationError:
        return  # refused: too large to be a job, so never stored
    size = document_item_size(job.to_document())
    target(size)  # look for the largest job there can be
    assert size <= MAX_JOB_ITEM_BYTES < LIMIT
    assert document_item_size({"r": list(job.repositories)}) - 1 <= MAX_REPOSITORIES_BYTES


@BOUNDED
@given(runs, st.lists(st.fixed_dictionaries({"summary": texts}) | st.just({}), max_size=3))
def test_no_run_can_pass_400_kb_however_it_is_changed(
    fields: dict[str, Any], changes: list[dict[str, Any]]
) -> None:
    try:
        run = RepositoryRun.model_validate(fields)
    except ValidationError:
        return
    sizes = []
    for change in [{}, *changes]:
        run = run.evolve(**change)
        sizes.append(document_item_size(run.to_document()))
    target(max(sizes))  # look for the largest run there can be
    assert max(sizes) <= MAX_RUN_ITEM_BYTES < LIMIT
    if run.diff is not None and fields.get("diff") is not None and run.diff != fields["diff"]:
        assert diff_is_cut(run.diff)


def test_a_run_keeps_a_diff_it_cannot_hold_whole_cut_at_a_line_with_a_marker_last() -> None:
    diff = "".join(f"+line {n}\n" for n in range(60_000))

    run = RepositoryRun(job_id="j", repository_name="o/r", diff=diff)

    kept, marker = run.diff.rsplit("\n", 2)[0] + "\n", run.diff.splitlines()[-1]
    assert diff.startswith(kept) and len(kept) > 300_000
    assert marker.endswith("cody job diff j --repo o/r") and diff_is_cut(run.diff)
    assert run.evolve(lines_added=5).diff == run.diff  # a cut diff that still fits stays as is


def test_a_diff_that_is_not_utf8_is_kept_approximately_and_marked() -> None:
    patch = b"+caf\xe9\n".decode("utf-8", "surrogateescape")

    run = RepositoryRun(job_id="j", repository_name="o/r", diff=patch)

    assert run.diff.startswith("+caf\ufffd\n") and diff_is_cut(run.diff)
    assert "not UTF-8" in run.diff


@pytest.mark.parametrize("size", [0, 1, 100, 50_000])
def test_a_small_diff_is_kept_whole(size: int) -> None:
    diff = "x" * size

    assert RepositoryRun(job_id="j", repository_name="o/r", diff=diff).diff == diff


@pytest.mark.parametrize(
    ("number", "size"),
    [(0, 3), (7, 3), (12, 3), (-12, 4), (10**40, 3), (10**37 + 1, 21), (1.5, 3), (0.1 + 0.2, 11)],
)
def test_numbers_count_a_byte_per_two_significant_digits_and_two_more(number, size) -> None:
    assert value_size(number) == size
