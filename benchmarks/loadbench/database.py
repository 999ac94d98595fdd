"""A fresh PostgreSQL database for each run, on the server of --database-url, and what its inbox
and outbox still hold while the run waits for stragglers."""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg

from benchmarks.loadbench.processes import supportbot_command


def with_database(url: str, name: str) -> str:
    """`url` with its database name replaced by `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def server_version(server_url: str) -> str:
    """The server's version, such as "PostgreSQL 15.20"."""
    with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute("select version()").fetchone()
    return str(row[0]).split(" on ")[0] if row else "?"


class Database:
    """A fresh database on the server of `server_url`, schema upgraded; dropped by `drop`."""

    def __init__(self, server_url: str, env: dict[str, str]) -> None:
        self.server_url = server_url
        self.name = f"supportbot_load_{uuid.uuid4().hex[:10]}"
        self.url = with_database(server_url, self.name)
        with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True
        upgrade = subprocess.run([*supportbot_command(), "db", "upgrade"],
                                 env={**env, "DATABASE_URL": self.url}, capture_output=True,
                                 text=True, timeout=120, cwd=tempfile.gettempdir())  # fmt: skip
        if upgrade.returncode != 0:
            raise RuntimeError(f"supportbot db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}")
        self._probe: psycopg.Connection | None = None

    def _conn(self) -> psycopg.Connection:
        if self._probe is None or self._probe.closed:
            self._probe = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        return self._probe

    def unfinished(self) -> tuple[int, int, int]:
        """(inbox rows not processed, outbox rows to customers (DMs) pending or being sent,
        outbox rows to the agents' channel pending or being sent)."""
        conn = self._conn()
        inbox = conn.execute("select count(*) from inbound_events "
                             "where processed_at is null and attempts < 5").fetchone()  # fmt: skip
        outbox = dict(conn.execute(
            "select channel like 'D%', count(*) from outbox "
            "where status in ('pending', 'sending') group by 1").fetchall())  # fmt: skip
        return int(inbox[0]), int(outbox.get(True, 0)), int(outbox.get(False, 0))

    def queued_channels(self) -> set[str]:
        """DM channels with a reply still pending or being sent."""
        rows = self._conn().execute("select distinct channel from outbox where channel like 'D%' "
                                    "and status in ('pending', 'sending')").fetchall()  # fmt: skip
        return {str(row[0]) for row in rows}

    def stats(self) -> dict[str, object]:
        """Counts of inbox, outbox, message and escalation rows, as the report shows them."""
        conn = self._conn()
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "inbox rows": one("select count(*) from inbound_events"),
            "inbox rows processed more than once": one(
                "select count(*) from inbound_events where attempts > 1"),
            "inbox rows never processed": one(
                "select count(*) from inbound_events where processed_at is null"),
            "inbox rows with an error": one(
                "select count(*) from inbound_events where error is not null"),
            "outbox rows by status": dict(conn.execute(
                "select status, count(*) from outbox group by 1 order by 1").fetchall()),
            "outbox rows tried more than once": one(
                "select count(*) from outbox where attempts > 1"),
            "customer messages stored twice (same slack ts)": one(
                "select count(*) from (select slack_ts from messages where role = 'customer' "
                "and slack_ts is not null group by slack_ts having count(*) > 1) t"),
            "escalations": one("select count(*) from escalations"),
        }  # fmt: skip

    def drop(self) -> None:
        """Close the probe connection and drop the database (forcing other sessions off)."""
        if self._probe is not None and not self._probe.closed:
            self._probe.close()
        if self.created:
            with psycopg.connect(self.server_url, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.created = False
