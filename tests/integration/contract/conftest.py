"""The store a contract test runs on."""

from __future__ import annotations

import pytest

from bot.service.ports import Store
from tests.fakes.store import FakeStore


@pytest.fixture
def any_store(backend: str, database_url: str, request: pytest.FixtureRequest) -> Store:
    """A FakeStore, or conftest's `store` on the parametrised database."""
    return FakeStore() if backend == "fake" else request.getfixturevalue("store")
