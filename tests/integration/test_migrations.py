"""Schema migrations carry queued work across: no pending Slack call is lost to an upgrade."""

import json
from pathlib import Path

from sqlalchemy import text

from bot.store.database import create_db_engine, downgrade, upgrade
from tests.conftest import T0

ROW = (
    "INSERT INTO outbox (key, method, channel, params, status, attempts, next_attempt_at, "
    "created_at, after_sent) VALUES (:key, 'chat.postMessage', 'CAGENTS', :params, :status, 0, "
    ":at, :at, :after)"
)


def _queue(connection, key: str, params: dict, after: dict | None, status: str = "pending"):  # noqa: ANN001, ANN201
    connection.execute(text(ROW), {"key": key, "params": json.dumps(params), "status": status,
                                   "at": T0.replace(tzinfo=None),
                                   "after": json.dumps(after) if after else None})  # fmt: skip


def test_queued_card_calls_keep_their_card_after_the_upgrade(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004")
    with engine.begin() as connection:
        _queue(connection, "card:7", {"channel": "CAGENTS", "text": "card"}, {"attach_card": 7})
        _queue(connection, "thread", {"channel": "CAGENTS", "__thread_of_escalation": 7}, None)
        _queue(connection, "update", {"channel": "CAGENTS", "__card_of_escalation": 7}, None)
        _queue(connection, "plain", {"channel": "D1", "text": "hi"}, None)
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT key, params, escalation_id, card_link FROM outbox ORDER BY id")
        ).all()
        columns = {c[1] for c in connection.exec_driver_sql("PRAGMA table_info(outbox)")}
    engine.dispose()
    assert "after_sent" not in columns
    found = {key: (json.loads(params), escalation, link) for key, params, escalation, link in rows}
    assert found["card:7"] == ({"channel": "CAGENTS", "text": "card"}, 7, "post")
    assert found["thread"] == ({"channel": "CAGENTS"}, 7, "thread")
    assert found["update"] == ({"channel": "CAGENTS"}, 7, "update")
    assert found["plain"] == ({"channel": "D1", "text": "hi"}, None, None)


def test_the_outbox_migration_can_be_undone(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004")
    with engine.begin() as connection:
        _queue(connection, "thread", {"channel": "CAGENTS", "__thread_of_escalation": 3}, None)
        _queue(connection, "card:3", {"channel": "CAGENTS"}, {"attach_card": 3})
    upgrade(engine)
    downgrade(engine, "0004")
    with engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT key, params FROM outbox")).all())
        after = dict(connection.execute(text("SELECT key, after_sent FROM outbox")).all())
    engine.dispose()
    assert json.loads(rows["thread"])["__thread_of_escalation"] == 3
    assert json.loads(after["card:3"]) == {"attach_card": 3}
