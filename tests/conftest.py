"""Fixtures shared across the test folders."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dynalite import dynalite_server, use_dummy_credentials

# The shipped store contract is an installed module: pytest rewrites its asserts only if asked.
pytest.register_assert_rewrite("cody_core.testing.store_contract")


@pytest.fixture(scope="session")
def dynalite() -> Iterator[str]:
    """The endpoint URL of one dynalite for the whole session, with dummy AWS credentials."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_dummy_credentials(monkeypatch)
        with dynalite_server() as endpoint:
            yield endpoint


@pytest.fixture
def reachable_tmp() -> Iterator[Path]:
    """A directory for checkouts (TEMP_DIR) that the sandbox's uids can reach: pytest's own
    temporary directories are mode 0700, so no other uid could enter a checkout under them."""
    root = Path(tempfile.mkdtemp(prefix="cody-test-", dir="/tmp"))
    os.chmod(root, 0o711)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["none", "bwrap", "uid"])
def tier(request) -> str:
    """Each sandbox tier in turn."""
    return request.param


@pytest.fixture(params=["bwrap", "uid"])
def confining_tier(request) -> str:
    """Each tier that confines repository code."""
    return request.param
