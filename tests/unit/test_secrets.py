"""Secrets: redaction of configured values and detection of secret-looking strings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cody_core.policies.secrets import find_secrets, redact

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
github_tokens = st.tuples(
    st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
    st.text(alphabet=ALNUM, min_size=36, max_size=36),
).map("".join)
configured = st.text(alphabet=ALNUM + "-_./+=", min_size=8, max_size=40)

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SAMPLES = [
    ("a GitHub token", "token = ghp_" + "a1B2" * 9),
    ("a GitHub token", "github_pat_" + "A_b9" * 20 + "xy"),
    ("an AWS access key id", "key: AKIAIOSFODNN7EXAMPLE"),
    ("an AWS access key id", "ASIAY34FZKBOKMUTVV7A,"),
    ("an AWS secret access key", f"aws_secret_access_key = {AWS_SECRET}"),
    ("an AWS secret access key", f'"AWS_SECRET_ACCESS_KEY": "{AWS_SECRET}"'),
    ("a private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow..."),
    ("a private key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    ("an Anthropic API key", "ANTHROPIC_API_KEY=sk-ant-api03-" + "x" * 40),
]


@pytest.mark.parametrize(("label", "text"), SAMPLES)
def test_find_secrets_names_the_kind_of_each_secret(label: str, text: str) -> None:
    assert find_secrets(text, []) == [label]


@pytest.mark.parametrize(
    "text",
    [
        "ghp_tooshort",
        "AKIA-not-a-key",
        "NOTAKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = ${AWS_SECRET}",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----",
        "export ANTHROPIC_API_KEY=sk-ant-...",
        "plain prose with nothing secret in it",
    ],
)
def test_find_secrets_ignores_lookalikes(text: str) -> None:
    assert find_secrets(text, []) == []


def test_find_secrets_reports_configured_values_by_position_only() -> None:
    found = find_secrets("password is hunter2hunter2", ["short", "unused-value", "hunter2hunter2"])
    assert found == ["configured secret #3"]


def test_find_secrets_ignores_short_configured_values() -> None:
    assert find_secrets("the id is 42 and abc", ["42", "abc", ""]) == []


def test_redact_replaces_every_occurrence_of_every_configured_value() -> None:
    text = "a=s3cr3t-value b=s3cr3t-value c=other-secret-9"
    assert redact(text, ["s3cr3t-value", "other-secret-9"]) == "a=*** b=*** c=***"


def test_redact_ignores_empty_and_short_values() -> None:
    assert redact("the id is 42 and abc", ["", "42", "abc", "1234567"]) == ("the id is 42 and abc")


def test_redact_prefers_the_longest_overlapping_value() -> None:
    assert redact("key=abcdefgh12345678", ["abcdefgh", "abcdefgh12345678"]) == "key=***"


def test_redact_treats_values_literally_not_as_patterns() -> None:
    assert redact("x.*+?[]y and xAAAAAAAy", ["x.*+?[]y"]) == "*** and xAAAAAAAy"


@given(st.text(), configured, st.text())
def test_a_configured_secret_never_survives_redaction(before: str, secret: str, after: str):
    redacted = redact(before + secret + after, [secret])
    assert secret not in redacted
    assert "***" in redacted


@given(st.lists(st.sampled_from(["abcdefgh", "cdefghij", "xy", "ab"]), max_size=12).map("".join))
def test_overlapping_values_leave_nothing_behind_and_redaction_is_idempotent(text: str) -> None:
    secrets = ["abcdefgh", "cdefghij"]
    once = redact(text, secrets)
    assert not any(secret in once for secret in secrets)
    assert redact(once, secrets) == once


@given(st.text(), github_tokens, st.text())
def test_any_github_token_is_found_and_never_quoted(before: str, token: str, after: str):
    found = find_secrets(before + token + after, [])
    assert "a GitHub token" in found
    assert not any(token in description for description in found)


@given(st.text(), configured, st.text())
def test_a_configured_value_is_found_and_never_quoted(before: str, secret: str, after: str):
    found = find_secrets(before + secret + after, ["unrelated-value", secret])
    assert "configured secret #2" in found
    assert not any(secret in description for description in found)
