"""The end of each command's help: an example, and the environment variables it reads."""

from __future__ import annotations

STORE = ("CODY_STORE", "CODY_HOME", "DYNAMODB_TABLE_PREFIX", "DYNAMODB_ENDPOINT", "AWS_REGION")
GITHUB_READS = ("GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REQUEST_INTERVAL")
GITHUB = (*GITHUB_READS, "GITHUB_WRITE_INTERVAL")
SELECT = ("ALLOWED_REPOSITORIES", *GITHUB_READS)  # --org, --topic, --search
CREATE = (*STORE, "ALLOWED_REPOSITORIES", "TEMP_DIR", "CLAUDE_API_KEY", *GITHUB_READS)
# What pushing and proposing a change reads: `job publish`, and `job run` with its assistant.
DELIVER = (
    *CREATE,
    "GITHUB_SERVER_URL",
    *GITHUB,
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "CODY_ARTIFACTS",
    "CODY_LEASE_SECONDS",
)
RUN = (*DELIVER, "CLAUDE_MODEL", "CLAUDE_PROVIDER", "ANTHROPIC_BASE_URL", "CLAUDE_*")
ARTIFACTS = (*STORE, "CODY_ARTIFACTS")
SUBMIT = (*STORE, "BATCH_JOB_QUEUE", "BATCH_JOB_DEFINITION")
PULL_REQUESTS = (*STORE, *GITHUB_READS)  # `job prs`
PULL_REQUEST_WRITES = (*STORE, *GITHUB)  # `job close`, `job comment`
# A local merge is a commit of its own in the bare repository.
MERGE = (*PULL_REQUEST_WRITES, "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL")


def epilog(example: str, variables: tuple[str, ...]) -> str:
    r"""Example and environment paragraphs; `\b` keeps click from rewrapping them."""
    lines = "\n".join(f"  {line}" for line in example.strip().splitlines())
    names = ", ".join(dict.fromkeys(variables))
    return f"\b\nExample:\n{lines}\n\nReads {names} (README: Configuration)."
