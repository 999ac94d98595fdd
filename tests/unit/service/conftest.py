"""The services over an in-memory FakeStore: the unit tests here open no database."""

from __future__ import annotations

import pytest

from bot.bootstrap import Services, compose
from bot.service.desk import Desk
from bot.service.handoff import Handoff
from tests.fakes.store import FakeStore


@pytest.fixture(scope="session")
def composed(domain) -> tuple[FakeStore, Services]:  # noqa: ANN001 - (kb, model, detector)
    """`compose(FakeStore(), *domain)` once: building the search index is the slow part."""
    store = FakeStore()
    return store, compose(store, *domain)


@pytest.fixture
def services(composed: tuple[FakeStore, Services]) -> Services:
    """The composition root's services on an empty FakeStore (replaces conftest's SQL one)."""
    store, services = composed
    store.clear()  # the services keep nothing themselves: an empty store is a fresh start
    return services


@pytest.fixture
def desk(services: Services) -> Desk:
    return services.desk


@pytest.fixture
def handoff(services: Services) -> Handoff:
    return services.handoff
