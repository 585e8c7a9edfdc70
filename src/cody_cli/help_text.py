"""The end of each command's help: an example, and the environment variables it reads."""

from __future__ import annotations

STORE = ("CODY_STORE", "CODY_HOME", "DYNAMODB_TABLE_PREFIX", "DYNAMODB_ENDPOINT", "AWS_REGION")
CREATE = (*STORE, "ALLOWED_REPOSITORIES", "TEMP_DIR", "GITHUB_TOKEN", "CLAUDE_API_KEY")
RUN = (
    *CREATE,
    "GITHUB_SERVER_URL",
    "GITHUB_API_URL",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "CLAUDE_MODEL",
    "CLAUDE_PROVIDER",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_*",
    "CODY_ARTIFACTS",
    "CODY_LEASE_SECONDS",
)
ARTIFACTS = (*STORE, "CODY_ARTIFACTS")
SUBMIT = (*STORE, "BATCH_JOB_QUEUE", "BATCH_JOB_DEFINITION")


def epilog(example: str, variables: tuple[str, ...]) -> str:
    r"""Example and environment paragraphs; `\b` keeps click from rewrapping them."""
    lines = "\n".join(f"  {line}" for line in example.strip().splitlines())
    names = ", ".join(dict.fromkeys(variables))
    return f"\b\nExample:\n{lines}\n\nReads {names} (README: Configuration)."
