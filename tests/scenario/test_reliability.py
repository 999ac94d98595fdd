"""Nothing lost, nothing twice: retries, double deliveries, crashes, 429s and 500s."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from bot.service.records import Escalation
from bot.slack.app import create_app
from bot.slack.context import now
from bot.slack.sweeper import sweep
from bot.store.rows import InboundEvent, OutboxMessage
from tests.scenario.conftest import CUSTOMER, DM, Running
from tests.scenario.slack_requests import message_event


def settle(run: Running, seconds: float = 0.6) -> None:
    """Give the app's worker threads time to (wrongly) do anything more."""
    time.sleep(seconds)


def count(run: Running, model) -> int:  # noqa: ANN001
    with run.desk.store.unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_retried_event_is_answered_once(running: Running) -> None:
    run = running
    envelope = message_event(CUSTOMER, "how do I pay with paypal", DM)
    assert run.slack.send_event(envelope).status == 200
    run.fake.wait_for("chat.postMessage")
    for retry in (1, 2, 3):
        assert run.slack.send_event(envelope, retry_num=retry).status == 200
    settle(run)
    assert len(run.posts(DM)) == 1
    assert run.stored_messages() == 2


def test_message_and_app_mention_for_one_message_give_one_reply(running: Running) -> None:
    run = running
    message = message_event(CUSTOMER, "talk to a person please", DM, ts="1700000500.000100")
    mention = message_event(CUSTOMER, "talk to a person please", DM, ts="1700000500.000100")
    mention["event"]["type"] = "app_mention"
    run.slack.send_event(message)
    run.slack.send_event(mention)
    run.fake.wait_for("chat.postMessage", 2)  # the reply and the card
    settle(run)
    assert len(run.posts(DM)) == 1
    assert run.stored_messages() == 2
    assert count(run, Escalation) == 1


def test_an_event_acknowledged_before_a_crash_is_processed_after_restart(
    running: Running,
) -> None:
    run = running
    real = run.desk.handle_message

    def crash(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - stands in for a dying process
        raise RuntimeError("process killed mid-work")

    run.desk.handle_message = crash  # type: ignore[method-assign]
    assert (
        run.slack.send_event(message_event(CUSTOMER, "how do I pay with paypal", DM)).status == 200
    )
    settle(run)
    assert not run.posts(DM)
    assert count(run, InboundEvent) == 1

    run.desk.handle_message = real  # type: ignore[method-assign]
    _, restarted = create_app(run.settings, run.services)  # a new process on the same database
    restarted.inbox.clock = lambda: now() + timedelta(minutes=2)  # its lease has run out
    restarted.wake_sender = run.ctx.wake_sender
    sweep(restarted)
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)
    sweep(restarted)
    settle(run)
    assert len(run.posts(DM)) == 1
    assert run.stored_messages() == 2


def test_rate_limits_and_server_errors_are_retried_until_sent(running: Running) -> None:
    run = running
    run.fake.fail_next("chat.postMessage", 429, retry_after=1)
    run.slack.send_event(message_event(CUSTOMER, "how do I pay with paypal", DM))
    first = run.fake.wait_for("chat.postMessage", 2, timeout=15)
    assert first[1].at - first[0].at >= 0.9  # waited for Retry-After
    run.fake.fail_next("chat.postMessage", 500)
    run.slack.send_event(message_event(CUSTOMER, "do you ship to switzerland", DM))
    run.fake.wait_for("chat.postMessage", 4, timeout=15)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the sender marks a row sent just after Slack's ok
        with run.desk.store.unit_of_work() as uow:
            statuses = list(uow.session.scalars(select(OutboxMessage.status)))
        if statuses == ["sent", "sent"]:
            break
        time.sleep(0.05)
    assert statuses == ["sent", "sent"]
    assert len(run.fake.calls_to("chat.postMessage")) == 4  # two failures, two successes


def test_card_numbers_are_redacted_before_storage_and_agent_cards(running: Running) -> None:
    run = running
    run.slack.send_event(
        message_event(CUSTOMER, "card 4111 1111 1111 1111 declined, talk to a person", DM)
    )
    [card] = run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] != DM)
    assert "4111 1111" not in str(card.params)
    assert "redacted" in str(card.params)
    with run.desk.store.unit_of_work() as uow:
        payloads = [str(p) for p in uow.session.scalars(select(InboundEvent.payload))]
    assert payloads and not any("4111 1111" in p for p in payloads)


def test_very_long_messages_are_capped(running: Running) -> None:
    run = running
    run.slack.send_event(message_event(CUSTOMER, "how do I pay? " + "x" * 20000, DM))
    run.fake.wait_for("chat.postMessage")
    with run.desk.store.unit_of_work() as uow:
        from bot.service.records import Message

        longest = max(len(t) for t in uow.session.scalars(select(Message.text)))
    assert longest < 4100


def test_a_send_cut_short_by_a_crash_is_not_posted_twice(running: Running) -> None:
    from slack_sdk import WebClient

    from bot.slack.gateway import METADATA_EVENT, Sender
    from bot.slack.outbox import Outbox

    run = running
    outbox = Outbox(run.desk.store, now)
    for key in ("reached-slack", "never-reached"):
        outbox.add("chat.postMessage", {"channel": DM, "text": key}, key=key)
    # The first reached Slack just before its sender was killed; neither row was marked sent.
    WebClient("xoxb-x", base_url=run.fake.base_url).chat_postMessage(
        channel=DM, text="reached-slack",
        metadata={"event_type": METADATA_EVENT, "event_payload": {"key": "reached-slack"}},
    )  # fmt: skip
    with run.desk.store.unit_of_work() as uow:
        for row in uow.session.scalars(select(OutboxMessage)):
            row.status, row.claimed_until = "sending", now() - timedelta(seconds=1)
        uow.commit()
    run.ctx.outbox = outbox  # keep the app's own sender out of it: drive one by hand
    sender = Sender(run.desk.store, WebClient("xoxb-x", base_url=run.fake.base_url), "w2", now)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sender.send_due() == 0:
        time.sleep(0.05)
    settle(run, 1.2)
    sender.send_due()
    texts = [c.params.get("text") for c in run.fake.calls_to("chat.postMessage")]
    assert texts.count("reached-slack") == 1  # the one posted before the crash, only
    assert texts.count("never-reached") == 1
    with run.desk.store.unit_of_work() as uow:
        assert set(uow.session.scalars(select(OutboxMessage.status))) == {"sent"}


def test_an_edit_queued_before_its_copy_is_out_waits_for_it(running: Running) -> None:
    from bot.slack.gateway import UPDATE_COPY

    run = running
    run.fake.fail_next("chat.postMessage", status=500)  # the copy is late: retried first
    run.ctx.send({"channel": DM, "text": "first words"}, key="copy-1")
    run.ctx.send({"channel": DM, "copy_of": "copy-1", "text": "second words"}, key="edit-1",
                 method=UPDATE_COPY)  # fmt: skip
    [update] = run.fake.wait_for("chat.update", timeout=20)
    [posted] = run.fake.history[DM]  # the copy, edited in place by the update
    assert posted["ts"] == update.params["ts"] and posted["text"] == "second words"
    assert [c.params["text"] for c in run.fake.calls_to("chat.postMessage")] == ["first words"] * 2
    assert (update.params["channel"], update.params["text"]) == (DM, "second words")
    assert "copy_of" not in update.params
