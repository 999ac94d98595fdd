"""No card number, however written and wherever in an event, is stored, queued, logged or sent.

A customer writes card numbers in the text, in rich-text blocks (one split across two styled
pieces), in an attachment and in an edit; after an escalation, in a message relayed to the
agents' thread; the agent writes one back. Then every inbox row, stored message, outbox row,
log line and call the fake Slack received is searched for each number's digits.
"""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.service.records import Message
from bot.service.redaction import clean_incoming
from bot.slack.app import create_app
from bot.slack.context import now
from bot.slack.inbox import MAX_PAYLOAD, MAX_STRING, SPLIT_CARD, stored_event
from bot.slack.sweeper import sweep
from bot.store.rows import InboundEvent, OutboxMessage
from tests.scenario.conftest import AGENT_A, AGENTS_CHANNEL, CUSTOMER, DM, Running
from tests.scenario.slack_requests import block_action, message_event, new_ts
from tests.scenario.test_slack_app import button, card_thread

IN_TEXT = "4111111111111111"
IN_BLOCKS = "5555555555554444"
SPLIT_IN_BLOCKS = "4012888888881881"
IN_ATTACHMENT = "6011000990139424"
IN_EDIT = "4222222222222"
EDITED_AWAY = "30569309025904"
RELAYED = "378282246310005"
FROM_AGENT = "4000000000000000006"
CARDS = (IN_TEXT, IN_BLOCKS, SPLIT_IN_BLOCKS, IN_ATTACHMENT, IN_EDIT, EDITED_AWAY, RELAYED,
         FROM_AGENT)  # fmt: skip


def spaced(number: str, sep: str = " ") -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def rich_text(*pieces: str) -> list[dict[str, Any]]:
    """A rich_text block as Slack's composer sends it, one text element per styled piece."""
    elements = [{"type": "text", "text": p, **({"style": {"bold": True}} if i else {})}
                for i, p in enumerate(pieces)]  # fmt: skip
    return [{"type": "rich_text", "block_id": "rt1",
             "elements": [{"type": "rich_text_section", "elements": elements}]}]  # fmt: skip


def leaked(blob: str) -> list[str]:
    """The card numbers whose digits appear in `blob`, whatever stands between them."""
    flat = unicodedata.normalize("NFKC", blob)  # full-width digits read as digits
    return [c for c in CARDS if re.search(r"\D{0,6}".join(c), flat)]


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def everything_kept(run: Running) -> dict[str, str]:
    """Every place a card number could hide: rows, messages, the outbox and Slack's side."""
    with run.desk.store.unit_of_work() as uow:
        inbox = [(e.payload, e.error) for e in uow.session.scalars(select(InboundEvent))]
        messages = list(uow.session.scalars(select(Message.text)))
        outbox = [(o.params, o.error) for o in uow.session.scalars(select(OutboxMessage))]
    calls = [(c.method, c.params) for c in run.fake.calls]
    return {"inbox": dumps(inbox), "messages": dumps(messages), "outbox": dumps(outbox),
            "slack": dumps(calls)}  # fmt: skip


def wait_until_sent(run: Running, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.ctx.outbox.pending():
        time.sleep(0.05)


def test_card_numbers_never_leak_from_text_blocks_edits_or_relays(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run = running
    first = message_event(CUSTOMER, f"my card {spaced(IN_TEXT, chr(0xA0))} was declined", DM)
    first["event"]["blocks"] = [
        *rich_text(f"my card {spaced(IN_BLOCKS, '.')} was declined"),
        *rich_text("and ", spaced(SPLIT_IN_BLOCKS)[:10], spaced(SPLIT_IN_BLOCKS)[10:]),
    ]
    first["event"]["attachments"] = [
        {"fallback": f"card {IN_ATTACHMENT}", "fields": [{"title": "card", "value": IN_ATTACHMENT}]}
    ]
    run.slack.send_event(first)
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)

    edit = message_event(CUSTOMER, "", DM, subtype="message_changed")
    for key in ("user", "text", "client_msg_id"):
        edit["event"].pop(key, None)
    said = f"card {spaced(IN_EDIT, ' - ')}"
    edit["event"]["message"] = {"type": "message", "user": CUSTOMER, "text": said,
                                "ts": first["event"]["ts"], "blocks": rich_text(said),
                                "edited": {"user": CUSTOMER, "ts": new_ts()}}  # fmt: skip
    edit["event"]["previous_message"] = {"type": "message", "user": CUSTOMER,
                                         "text": f"card {EDITED_AWAY}", "ts": first["event"]["ts"],
                                         "blocks": rich_text(f"card {EDITED_AWAY}")}  # fmt: skip
    run.slack.send_event(edit)

    run.slack.send_event(message_event(CUSTOMER, "talk to a person please", DM))
    [card] = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL
    )
    ts = card_thread(run)
    run.slack.send_event(message_event(CUSTOMER, f"it is {RELAYED[:4]} {RELAYED[4:10]} "
                                       f"{RELAYED[10:]}, exp 12/27", DM))  # fmt: skip
    [relayed] = run.fake.wait_for(
        "chat.postMessage",
        where=lambda c: c.params.get("thread_ts") == ts and "exp 12/27" in c.params.get("text", ""),
    )
    assert "[card number redacted …0005]" in relayed.params["text"]

    claim = button(card, "claim_escalation")
    run.slack.send_action(block_action("claim_escalation", claim["value"], AGENT_A,
                                       channel=AGENTS_CHANNEL, message_ts=ts))  # fmt: skip
    run.fake.wait_for("chat.update")
    asks = f"Is it {spaced(FROM_AGENT, '-')}?"
    run.slack.send_event(
        message_event(AGENT_A, asks, AGENTS_CHANNEL, channel_type="channel", thread_ts=ts)
    )
    [to_customer] = run.fake.wait_for(
        "chat.postMessage",
        where=lambda c: c.params["channel"] == DM and c.params.get("text", "").startswith("Is it"),
    )
    assert to_customer.params["text"] == "Is it [card number redacted …0006]?"
    wait_until_sent(run)
    time.sleep(0.3)

    kept = everything_kept(run)
    kept["logs"] = caplog.text
    assert {where: leaked(blob) for where, blob in kept.items()} == {where: [] for where in kept}
    assert "[card number redacted …1111]" in kept["inbox"]
    assert "[card number redacted …4444]" in kept["inbox"]  # in the blocks
    assert "[card number redacted …2222]" in kept["inbox"]  # in the edit
    assert SPLIT_CARD in kept["inbox"]  # the block whose bold half finished a card number


