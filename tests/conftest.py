"""Fixtures shared across the test folders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dynalite import dynalite_server, use_dummy_credentials


@pytest.fixture(scope="session")
def dynalite() -> Iterator[str]:
    """The endpoint URL of one dynalite for the whole session, with dummy AWS credentials."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_dummy_credentials(monkeypatch)
        with dynalite_server() as endpoint:
            yield endpoint
