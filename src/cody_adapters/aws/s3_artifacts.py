"""ArtifactStore on S3: immutable objects under one bucket prefix, addressed by s3:// refs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ChecksumError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    ReadTimeoutError,
)

from cody_adapters.aws.clients import error_code, http_status, no_credentials, retrying
from cody_adapters.shared.artifact_keys import artifact_key
from cody_core.errors import CodyError, InputError, NotAllowedError, NotFoundError, TransientError

if TYPE_CHECKING:  # the stubs are a development dependency
    from mypy_boto3_s3 import S3Client

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
_TRANSIENT_CODES = {
    "SlowDown": "throttled",
    "RequestTimeout": "timeout",
    "InternalError": "server-error",
    "ServiceUnavailable": "server-error",
    "ConditionalRequestConflict": None,  # a concurrent write to the same key: try again
}
_TRANSPORT_ERRORS = (ConnectionError, HTTPClientError, IncompleteReadError, ChecksumError)


def s3_client(region: str | None, endpoint_url: str | None = None) -> S3Client:
    """An S3 client with standard retries; with no endpoint_url, AWS_ENDPOINT_URL_S3 applies."""
    return boto3.client("s3", region_name=region, endpoint_url=endpoint_url, config=retrying())


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` as ("bucket", "some/prefix"); InputError for anything else."""
    scheme, separator, rest = url.partition("://")
    bucket, _, prefix = rest.partition("/")
    prefix = prefix.rstrip("/")
    problem: str | None
    if scheme.lower() != "s3" or not separator:
        problem = "it does not start with s3://"
    else:
        problem = _location_problem(bucket, prefix)
    if problem:
        raise InputError(f"{url!r} is not an s3://bucket/prefix URL: {problem}")
    return bucket, prefix


class S3ArtifactStore:
    """Objects keyed `<prefix>/<job>/<repository slug>/<kind>-<content hash>`, each written once."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        prefix = prefix.strip("/")
        if problem := _location_problem(bucket, prefix):
            raise InputError(f"artifact location s3://{bucket}/{prefix} is invalid: {problem}")
        self._client = client
        self._bucket = bucket
        self._key_prefix = f"{prefix}/" if prefix else ""

    def put(self, job_id: str, repository_name: str, kind: str, content: bytes) -> str:
        key = self._key_prefix + artifact_key(job_id, repository_name, kind, content)
        ref = f"s3://{self._bucket}/{key}"
        try:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=content, IfNoneMatch="*")
        except ClientError as error:
            # The key carries the content hash, so an object already there holds these bytes.
            if error_code(error) != "PreconditionFailed" and http_status(error) != 412:
                raise _translate(error, f"could not write {ref}") from error
        except BotoCoreError as error:
            raise _translate(error, f"could not write {ref}") from error
        return ref

    def get(self, ref: str) -> bytes:
        key = self._key_of(ref)
        try:
            return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error_code(error) == "NoSuchKey":
                raise NotFoundError(f"no artifact {ref}") from None
            raise _translate(error, f"could not read {ref}") from error
        except BotoCoreError as error:
            raise _translate(error, f"could not read {ref}") from error

    def _key_of(self, ref: str) -> str:
        if not ref.startswith("s3://"):
            raise InputError(f"{ref!r} is not an s3:// artifact ref")
        bucket, _, key = ref.removeprefix("s3://").partition("/")
        if bucket != self._bucket:
            raise NotAllowedError(f"{ref} is not in the artifact bucket {self._bucket}")
        # S3 does not resolve "..", but a key that looks like it escapes is refused all the same.
        if not key.startswith(self._key_prefix) or {".", ".."} & set(key.split("/")):
            location = f"s3://{self._bucket}/{self._key_prefix}"
            raise NotAllowedError(f"{ref} is outside the artifact prefix {location}")
        if key == self._key_prefix or key.endswith("/"):
            raise NotFoundError(f"no artifact {ref}")
        return key


def _location_problem(bucket: str, prefix: str) -> str | None:
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        return f"{bucket!r} is not a valid bucket name"
    for segment in prefix.split("/") if prefix else ():
        if not _SEGMENT.fullmatch(segment) or segment in (".", ".."):
            return f"prefix part {segment!r} is not letters, digits, '.', '_' or '-'"
    return None


def _translate(error: Exception, doing: str) -> CodyError:
    if isinstance(error, NoCredentialsError):
        return no_credentials("S3")
    message = f"{doing}: {error}"
    if isinstance(error, ReadTimeoutError | ConnectTimeoutError):
        return TransientError(message, kind="timeout")
    if isinstance(error, _TRANSPORT_ERRORS):
        return TransientError(message)
    if isinstance(error, ClientError):
        if error_code(error) in _TRANSIENT_CODES:
            return TransientError(message, kind=_TRANSIENT_CODES[error_code(error)])
        if http_status(error) >= 500:
            return TransientError(message, kind="server-error")
    return CodyError(message)
