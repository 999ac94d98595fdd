"""Fresh databases for the sweeper ticks, SQLite files or PostgreSQL databases made for the run,
that can be put back as they were after a tick changed them.

A restore keeps the same engine (only its connections are closed), so SQLAlchemy's compiled
statements stay cached from one tick to the next, as in a worker that has been running a while.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.store.database import create_db_engine, upgrade
from bot.store.unit_of_work import Store


class SqliteDatabase:
    """A new SQLite file in `folder`, schema upgraded."""

    label = "SQLite"

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.db"
        self.saved = folder / f"{name}.saved.db"
        self.engine: Engine = create_db_engine(f"sqlite:///{self.path}")
        upgrade(self.engine)
        self.store = Store(self.engine)

    def snapshot(self) -> None:
        """Remember the contents as they are now."""
        self.engine.dispose()
        _copy(self.path, self.saved)

    def restore(self) -> None:
        """Put back the contents of the last snapshot."""
        self.engine.dispose()
        _copy(self.saved, self.path)

    def close(self) -> None:
        """Close the connections; the files go with their folder."""
        self.engine.dispose()


def _copy(source: Path, target: Path) -> None:
    # The backup API copies what the WAL holds too, and writes the target as a database should.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


class PostgresDatabase:
    """A new database on the server of `server_url`, schema upgraded; dropped by `close`."""

    label = "PostgreSQL"

    def __init__(self, server_url: str, prefix: str) -> None:
        server = make_url(server_url).set(drivername="postgresql+psycopg")
        self.name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.saved = f"{self.name}_saved"
        self._admin = create_engine(server, isolation_level="AUTOCOMMIT")
        self._sql(f'CREATE DATABASE "{self.name}"')
        url = server.set(database=self.name).render_as_string(hide_password=False)
        self.engine = create_db_engine(url)
        upgrade(self.engine)
        self.store = Store(self.engine)

    def _sql(self, statement: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(statement))

    def snapshot(self) -> None:
        """Remember the contents (and the planner's statistics) as they are now."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
        self.engine.dispose()
        self._sql(f'DROP DATABASE IF EXISTS "{self.saved}"')
        self._sql(f'CREATE DATABASE "{self.saved}" TEMPLATE "{self.name}"')

    def restore(self) -> None:
        """Put back the contents of the last snapshot."""
        self.engine.dispose()
        self._sql(f'DROP DATABASE "{self.name}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.saved}"')

    def close(self) -> None:
        """Drop both databases."""
        self.engine.dispose()
        for name in (self.name, self.saved):
            self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()


def server_version(server_url: str) -> str:
    """The PostgreSQL server's version, such as "PostgreSQL 15.20"."""
    engine = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            version = str(connection.execute(text("select version()")).scalar())
    finally:
        engine.dispose()
    return version.split(" on ")[0]
