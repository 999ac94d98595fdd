"""Shared fixtures: isolated settings, SQLite and PostgreSQL stores, a desk on the sample data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.bootstrap import Services, compose, load_domain
from bot.config import Settings
from bot.service.desk import Desk
from bot.store.database import create_db_engine, upgrade
from bot.store.tables import metadata
from bot.store.unit_of_work import Store

POSTGRES_ENV = "SUPPORTBOT_TEST_POSTGRES_URL"

# Property tests: a small profile for CI (bash .ci/run sets HYPOTHESIS_PROFILE=ci), a longer one
# for local runs (the default), and `thorough` for a hunt: HYPOTHESIS_PROFILE=thorough pytest.
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile("thorough", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's real tokens or settings reach a test; no stray .env is read; the index
    cache (by default under XDG_CACHE_HOME) goes to the test's tmp_path, never ~/.cache.

    Commands run as subprocesses search on words alone (SEMANTIC_MODEL=off) unless a test turns
    meaning on: embedding the sample knowledge base takes half a minute per process. The
    scenario tests (the Bolt app built from a bare Settings(), SEMANTIC_MODEL=auto) and
    tests/unit/test_semantic_search.py run the semantic path in-process, where the vectors are
    made once per test session; desk unit tests build a words-only Searcher(kb)."""
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in (
            "DATABASE_URL", "KB_PATH", "STAGE_MODEL", "ESCALATION_RULES", "LOG_LEVEL",
            "DEFAULT_LOCALE", "INDEX_CACHE_DIR", "EMBEDDING_THREADS", "KB_ANSWER_SCORE",
            "KB_ANSWER_MARGIN", "KB_SUGGEST_SCORE",
        ):  # fmt: skip
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SEMANTIC_MODEL", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("CI"):
        # In CI a skipped PostgreSQL test would hide exactly the races SQLite cannot show.
        pytest.fail(f"CI is set but {POSTGRES_ENV} is not: the PostgreSQL tests must run")
    if not url:
        pytest.skip(f"PostgreSQL tests skipped: set {POSTGRES_ENV} (bash .ci/run sets it)")
    return url


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url: str) -> Iterator[str]:
    """A fresh, migrated database on the test server, dropped at the end of the session."""
    server = make_url(postgres_server_url).set(drivername="postgresql+psycopg")
    name = f"supportbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same tests on the embedded default and on the multi-worker database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    engine = create_db_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(table.name for table in metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = (
        Store.open(database_url)
        if database_url.startswith("sqlite")
        else Store(create_db_engine(database_url))
    )
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def domain():  # noqa: ANN201 - (KnowledgeBase, StageModel, StuckDetector)
    """The bundled sample knowledge base, stage model and rules, loaded once."""
    return load_domain(Settings())


@pytest.fixture
def services(store: Store, domain) -> Services:  # noqa: ANN001
    """The services over the test store, wired by the composition root."""
    kb, model, detector = domain
    return compose(store, kb, model, detector)


@pytest.fixture
def desk(services: Services) -> Desk:
    return services.desk
