"""S3ArtifactStore on moto, and the artifact contract it shares with LocalArtifactStore."""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import ANY, Stubber
from moto import mock_aws

from cody_adapters.aws.s3_artifacts import S3ArtifactStore, parse_s3_url, s3_client
from cody_adapters.local.artifacts import LocalArtifactStore
from cody_core.errors import CodyError, InputError, NotAllowedError, NotFoundError, TransientError
from cody_core.ports import ArtifactStore
from dynalite import use_dummy_credentials

REGION = "eu-west-1"
BUCKET = "cody-artifacts"
PREFIX = "cody/artifacts"
CLOSED_PORT = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback
SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and no shared config, so nothing can reach a real account."""
    use_dummy_credentials(monkeypatch)
    for name in ("AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3(aws_env: None) -> Iterator[Any]:
    """A moto bucket with versioning on, so an overwrite would leave a second version."""
    with mock_aws():
        client = s3_client(REGION)
        create_bucket(client, BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def create_bucket(client: Any, name: str) -> None:
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})


# The contract every ArtifactStore keeps.


@dataclass
class Backend:
    open: Callable[[], ArtifactStore]  # a new store over the same storage
    ref_prefix: str  # every ref the store hands out starts with this
    objects: Callable[[], dict[str, object]]  # what is stored; a rewrite changes the value


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        root = tmp_path / "artifacts"
        return Backend(
            lambda: LocalArtifactStore(root), root.resolve().as_uri() + "/", lambda: files(root)
        )
    client = request.getfixturevalue("s3")
    return Backend(
        lambda: S3ArtifactStore(client, BUCKET, PREFIX),
        f"s3://{BUCKET}/{PREFIX}/",
        lambda: object_versions(client),
    )


def files(root: Path) -> dict[str, object]:
    found = (p for p in root.rglob("*") if p.is_file()) if root.exists() else ()
    return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in found}


def object_versions(client: Any) -> dict[str, object]:
    versions = client.list_object_versions(Bucket=BUCKET).get("Versions", [])
    return {f"{v['Key']}@{v['VersionId']}": (v["ETag"], v["LastModified"]) for v in versions}


def test_a_large_diff_and_conversation_read_back_byte_identical(backend: Backend) -> None:
    store = backend.open()
    diff = os.urandom(5 * 1024 * 1024)  # arbitrary bytes, as a patch with binary or non-UTF-8 hunks
    turns = [
        {"role": "assistant", "content": f"turn {i}: renamed foo → bar ☃"} for i in range(50_000)
    ]
    conversation = json.dumps(turns, ensure_ascii=False).encode()
    assert len(conversation) > 2 * 1024 * 1024

    refs = [store.put("job-1", "owner/name", "diff", diff)]
    refs.append(store.put("job-1", "owner/name", "conversation", conversation))

    assert all(ref.startswith(backend.ref_prefix) for ref in refs)
    assert [store.get(ref) for ref in refs] == [diff, conversation]
    assert [backend.open().get(ref) for ref in refs] == [diff, conversation]
    assert len(backend.objects()) == 2


def test_the_same_content_is_written_once(backend: Backend) -> None:
    store = backend.open()
    ref = store.put("job-1", "owner/name", "diff", b"patch")
    written = backend.objects()

    again = backend.open().put("job-1", "owner/name", "diff", b"patch")

    assert again == ref
    assert backend.objects() == written
    assert len(written) == 1


def test_new_content_gets_a_new_ref_and_the_old_ref_keeps_its_bytes(backend: Backend) -> None:
    store = backend.open()
    first = store.put("job-1", "owner/name", "diff", b"attempt 1")

    second = store.put("job-1", "owner/name", "diff", b"attempt 2")

    assert second != first
    assert (store.get(first), store.get(second)) == (b"attempt 1", b"attempt 2")
    assert len(backend.objects()) == 2


def test_every_repository_gets_its_own_safe_place_inside_the_job(backend: Backend) -> None:
    names = ["o/r", "O/r", "o-r", "o_r", "/home/me/src/o/r", "/abs/path/repo.git", "Owner/Name"]
    names += ["../../etc/passwd", "ä/☃", "日本/リポジトリ", "/", ""]
    store = backend.open()

    refs = [store.put("job-1", name, "diff", b"same") for name in names]

    assert all(ref.startswith(backend.ref_prefix) for ref in refs)
    parts = [ref.removeprefix(backend.ref_prefix).split("/") for ref in refs]
    assert {(len(p), p[0]) for p in parts} == {(3, "job-1")}
    slugs = [p[1] for p in parts]
    assert len(set(slugs)) == len(names)
    assert all(SAFE_SEGMENT.fullmatch(slug) for slug in slugs)
    assert slugs[names.index("Owner/Name")].startswith("Owner-Name-")
    assert slugs[names.index("/abs/path/repo.git")].startswith("abs-path-repo.git-")
    assert len(backend.objects()) == len(names)


def test_unsafe_job_ids_and_kinds_write_nothing(backend: Backend) -> None:
    store = backend.open()
    for job_id, kind in [("../job", "diff"), ("a/b", "diff"), ("job-1", "../x"), ("job-1", "")]:
        with pytest.raises(InputError):
            store.put(job_id, "owner/name", kind, b"x")

    assert backend.objects() == {}


def test_a_missing_ref_is_not_found_and_a_foreign_one_is_malformed(backend: Backend) -> None:
    store = backend.open()
    ref = store.put("job-1", "owner/name", "diff", b"x")

    for missing in [ref + "-gone", ref.replace("/job-1/", "/job-2/")]:
        with pytest.raises(NotFoundError):
            store.get(missing)
    for malformed in ["mem://job-1/owner/name/diff@00", "job-1/owner/name/diff", "http://x/y"]:
        with pytest.raises(InputError):
            store.get(malformed)


# What only the S3 store does.


def test_refs_for_another_bucket_or_outside_the_prefix_are_refused(s3: Any) -> None:
    store = S3ArtifactStore(s3, BUCKET, PREFIX)
    ref = store.put("job-1", "owner/name", "diff", b"artifact")
    key = ref.removeprefix(f"s3://{BUCKET}/")
    create_bucket(s3, "other-bucket")
    for bucket, outside in [("other-bucket", key), (BUCKET, "secret"), (BUCKET, f"{PREFIX}-x/y")]:
        s3.put_object(Bucket=bucket, Key=outside, Body=b"secret")

    refused = [f"s3://other-bucket/{key}", f"s3://{BUCKET}/secret", f"s3://{BUCKET}/{PREFIX}-x/y"]
    refused += [f"s3://{BUCKET}/{PREFIX}/../secret", f"s3://{BUCKET}/{PREFIX}/./{key}"]
    refused += [f"s3://{BUCKET.upper()}/{key}", f"s3://{BUCKET}/cody", f"s3://{BUCKET}"]
    for escaping in refused:
        with pytest.raises(NotAllowedError):
            store.get(escaping)
    for malformed in ["file:///etc/passwd", f"s3:/{BUCKET}/{key}", f"S3://{BUCKET}/{key}", key]:
        with pytest.raises(InputError):
            store.get(malformed)
    assert store.get(ref) == b"artifact"


def test_without_a_prefix_the_store_uses_the_whole_bucket_and_only_it(s3: Any) -> None:
    store = S3ArtifactStore(s3, BUCKET)

    ref = store.put("job-1", "owner/name", "diff", b"x")

    assert ref.startswith(f"s3://{BUCKET}/job-1/")
    assert store.get(ref) == b"x"
    with pytest.raises(NotAllowedError):
        store.get(ref.replace(BUCKET, "other-bucket"))
    with pytest.raises(NotFoundError):
        store.get(f"s3://{BUCKET}/")


def test_the_location_is_checked_and_normalised_when_the_store_is_built(s3: Any) -> None:
    for bucket, prefix in [("Bad_Bucket", ""), (BUCKET, "a/../b"), (BUCKET, "a b"), ("", "")]:
        with pytest.raises(InputError):
            S3ArtifactStore(s3, bucket, prefix)

    slashed = S3ArtifactStore(s3, BUCKET, f"/{PREFIX}/").put("job-1", "o/r", "diff", b"x")

    assert slashed == S3ArtifactStore(s3, BUCKET, PREFIX).put("job-1", "o/r", "diff", b"x")
    assert slashed.startswith(f"s3://{BUCKET}/{PREFIX}/job-1/")


@pytest.mark.parametrize(
    ("code", "status", "error", "kind"),
    [
        ("SlowDown", 503, TransientError, "throttled"),
        ("InternalError", 500, TransientError, "server-error"),
        ("ServiceUnavailable", 503, TransientError, "server-error"),
        ("RequestTimeout", 400, TransientError, "timeout"),
        ("BadGateway", 502, TransientError, "server-error"),
        ("AccessDenied", 403, CodyError, "internal"),
        ("NoSuchBucket", 404, CodyError, "internal"),
        ("NoSuchKey", 404, NotFoundError, "not-found"),
    ],
)
def test_a_failed_read_becomes_the_matching_cody_error(
    aws_env: None, code: str, status: int, error: type[CodyError], kind: str
) -> None:
    client = s3_client(REGION)
    store = S3ArtifactStore(client, BUCKET, PREFIX)
    with Stubber(client) as stub:
        stub.add_client_error("get_object", code, http_status_code=status)

        with pytest.raises(CodyError) as raised:
            store.get(f"s3://{BUCKET}/{PREFIX}/job-1/o-r-0/diff-0")

    assert (raised.type, raised.value.kind) == (error, kind)
    assert raised.value.transient == (error is TransientError)


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("PreconditionFailed", 412, None),  # already there: same key, so the same bytes
        ("SlowDown", 503, TransientError),
        ("ConditionalRequestConflict", 409, TransientError),
        ("AccessDenied", 403, CodyError),
    ],
)
def test_a_write_is_conditional_and_its_failures_become_cody_errors(
    aws_env: None, code: str, status: int, error: type[CodyError] | None
) -> None:
    client = s3_client(REGION)
    store = S3ArtifactStore(client, BUCKET, PREFIX)
    with Stubber(client) as stub:
        expected = {"Bucket": BUCKET, "Key": ANY, "Body": b"x", "IfNoneMatch": "*"}
        stub.add_client_error("put_object", code, http_status_code=status, expected_params=expected)

        if error is None:
            assert store.put("job-1", "o/r", "diff", b"x").startswith(f"s3://{BUCKET}/{PREFIX}/")
        else:
            with pytest.raises(CodyError) as raised:
                store.put("job-1", "o/r", "diff", b"x")
            assert raised.type is error
        stub.assert_no_pending_responses()


def test_an_unreachable_endpoint_is_a_transient_network_error(aws_env: None) -> None:
    with socket.socket() as bound_but_not_listening:
        bound_but_not_listening.bind(("127.0.0.1", 0))
        port = bound_but_not_listening.getsockname()[1]
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=2)
        client = boto3.client(
            "s3", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}", config=config
        )
        store = S3ArtifactStore(client, BUCKET)

        for attempt in [
            lambda: store.put("job-1", "o/r", "diff", b"x"),
            lambda: store.get(f"s3://{BUCKET}/job-1/o-r-0/diff-0"),
        ]:
            with pytest.raises(TransientError) as raised:
                attempt()
            assert raised.value.kind == "network"


def test_the_client_retries_in_standard_mode_and_reads_the_s3_endpoint_variable(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert s3_client(REGION).meta.endpoint_url == f"https://s3.{REGION}.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000")

    client = s3_client(REGION)

    assert client.meta.endpoint_url == "http://127.0.0.1:9000"
    assert s3_client(REGION, "http://localhost:4566").meta.endpoint_url == "http://localhost:4566"
    # botocore's max_attempts counts retries; it stores them as attempts in all, the first included
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 9}


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("s3://cody-artifacts", ("cody-artifacts", "")),
        ("s3://cody-artifacts/", ("cody-artifacts", "")),
        ("s3://cody-artifacts/cody/artifacts", ("cody-artifacts", "cody/artifacts")),
        ("s3://cody-artifacts/cody/artifacts/", ("cody-artifacts", "cody/artifacts")),
        ("S3://my.bucket.example/a_b/c-d.e", ("my.bucket.example", "a_b/c-d.e")),
    ],
)
def test_an_s3_url_gives_a_bucket_and_a_prefix(url: str, location: tuple[str, str]) -> None:
    assert parse_s3_url(url) == location


@pytest.mark.parametrize(
    "url",
    [
        "",
        "cody-artifacts/prefix",
        "s3:/cody-artifacts/prefix",
        "https://cody-artifacts/prefix",
        "s3://",
        "s3:///prefix",
        "s3://ab",
        "s3://Cody_Artifacts/prefix",
        "s3://-cody-artifacts",
        "s3://cody-artifacts-/x",
        "s3://cody..artifacts",
        "s3://user@cody-artifacts/x",
        "s3://cody-artifacts:443/x",
        "s3://cody-artifacts//x",
        "s3://cody-artifacts/a//b",
        "s3://cody-artifacts/../x",
        "s3://cody-artifacts/a/./b",
        "s3://cody-artifacts/a b",
        "s3://cody-artifacts/x?versionId=1",
        "s3://cody-artifacts/x#part",
        "s3://cody-artifacts/x\nsecond line",
        " s3://cody-artifacts/x",
    ],
)
def test_a_malformed_s3_url_is_refused_in_one_line(url: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_s3_url(url)

    assert "\n" not in str(raised.value)
    assert repr(url) in str(raised.value)


def test_no_credentials_is_an_input_error_that_says_how_to_give_them(aws_env, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    # A session of its own (boto3's default one keeps credentials an earlier test resolved),
    # and a closed loopback port in case credentials were found after all: never AWS itself.
    client = boto3.session.Session().client("s3", region_name=REGION, endpoint_url=CLOSED_PORT)
    store = S3ArtifactStore(client, BUCKET, PREFIX)

    with pytest.raises(InputError, match="no AWS credentials for S3: set AWS_PROFILE"):
        store.put("job-1", "octo/app", "diff", b"patch")