def test_a_huge_event_is_stored_bounded_and_still_answered_after_a_crash(
    running: Running,
) -> None:
    run = running
    real = run.desk.handle_message

    def crash(*args: object, **kwargs: object) -> object:
        raise RuntimeError("process killed mid-work")

    run.desk.handle_message = crash  # type: ignore[method-assign]
    said = "how do I pay with paypal " + "x" * 50_000
    envelope = message_event(CUSTOMER, said, DM)
    envelope["event"]["blocks"] = [rich_text("y" * 3000 + f" {IN_TEXT}")[0] for _ in range(50)]
    assert run.slack.send_event(envelope).status == 200
    time.sleep(0.5)
    with run.desk.store.unit_of_work() as uow:
        [payload] = list(uow.session.scalars(select(InboundEvent.payload)))
    stored = dumps(payload)
    assert len(stored) <= 2 * MAX_PAYLOAD
    assert not leaked(stored)
    text = payload["event"]["text"]
    assert text.startswith("how do I pay with paypal xxx") and len(text) <= MAX_STRING

    run.desk.handle_message = real  # type: ignore[method-assign]
    _, restarted = create_app(run.settings, run.services)  # a new process, same database
    restarted.inbox.clock = lambda: now() + timedelta(minutes=2)
    restarted.wake_sender = run.ctx.wake_sender
    sweep(restarted)
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)
    with run.desk.store.unit_of_work() as uow:
        first_stored = uow.session.scalars(select(Message.text).order_by(Message.id)).first()
    assert first_stored == clean_incoming(said)  # read as it would have been when it arrived


def test_any_event_too_big_for_the_inbox_keeps_what_processing_reads(running: Running) -> None:
    run = running
    envelope = message_event(CUSTOMER, f"card {IN_TEXT}\x00 " + "z" * 3_000_000, DM)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "b" * 5000}}
    envelope["event"]["blocks"] = [section] * 2000  # 10 MB
    envelope["event"]["files"] = [{"id": "F1", "name": "n" * 10_000_000}]
    row = run.ctx.inbox.record(envelope)
    assert row is not None
    with run.desk.store.unit_of_work() as uow:
        [payload] = list(uow.session.scalars(select(InboundEvent.payload)))
    assert len(dumps(payload)) <= 2 * MAX_PAYLOAD
    event = payload["event"]
    for key in ("type", "user", "channel", "ts", "channel_type", "team"):
        assert event[key] == envelope["event"][key]
    assert event["text"].startswith("card [card number redacted …1111] zzz")
    assert "\x00" not in event["text"] and not leaked(dumps(payload))


def test_slack_timestamps_are_kept_even_when_their_digits_pass_luhn() -> None:
    ts = "1700000500.000105"  # 16 digits that pass Luhn: a message's name, not a card
    event = {"type": "message", "ts": ts, "thread_ts": ts, "text": f"see {ts}",
             "message": {"ts": ts, "edited": {"ts": ts}}}  # fmt: skip
    kept = stored_event(event)
    assert (kept["ts"], kept["thread_ts"], kept["message"]) == (ts, ts, event["message"])
    assert kept["text"] == "see [card number redacted …0105]"  # typed, it is redacted
