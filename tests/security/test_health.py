"""`/healthz` tells the truth: 200 only when the database takes writes and articles are loaded."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import event, text

from bot.bootstrap import build_services
from bot.service.knowledge import KnowledgeHolder
from bot.slack.app import create_app
from bot.slack.health import HealthCheck
from bot.slack.server import SlackEdge, create_server
from bot.store.database import NotWritableError, check_writable, create_db_engine, upgrade
from bot.store.unit_of_work import Store
from knowledge_base import KnowledgeBase
from tests.scenario.conftest import SECRET, Running, settings_for
from tests.scenario.fake_slack import FakeSlack
from tests.security.conftest import call_wsgi, post_raw, serve_in_thread


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_only(url: str) -> str:
    """The same SQLite file, opened read-only: refused even to root, unlike chmod 444."""
    return f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"


def health_of(running: Running, check: HealthCheck) -> tuple[int, dict]:
    """What /healthz answers with this check behind it."""
    app, _ctx = create_app(running.settings, running.services)
    answer = call_wsgi(SlackEdge(app, SECRET, check), method="GET", path="/healthz")
    return answer.status, json.loads(answer.body)


@pytest.fixture
def read_only_app(tmp_path: Path) -> Iterator[str]:
    """The real app and server on a migrated SQLite file it may only read."""
    with FakeSlack() as fake:
        settings = settings_for(fake, tmp_path)
        build_services(settings).store.close()  # creates and migrates the file
        settings = replace(settings, database_url=read_only(settings.database_url))
        services = build_services(settings)
        app, _ctx = create_app(settings, services)
        server = create_server(app, "127.0.0.1", 0, threads=2)
        stop = serve_in_thread(server)
        try:
            yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
        finally:
            stop()
            services.store.close()


def test_a_healthy_app_says_ok(running: Running) -> None:
    answer = running.slack.get("/healthz")
    assert answer.status == 200 and answer.json() == {"ok": True}


def test_a_read_only_database_makes_health_fail_with_503(read_only_app: str) -> None:
    answer = post_raw(read_only_app, method="GET", path="/healthz")
    assert answer.status == 503
    body = json.loads(answer.body)
    assert body["ok"] is False and list(body["problems"]) == ["database"]


def test_an_unreachable_database_makes_health_fail_without_naming_its_host(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    engine = create_db_engine(f"postgresql+psycopg://nobody@127.0.0.1:{port}/nothing")
    status, body = health_of(running, HealthCheck(engine, running.services.knowledge))
    assert status == 503 and list(body["problems"]) == ["database"]
    assert str(port) not in json.dumps(body), "the driver's reason stays in the log"
    assert str(port) in caplog.text


def test_an_empty_knowledge_base_makes_health_fail(running: Running) -> None:
    engine = running.services.store.engine  # type: ignore[attr-defined]
    status, body = health_of(running, HealthCheck(engine, KnowledgeHolder(KnowledgeBase.of([]))))
    assert status == 503 and list(body["problems"]) == ["knowledge_base"]


def test_health_checks_the_database_at_most_once_a_second(running: Running) -> None:
    engine = running.services.store.engine  # type: ignore[attr-defined]
    checkouts: list[object] = []
    event.listen(engine, "checkout", lambda *_args: checkouts.append(1))
    now = [100.0]
    check = HealthCheck(engine, running.services.knowledge, clock=lambda: now[0])
    for _ in range(50):
        assert check().ok
    now[0] += 1.0
    assert check().ok
    assert len(checkouts) == 2


def test_the_writability_check_writes_nothing(database_url: str) -> None:
    engine = create_db_engine(database_url)
    upgrade(engine)  # SQLite starts empty; the PostgreSQL test database is migrated already
    with engine.connect() as connection:
        before = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    check_writable(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == before
    engine.dispose()


def test_a_read_only_sqlite_file_is_not_writable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    Store.open(url).close()
    engine = create_db_engine(read_only(url))
    with pytest.raises(NotWritableError, match="readonly"):
        check_writable(engine)
    engine.dispose()


def test_a_read_only_postgresql_session_is_not_writable(postgres_database: str) -> None:
    engine = create_db_engine(
        f"{postgres_database}?options=-c%20default_transaction_read_only%3Don"
    )
    with pytest.raises(NotWritableError, match="read-only transaction"):
        check_writable(engine)
    engine.dispose()


def test_health_follows_a_postgresql_database_going_read_only_and_back(
    postgres_server_url: str, running: Running
) -> None:
    """As a failover or an operator would do it: new sessions read-only, current ones ended."""
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    server = make_url(postgres_server_url).set(drivername="postgresql+psycopg")
    name = f"supportbot_health_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")

    def as_admin(sql: str) -> None:
        with admin.connect() as connection:
            connection.execute(text(sql))

    as_admin(f'CREATE DATABASE "{name}"')
    engine = create_db_engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        check = HealthCheck(engine, running.services.knowledge, cache_seconds=0)
        assert check().ok
        for setting, healthy in (("SET default_transaction_read_only = on", False),
                                 ("RESET default_transaction_read_only", True)):  # fmt: skip
            as_admin(f'ALTER DATABASE "{name}" {setting}')
            as_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")  # fmt: skip
            assert check().ok is healthy, check().problems
    finally:
        engine.dispose()
        as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
