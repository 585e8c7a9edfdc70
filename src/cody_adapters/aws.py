"""What the AWS adapters share: clients with botocore's standard retries, and reading errors."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from cody_core.errors import InputError


def aws_client(service: str, region: str | None, endpoint_url: str | None = None, **config: Any):
    """A client whose standard retry mode absorbs throttling and 5xx answers (8 attempts)."""
    retries = Config(retries={"mode": "standard", "max_attempts": 8}, **config)
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url, config=retries)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def http_status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def no_credentials(service: str) -> InputError:
    return InputError(
        f"no AWS credentials for {service}: set AWS_PROFILE or AWS_ACCESS_KEY_ID, "
        "or run with a role"
    )
