"""The item size the tests and the models count is the one DynamoDB's 400 KB limit applies to.

dynalite enforces DynamoDB's rule (names plus values, 3 bytes a list or map and 1 an element);
it counts a string's UTF-16 code units where DynamoDB counts UTF-8 bytes, so the strings here
are ASCII, where both are the same, and the numbers are ones both rules count alike (for the
others the tests and the models count an upper bound: a byte more than dynalite at most).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cody_adapters.aws.dynamodb_store import dynamodb_client
from cody_core.item_size import item_size
from dynalite import REGION
from dynamodb_size import LIMIT, typed_item_size

SHAPES: dict[str, Any] = {
    "jobId": {"S": "job-1"},
    "createPullRequests": {"BOOL": True},
    "error": {"NULL": True},
    "repositories": {"L": [{"S": "o/a"}, {"S": "o/b"}, {"L": []}]},
    "tokenUsage": {"M": {"input": {"N": "120.5"}, "nested": {"M": {"cost": {"N": "123.4"}}}}},
}
PLAIN: dict[str, Any] = {
    "jobId": "job-1",
    "createPullRequests": True,
    "error": None,
    "repositories": ["o/a", "o/b", []],
    "tokenUsage": {"input": 120.5, "nested": {"cost": 123.4}},
}


@pytest.fixture
def table(dynalite: str) -> Iterator[tuple[Any, str]]:
    client = dynamodb_client(dynalite, REGION)
    name = "cody-item-size"
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "jobId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "jobId", "KeyType": "HASH"}],
    )
    yield client, name
    client.delete_table(TableName=name)


def padded(total: int) -> dict[str, Any]:
    """SHAPES and a string attribute making the item exactly `total` bytes."""
    rest = typed_item_size(SHAPES) + len("pad")
    return {**SHAPES, "pad": {"S": "p" * (total - rest)}}


def test_an_item_of_exactly_400_kb_is_stored_and_one_byte_more_is_refused(table) -> None:
    client, name = table
    fits, too_large = padded(LIMIT), padded(LIMIT + 1)
    assert typed_item_size(fits) == LIMIT

    client.put_item(TableName=name, Item=fits)
    with pytest.raises(ClientError, match="Item size has exceeded"):
        client.put_item(TableName=name, Item={**too_large, "jobId": {"S": "job-2"}})

    stored = client.get_item(TableName=name, Key={"jobId": {"S": "job-1"}})["Item"]
    assert typed_item_size(stored) == LIMIT


def test_the_models_count_a_document_as_the_tests_count_its_item() -> None:
    assert item_size(PLAIN) == typed_item_size(SHAPES)
