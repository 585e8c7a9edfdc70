"""Pure rules: references, allowlist, guardrails, error classification."""
