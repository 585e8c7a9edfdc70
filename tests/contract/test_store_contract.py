"""The JobStore contract, run against every backend: adding one is a class with a fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("contract.store_contract")  # must precede its import

from cody_adapters.sqlite_store import SqliteJobStore  # noqa: E402
from cody_core.ports import JobStore  # noqa: E402
from contract.store_contract import JobStoreContract  # noqa: E402
from dynalite import fresh_store, moto_store  # noqa: E402
from fakes.store import FakeJobStore  # noqa: E402


class TestFakeJobStore(JobStoreContract):
    @pytest.fixture
    def store(self) -> Iterator[JobStore]:
        yield FakeJobStore()


class TestSqliteJobStore(JobStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[JobStore]:
        store = SqliteJobStore(tmp_path / "cody.db")
        yield store
        store.close()


class TestDynamoDbJobStoreOnMoto(JobStoreContract):
    @pytest.fixture
    def store(self) -> Iterator[JobStore]:
        with moto_store() as store:
            yield store


class TestDynamoDbJobStoreOnDynalite(JobStoreContract):
    @pytest.fixture
    def store(self, dynalite: str) -> Iterator[JobStore]:
        with fresh_store(dynalite) as store:
            yield store
