"""Each layer that stops a retried or doubled Slack delivery, held by a test of its own.

The inbox stops a retry (same event_id) and a double delivery (`message` and `app_mention` of
one message: same channel and ts); the desk answers a message it has seen before (same Slack
ts) with the reply it gave, even when the inbox let it through.
"""

from sqlalchemy import func, select

from bot.service.desk import Desk
from bot.service.outcomes import CustomerRef
from bot.service.records import Message
from bot.slack.inbox import Inbox
from tests.conftest import T0


def envelope(event_id: str, ts: str, kind: str = "message") -> dict:
    event = {"type": kind, "user": "U1", "channel": "D1", "ts": ts, "text": "hi"}
    return {"event_id": event_id, "team_id": "T1", "event": event}


def test_the_inbox_stops_a_retry_by_its_event_id(desk: Desk) -> None:
    inbox = Inbox(desk.store, "w1", lambda: T0)
    assert inbox.record(envelope("Ev1", "1.1")) is not None
    # Same event id, and (to test this key alone) another ts, as a replayed id would carry.
    assert inbox.record(envelope("Ev1", "2.2")) is None


def test_the_inbox_stops_one_message_delivered_twice_by_channel_and_ts(desk: Desk) -> None:
    inbox = Inbox(desk.store, "w1", lambda: T0)
    assert inbox.record(envelope("Ev1", "1.1")) is not None
    assert inbox.record(envelope("Ev2", "1.1", kind="app_mention")) is None
    assert inbox.record(envelope("Ev3", "1.2")) is not None  # another message goes through


def test_the_desk_answers_a_message_seen_before_with_the_same_reply(desk: Desk) -> None:
    who = CustomerRef("U1", "T1")
    first = desk.handle_message(who, "how do I pay with paypal", at=T0, channel="D1",
                                slack_ts="1.1")  # fmt: skip
    again = desk.handle_message(who, "how do I pay with paypal", at=T0, channel="D1",
                                slack_ts="1.1")  # fmt: skip
    assert again.message_id == first.message_id and again.text == first.text
    with desk.store.unit_of_work() as uow:
        stored = uow.session.scalar(select(func.count(Message.id)))
    assert stored == 2  # one question, one answer
