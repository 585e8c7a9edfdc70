"""Configuration from the environment and `.env`, with the batch processor's names and defaults."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cody_adapters.git.workspace import basic_credential

# The batch processor's default, claude-3-7-sonnet-20250219, has been retired by Anthropic.
DEFAULT_CLAUDE_MODEL = "claude-sonnet-5-5"


class Settings(BaseSettings):
    """Every variable Cody Batch reads; field names are the variable names, lower-cased."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    github_token: SecretStr | None = None
    github_server_url: str = "https://github.com"  # GitHub's own names; GHES users set both
    github_api_url: str = "https://api.github.com"
    git_author_name: str = "Cody Batch"
    git_author_email: str = "cody-batch@users.noreply.github.com"
    claude_api_key: SecretStr | None = None
    claude_model: str = DEFAULT_CLAUDE_MODEL
    claude_max_tokens: int = Field(64_000, gt=0)
    # Kept so existing deployments still start: API version 2026-10-21 refuses a temperature,
    # so it is not sent.
    claude_temperature: float = Field(0.5, ge=0, le=1)
    claude_provider: Literal["anthropic", "bedrock"] = "anthropic"
    anthropic_base_url: str | None = None
    claude_max_retries: int = Field(4, ge=0)
    claude_message_threads: bool = False
    claude_session_timeout: float = Field(1800.0, gt=0)
    claude_max_job_tokens: int | None = Field(None, gt=0)
    allowed_repositories: str = "liamzdenek/*"
    dynamodb_table_prefix: str = "cody-batch"
    # The existing stack lets CloudFormation name the tables and passes the names in these.
    dynamodb_jobs_table: str | None = None
    dynamodb_repositories_table: str | None = None
    cody_retention_days: float | None = Field(None, gt=0)  # sets expiresAt (DynamoDB's TTL)
    dynamodb_endpoint: str | None = None
    aws_region: str = "us-east-1"
    dynamodb_region: str | None = None
    temp_dir: Path = Path(tempfile.gettempdir())
    cody_store: Literal["sqlite", "dynamodb"] = "sqlite"
    cody_home: Path = Path("~/.cody")
    cody_lease_seconds: float = Field(300.0, gt=0)
    cody_artifacts: str | None = None  # s3://bucket/prefix; default: CODY_HOME/artifacts
    aws_endpoint_url_dynamodb: str | None = None
    batch_job_queue: str | None = None
    batch_job_definition: str | None = None
    # Spacing of GitHub requests, GitHub's advice for writes; tests on loopback set 0.
    github_request_interval: float = Field(0.25, ge=0)
    github_write_interval: float = Field(1.0, ge=0)
    cody_sandbox: Literal["auto", "bwrap", "uid", "none"] = "auto"

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        self.cody_home = self.cody_home.expanduser()
        self.temp_dir = self.temp_dir.expanduser()
        if self.dynamodb_region is None:
            self.dynamodb_region = self.aws_region
        return self

    @property
    def dynamodb_endpoint_url(self) -> str | None:
        return self.dynamodb_endpoint or self.aws_endpoint_url_dynamodb

    @property
    def database_path(self) -> Path:
        return self.cody_home / "cody.db"

    @property
    def github_token_value(self) -> str | None:
        return self.github_token.get_secret_value() if self.github_token else None

    def secret_values(self) -> tuple[str, ...]:
        """Values that must never be shown, stored or passed to repository code."""
        values = [s.get_secret_value() for s in (self.github_token, self.claude_api_key) if s]
        if self.github_token_value:  # the form git sends it in
            values.append(basic_credential(self.github_token_value))
        for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ANTHROPIC_API_KEY"):
            if os.environ.get(name):
                values.append(os.environ[name])
        return tuple(v for v in values if v)
