"""The run's PostgreSQL database: created and upgraded, probed for unfinished work, made
read-only and writable again, dropped. Every probe opens its own short connection, so a fault
that ends the database's sessions never breaks the script's own view of it."""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from typing import Any

import psycopg
from psycopg import sql

from benchmarks.loadbench.database import with_database
from benchmarks.loadbench.processes import supportbot_command

CONNECT_TIMEOUT = 5


class RunDatabase:
    """A database named for this run on the server of `server_url`; `drop` is safe at any time,
    so it is registered for cleanup before anything is created."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.name = f"supportbot_faults_{uuid.uuid4().hex[:10]}"
        self.url = with_database(server_url, self.name)

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.server_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)

    def create(self, env: dict[str, str]) -> None:
        """CREATE DATABASE, then `supportbot db upgrade` on it."""
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        upgrade = subprocess.run([*supportbot_command(), "db", "upgrade"],
                                 env={**env, "DATABASE_URL": self.url}, capture_output=True,
                                 text=True, timeout=120, cwd=tempfile.gettempdir())  # fmt: skip
        if upgrade.returncode != 0:
            raise RuntimeError(f"supportbot db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}")

    def drop(self) -> None:
        """Drop the database if it exists, forcing any session off."""
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(self.name)))  # fmt: skip

    def _one(self, query: str, params: tuple[Any, ...]) -> int | None:
        try:
            with psycopg.connect(self.url, autocommit=True,
                                 connect_timeout=CONNECT_TIMEOUT) as conn:  # fmt: skip
                row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
        except psycopg.Error:
            return None
        return int(row[0]) if row else 0

    def unfinished(self, user_prefix: str) -> int | None:
        """Inbox rows of these customers not yet processed plus outbox rows to their DMs not
        yet sent; None when the database cannot be read just now."""
        inbox = self._one("select count(*) from inbound_events where processed_at is null "
                          "and attempts < 5 and user_id like %s", (user_prefix + "%",))  # fmt: skip
        outbox = self._one("select count(*) from outbox where status in ('pending', 'sending') "
                           "and channel like %s", ("D" + user_prefix + "%",))  # fmt: skip
        return None if inbox is None or outbox is None else inbox + outbox

    def given_up(self, user_prefix: str) -> int:
        """Outbox rows to these customers' DMs that the app stopped trying to send."""
        found = self._one("select count(*) from outbox where status = 'failed' "
                          "and channel like %s", ("D" + user_prefix + "%",))  # fmt: skip
        return found or 0

    def set_read_only(self, read_only: bool) -> int:
        """Make new sessions read-only (or not again) and end the database's current sessions,
        which keep the setting they started with; how many sessions were ended."""
        setting = "SET default_transaction_read_only = on" if read_only else \
            "RESET default_transaction_read_only"  # fmt: skip
        with self._admin() as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} " + setting).format(sql.Identifier(self.name)))
            ended = conn.execute(
                "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity "
                "where datname = %s and pid <> pg_backend_pid()",
                (self.name,),
            ).fetchone()
        return int(ended[0]) if ended else 0
