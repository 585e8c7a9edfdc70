"""A Claude session in the existing API's shape: roles, types, redaction, bounds."""

from __future__ import annotations

from cody_core.item_size import value_size
from cody_core.models import ClaudeConversation
from cody_core.policies.conversation import api_messages, bound_messages, storable

SESSION = [
    {"role": "system", "content": [{"type": "text", "text": "rules"}], "model": "m"},
    {"role": "user", "content": "Change it, key sk-secret-123"},
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "t", "name": "read", "input": {}}],
    },
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]},
    {"role": "verify", "exit_code": 1, "output_tail": "boom"},
    {"role": "user", "content": "The verify command failed."},
    {"role": "assistant", "content": [{"type": "text", "text": "Done."}], "timestamp": 7},
]


def test_turns_are_typed_as_the_dashboard_groups_them_and_other_entries_left_out():
    messages = api_messages(
        SESSION, default_ms=5, redact=lambda s: s.replace("sk-secret-123", "***")
    )

    assert [(m["role"], m["type"]) for m in messages] == [
        ("human", "prompt"),
        ("assistant", "tool_call"),
        ("human", "tool_result"),
        ("human", "prompt"),
        ("assistant", "response"),
    ]
    assert messages[0]["content"] == "Change it, key ***"
    assert [m["timestamp"] for m in messages] == [5, 5, 5, 5, 7]


def test_a_long_session_keeps_its_start_and_end_and_says_how_many_were_left_out():
    turns = [
        {"role": "human", "content": "x" * 900, "timestamp": n, "type": "prompt"}
        for n in range(200)
    ]

    kept = bound_messages(turns, 20_000, 1_000)

    assert 3 + sum(1 + value_size(m) for m in kept) <= 20_000
    marker = next(m for m in kept if "left out" in m["content"])
    left_out = 200 - (len(kept) - 1)
    assert f"[{left_out} messages left out here" in marker["content"]
    assert kept[0]["timestamp"] == 0 and kept[-1]["timestamp"] == 199
    assert marker["timestamp"] == kept[kept.index(marker) - 1]["timestamp"] + 1


def test_contents_are_clipped_and_numbers_dynamodb_cannot_hold_kept_as_text():
    content = {
        "text": "é" * 5_000,
        "big": 10**40 + 1,
        "inf": float("inf"),
        "tiny": 1e-200,
        "ok": 1.5,
    }

    kept = storable(content, 100)

    assert len(kept["text"].encode()) <= 100 and kept["text"].endswith("[…]")
    assert (kept["big"], kept["inf"], kept["tiny"], kept["ok"]) == (
        repr(10**40 + 1),
        "inf",
        "1e-200",
        1.5,
    )


def test_the_model_bounds_whatever_messages_it_is_given_and_reading_it_back_changes_nothing():
    messages = [
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "y" * 50_000}] * 3,
            "timestamp": n,
            "type": "response",
        }
        for n in range(100)
    ]

    conversation = ClaudeConversation(thread_id="t", messages=messages)
    again = ClaudeConversation.model_validate(conversation.to_document())

    assert value_size(conversation.to_document()) <= 64_000
    assert again == conversation
