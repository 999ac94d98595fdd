"""The reads every customer message and timer pass make find their rows through an index: a
read that scans its table costs more with every row stored (SQLite's query plans)."""

from pathlib import Path

import pytest
from sqlalchemy import event

from bot.store import repository
from bot.store.unit_of_work import Store
from tests.conftest import T0

HOT_READS = ("_CUSTOMER", "_ACTIVE_CONVERSATION", "_LATEST_CONVERSATION", "_DUE_CONVERSATIONS",
             "_MESSAGES_WITH_FEEDBACK", "_CONVERSATION_STAGES", "_OPEN_ESCALATION",
             "_CUSTOMER_MESSAGE_BY_TS", "_REPLY_TO")  # fmt: skip


def _plan(store: Store, name: str) -> list[str]:
    """Run the read once on an empty database, then ask SQLite how it ran what was sent."""
    statement = getattr(repository, name)
    # Any value does for the plan; the times must be times.
    values = {bind.key: T0 if bind.key == "now" else 1
              for bind in statement.compile().binds.values() if bind.required}  # fmt: skip
    sent: list[tuple[str, object]] = []

    def keep(_conn, _cursor, sql, parameters, _context, _many) -> None:  # noqa: ANN001
        sent.append((sql, parameters))

    with store.engine.connect() as connection:
        event.listen(store.engine, "before_cursor_execute", keep)
        try:
            connection.execute(statement, values)
        finally:
            event.remove(store.engine, "before_cursor_execute", keep)
        sql, parameters = sent[-1]
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
        return [row[-1] for row in rows]


@pytest.mark.parametrize("name", HOT_READS)
def test_a_hot_read_scans_no_table(tmp_path: Path, name: str) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'plans.db'}")
    try:
        plan = _plan(store, name)
    finally:
        store.close()
    assert plan and not [step for step in plan if step.startswith("SCAN")], plan
