"""`forget` removes one customer's data everywhere; `purge` removes old conversations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.service.desk import Desk
from bot.service.outcomes import CustomerRef
from bot.service.privacy import Privacy
from bot.service.records import Conversation, Customer, Escalation, Feedback, Message, StageChange
from bot.slack.inbox import Inbox
from bot.slack.outbox import Outbox
from bot.store.rows import InboundEvent, OutboxMessage
from tests.cli_runner import run
from tests.conftest import T0

TABLES = (Customer, Conversation, Message, StageChange, Escalation, Feedback, InboundEvent,
          OutboxMessage)  # fmt: skip


def counts(desk: Desk) -> dict[str, int]:
    with desk.store.unit_of_work() as uow:
        return {
            model.__table__.name: int(uow.session.scalar(select(func.count()).select_from(model)))
            for model in TABLES
        }


def busy_customer(desk: Desk, user: str, at=T0) -> None:  # noqa: ANN001
    who = CustomerRef(user, "T1")
    desk.handle_message(who, "how do I pay with paypal", at=at, channel=f"D{user}")
    desk.record_feedback(who, False, at=at + timedelta(minutes=1))
    desk.talk_to_human(who, at=at + timedelta(minutes=2), channel=f"D{user}")
    Inbox(desk.store, "w", lambda: at).record(
        {"event_id": f"Ev{user}", "event": {"type": "message", "user": user, "channel": "D",
                                            "ts": f"{user}.1", "text": "hi"}}
    )  # fmt: skip
    Outbox(desk.store, lambda: at).add("chat.postMessage", {"channel": f"D{user}", "text": "x"},
                                       key=f"k{user}", user_id=user)  # fmt: skip


def test_forget_deletes_one_customer_and_nobody_else(desk: Desk) -> None:
    busy_customer(desk, "UGONE")
    busy_customer(desk, "UKEEP")
    before = counts(desk)
    deleted = Privacy(desk.store).forget("UGONE")
    after = counts(desk)
    assert deleted["customers"] == 1
    for table, n in before.items():
        assert after[table] == n // 2, table  # exactly the other customer's half is left
    assert desk.history(CustomerRef("UGONE", "T1")) is None
    assert desk.history(CustomerRef("UKEEP", "T1")) is not None


def test_purge_deletes_only_old_conversations(desk: Desk) -> None:
    busy_customer(desk, "UOLD", at=T0 - timedelta(days=400))
    busy_customer(desk, "UNEW", at=T0)
    deleted = Privacy(desk.store).purge(T0 - timedelta(days=365))
    assert deleted["conversations"] == 1
    assert counts(desk)["conversations"] == 1


def test_forget_command(tmp_path: Path) -> None:
    assert run(["chat", "--user", "UBYE"], tmp_path, stdin="how can I pay?\n").returncode == 0
    result = run(["forget", "UBYE"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 customers" in result.stdout and "messages" in result.stdout
    again = run(["chat", "--user", "UBYE"], tmp_path, stdin="/quit\n")
    assert "Welcome back" not in again.stdout
    assert run(["forget", "not a user!"], tmp_path).returncode == 2
    purged = run(["purge", "--older-than", "365d"], tmp_path)
    assert purged.returncode == 0 and "nothing" in purged.stdout


def test_forget_and_purge_delete_the_vectors_made_from_customers_questions(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    gaps = cache / "vectors-gaps-0123456789abcdef.npz"
    articles = cache / "vectors-0123456789abcdef.npz"  # the articles': no customer words
    for command in (["forget", "U0CUSTOMER"], ["purge", "--older-than", "30d"]):
        gaps.write_bytes(b"vectors of questions")
        articles.write_bytes(b"vectors of articles")
        done = run(command, tmp_path, INDEX_CACHE_DIR=str(cache))
        assert done.returncode == 0, done.stderr
        assert not gaps.exists() and articles.exists()
