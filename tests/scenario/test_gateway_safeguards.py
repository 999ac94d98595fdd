"""The gateway's safeguards, each held by its own test: order under a card, no duplicate when
Slack is slow, one reply per feedback press, refusals answered rather than raised."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.bootstrap import Services, compose, load_domain
from bot.config import Settings
from bot.service.outcomes import CustomerRef
from bot.service.vocabulary import CardLink
from bot.slack.gateway import CONCURRENCY, Sender, SenderThread
from bot.slack.outbox import Outbox
from bot.store.unit_of_work import Store
from tests.scenario.conftest import AGENTS_CHANNEL, CUSTOMER, DM, Running
from tests.scenario.fake_slack import FakeSlack
from tests.scenario.slack_requests import block_action


def clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[FakeSlack, Services, Outbox]]:
    """A fake Slack, the services on a SQLite file, and the outbox over it (no Bolt app)."""
    with FakeSlack() as fake:
        store = Store.open(f"sqlite:///{tmp_path / 'gateway.db'}")
        services = compose(store, *load_domain(Settings()))
        yield fake, services, Outbox(store, clock)
        store.close()


def drain(sender: Sender, until: float = 8.0, done: callable = lambda: False) -> None:  # type: ignore[valid-type]
    """Run sender passes (paced as in production) until `done()` or the time runs out."""
    deadline = time.monotonic() + until
    while time.monotonic() < deadline and not done():
        if sender.send_due() == 0:
            time.sleep(0.05)


def test_a_follow_up_queued_before_its_card_waits_for_the_card_without_blocking_it(
    parts: tuple[FakeSlack, Services, Outbox],
) -> None:
    fake, services, outbox = parts
    escalation = services.desk.talk_to_human(CustomerRef(CUSTOMER, "T1"), at=clock(),
                                             channel=DM).escalation  # fmt: skip
    assert escalation is not None
    # The customer's next message reaches the outbox before the card does (two listener
    # threads): the thread reply is the agents' channel's oldest row.
    outbox.add(
        "chat.postMessage",
        {"channel": AGENTS_CHANNEL, "text": "follow-up"},
        key="to-agents:1",
        escalation_id=escalation.id,
        card_link=CardLink.THREAD,
    )
    outbox.add("chat.postMessage", {"channel": AGENTS_CHANNEL, "text": "the card"},
               key="card:1", escalation_id=escalation.id, card_link=CardLink.POST)  # fmt: skip
    sender = Sender(services.store, WebClient("xoxb-t", base_url=fake.base_url), "w1", clock)
    posted = lambda: fake.calls_to("chat.postMessage")  # noqa: E731
    drain(sender, done=lambda: len(posted()) >= 2)
    card, follow_up = [c.params for c in posted()]
    assert card["text"] == "the card"
    assert follow_up["text"] == "follow-up"
    card_ts = services.handoff.card(escalation.id).agent_thread_ts
    assert card_ts and follow_up["thread_ts"] == card_ts


def test_a_post_that_timed_out_but_reached_slack_is_not_posted_again(
    parts: tuple[FakeSlack, Services, Outbox],
) -> None:
    fake, services, outbox = parts
    outbox.add("chat.postMessage", {"channel": DM, "text": "only once"}, key="reply:1")
    fake.latency = (1.0, 1.0)  # Slack answers after the client gave up: the post went out
    impatient = WebClient("xoxb-t", base_url=fake.base_url, timeout=0.3)
    sender = Sender(services.store, impatient, "w1", clock)
    assert sender.send_due() == 1
    time.sleep(1.2)  # the fake finishes the post it was still answering
    fake.latency = (0, 0)
    drain(sender, until=6.0, done=lambda: outbox.pending() == 0)
    texts = [c.params.get("text") for c in fake.calls_to("chat.postMessage")]
    assert texts.count("only once") == 1
    assert outbox.pending() == 0


def test_two_customers_not_helped_each_hear_sorry(running: Running) -> None:
    run = running
    for user, channel in (("UCUST1", "DCUST1"), ("UCUST2", "DCUST2")):
        reply = run.desk.handle_message(CustomerRef(user, "T1"), "how can I pay?", at=clock(),
                                        channel=channel)  # fmt: skip
        run.slack.send_action(block_action("feedback_not_helpful", str(reply.message_id), user,
                                           channel=channel))  # fmt: skip
    for channel in ("DCUST1", "DCUST2"):
        run.fake.wait_for("chat.postMessage", where=lambda c, ch=channel: c.params["channel"] == ch
                          and "didn't help" in c.params.get("text", ""))  # fmt: skip


def test_feedback_replies_go_to_the_conversation_not_to_the_payloads_channel(
    running: Running,
) -> None:
    run = running
    reply = run.desk.handle_message(CustomerRef(CUSTOMER, "T1"), "how can I pay?", at=clock(),
                                    channel=DM)  # fmt: skip
    run.slack.send_action(block_action("feedback_helpful", str(reply.message_id), CUSTOMER,
                                       channel="CSOMEONE-ELSE"))  # fmt: skip
    [thanks] = run.fake.wait_for("chat.postMessage", where=lambda c: "Glad" in
                                 c.params.get("text", ""))  # fmt: skip
    assert thanks.params["channel"] == DM


def test_a_customer_pressing_claim_is_refused_with_200_and_a_reason(running: Running) -> None:
    run = running
    escalation = run.desk.talk_to_human(CustomerRef(CUSTOMER, "T1"), at=clock(),
                                        channel=DM).escalation  # fmt: skip
    started = time.monotonic()
    response = run.slack.send_action(block_action("claim_escalation", str(escalation.id),
                                                  CUSTOMER, channel=AGENTS_CHANNEL))  # fmt: skip
    assert response.status == 200 and time.monotonic() - started < 2.5
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert "Only support agents" in refusal.params["text"]


def test_claiming_a_resolved_or_unknown_escalation_never_names_nobody(running: Running) -> None:
    from bot.service.actors import Actor
    from tests.scenario.conftest import AGENT_A, AGENT_B

    run = running
    escalation = run.desk.talk_to_human(CustomerRef(CUSTOMER, "T1"), at=clock(),
                                        channel=DM).escalation  # fmt: skip
    run.services.handoff.resolve(escalation.id, Actor(AGENT_A, is_agent=True), clock())
    for value in (str(escalation.id), "99999", "not-a-number"):
        response = run.slack.send_action(block_action("claim_escalation", value, AGENT_B,
                                                      channel=AGENTS_CHANNEL))  # fmt: skip
        assert response.status == 200
    refusals = run.fake.wait_for("chat.postEphemeral", 3)
    assert all("None" not in r.params["text"] for r in refusals), refusals


def test_a_long_rate_limit_delays_a_reply_but_never_drops_it(
    parts: tuple[FakeSlack, Services, Outbox],
) -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web import SlackResponse
    from sqlalchemy import select

    from bot.slack import retry
    from bot.store.rows import OutboxMessage

    fake, services, outbox = parts
    outbox.add("chat.postMessage", {"channel": DM, "text": "patience"}, key="reply:9")
    sender = Sender(services.store, WebClient("xoxb-t", base_url=fake.base_url), "w1", clock)
    limited = SlackResponse(client=None, http_verb="POST", api_url="", req_args={},
                            data={"ok": False, "error": "ratelimited"},
                            headers={"Retry-After": "0"}, status_code=429)  # fmt: skip
    with services.store.unit_of_work() as uow:
        row_id = uow.session.scalar(select(OutboxMessage.id))
    for _ in range(retry.MAX_ATTEMPTS + 5):
        sender._failed(row_id, SlackApiError("ratelimited", limited))
    with services.store.unit_of_work() as uow:
        row = uow.outbox.call(row_id)
        assert (row.status, row.attempts) == ("pending", 0)


def test_one_slow_slack_call_holds_up_its_own_channel_only(
    parts: tuple[FakeSlack, Services, Outbox],
) -> None:
    fake, services, outbox = parts
    fake.slow_channels["DSLOW"] = 3.0
    outbox.add("chat.postMessage", {"channel": "DSLOW", "text": "slow"}, key="reply:slow")
    for n in range(3 * CONCURRENCY):
        outbox.add("chat.postMessage", {"channel": f"DFAST{n}", "text": "fast"}, key=f"reply:{n}")
    sender = Sender(services.store, WebClient("xoxb-t", base_url=fake.base_url), "w1", clock)
    thread = SenderThread(sender, idle=0.05)
    thread.start()
    try:
        fast = lambda: [c for c in fake.calls_to("chat.postMessage")  # noqa: E731
                        if c.params["channel"] != "DSLOW"]  # fmt: skip
        deadline = time.monotonic() + 2.0  # well before the slow call is answered
        while time.monotonic() < deadline and len(fast()) < 3 * CONCURRENCY:
            time.sleep(0.02)
        assert len(fast()) == 3 * CONCURRENCY
        drain_until = time.monotonic() + 6.0
        while time.monotonic() < drain_until and outbox.pending():
            time.sleep(0.05)
        assert outbox.pending() == 0
    finally:
        thread.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()
