"""Engines and schema migrations. Alembic is the only way the schema is made or changed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


class SchemaError(RuntimeError):
    """The database schema is not the one this version of the code expects."""


class NotWritableError(RuntimeError):
    """The database answers, but cannot take a write (read-only file, replica, role...)."""


def create_db_engine(url: str, *, durable: bool = True) -> Engine:
    """An engine for `url`; SQLite files get WAL mode, a busy timeout and foreign keys.

    `durable=False` is for throwaway SQLite files (replays): commits skip the wait for the
    disk, which is most of a small transaction's time, at the price of the file after a
    power cut."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Waitress threads, Bolt's listener pool, the outbox senders and the timers all hold a
        # connection at times: the default pool (5 + 10) would make them queue.
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                             hide_parameters=True)  # fmt: skip
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: a failed statement's error (logged, and kept on inbox rows) must not
    # carry customers' words; the SQL itself is enough to diagnose it.
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                           hide_parameters=True)  # fmt: skip

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
        cursor = dbapi_connection.cursor()
        # WAL lets readers work while one writer writes; the timeout waits out short locks.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not durable:
            cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin: the module's
        # own handling commits on SAVEPOINT release and would break the unit of work.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection) -> None:  # noqa: ANN001 - SQLAlchemy Connection
        # IMMEDIATE takes the write lock up front. A deferred BEGIN that reads and then writes
        # can deadlock with another such transaction, and SQLite then fails at once instead of
        # waiting out the busy timeout. Units of work are short, so serialising them is cheap.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (the latest by default)."""
    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` (for rolling back a release)."""
    command.downgrade(_alembic_config(engine), revision)


def head_revision() -> str:
    """The newest migration this code ships."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_schema(engine: Engine) -> None:
    """SQLite files are brought up to date by themselves; other databases must be upgraded
    on purpose (`supportbot db upgrade`), since several workers share them."""
    current = current_revision(engine)
    if current == head_revision():
        return
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    raise SchemaError(
        f"the database schema is at {current or 'nothing'}, this version needs "
        f"{head_revision()}: run `supportbot db upgrade`"
    )


def check_writable(engine: Engine) -> None:
    """Raise NotWritableError unless the database takes a write; nothing is changed."""
    # An UPDATE that matches no row still needs write access on SQLite (the engine begins
    # IMMEDIATE) and on PostgreSQL (read-only transactions refuse any UPDATE), yet locks no
    # row and leaves nothing behind; the transaction is rolled back all the same.
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            connection.execute(
                text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0")
            )
            transaction.rollback()
    except SQLAlchemyError as exc:
        raise NotWritableError(_first_line(exc)) from exc


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's own reason, without SQLAlchemy's statement dump and links."""
    reason = getattr(exc, "orig", None) or exc
    lines = str(reason).strip().splitlines()
    return lines[0] if lines else type(reason).__name__
