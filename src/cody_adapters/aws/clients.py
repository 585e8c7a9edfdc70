"""What the AWS adapters share: clients with botocore's standard retries, and reading errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, NoCredentialsError

from cody_core.errors import CodyError, InputError, TransientError


def retrying(**config: Any) -> Config:
    """A client's configuration whose standard retry mode absorbs throttling and 5xx answers
    (8 attempts)."""
    return Config(retries={"mode": "standard", "max_attempts": 8}, **config)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def http_status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def no_credentials(service: str) -> InputError:
    return InputError(
        f"no AWS credentials for {service}: set AWS_PROFILE or AWS_ACCESS_KEY_ID, "
        "or run with a role"
    )


@contextmanager
def reaching(service: str, where: str) -> Iterator[None]:
    """Calls made outside an adapter's own translation: their failures become CodyErrors."""
    try:
        yield
    except (ConnectionError, HTTPClientError) as error:
        raise TransientError(
            f"{service} at {where} cannot be reached ({type(error).__name__}): check the "
            "endpoint and the network, then try again"
        ) from error
    except NoCredentialsError as error:
        raise no_credentials(service) from error
    except ClientError as error:
        raise CodyError(f"{service} refused the request: {error}", kind="aws") from error
