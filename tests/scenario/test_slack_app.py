"""The Slack app end to end: signed HTTP requests in, calls to the fake Web API out."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from bot.service.records import Escalation
from tests.scenario.conftest import (
    AGENT_A,
    AGENT_B,
    AGENTS_CHANNEL,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    DM,
    LEAD,
    Running,
)
from tests.scenario.fake_slack import Call
from tests.scenario.slack_requests import block_action, message_event, slash_command


def blocks_text(call: Call) -> str:
    return json.dumps(call.params.get("blocks") or [], ensure_ascii=False)


def button(call: Call, action_prefix: str) -> dict:
    for block in call.params.get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("action_id", "").startswith(action_prefix):
                return element
    raise AssertionError(f"no {action_prefix} button in {blocks_text(call)}")


def dm(run: Running, text: str) -> None:
    response = run.slack.send_event(message_event(CUSTOMER, text, DM, channel_type="im"))
    assert response.status == 200


def test_a_stuck_buyer_is_handed_to_an_agent_and_back(running: Running) -> None:
    run = running
    dm(run, "how do I pay with paypal")
    [answer] = run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)
    assert "payment" in blocks_text(answer).lower()
    for action in ("feedback_helpful", "feedback_not_helpful", "talk_to_human"):
        button(answer, action)

    not_helpful = button(answer, "feedback_not_helpful")
    run.slack.send_action(block_action(not_helpful["action_id"], not_helpful["value"], CUSTOMER,
                                       channel=DM))  # fmt: skip
    run.fake.wait_for("chat.postMessage", 2, where=lambda c: c.params["channel"] == DM)
    dm(run, "paypal at checkout does not work for me")
    dm(run, "I still can't pay with paypal at the checkout")

    [card] = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL
    )
    card_text = blocks_text(card)
    assert f"<@{CUSTOMER}>" in card_text and "Purchase" in card_text
    assert "not helpful" in card_text  # the reasons, in words
    claim = button(card, "claim_escalation")

    ts = card_thread(run)

    run.slack.send_action(block_action("claim_escalation", claim["value"], AGENT_A,
                                       channel=AGENTS_CHANNEL, message_ts=ts))  # fmt: skip
    # The card follows the conversation (waiting, then with the agent): the claim's update.
    run.fake.wait_for("chat.update", where=lambda c: f"With <@{AGENT_A}>" in blocks_text(c))
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM
                      and "joined" in c.params.get("text", ""))  # fmt: skip

    run.slack.send_action(block_action("claim_escalation", claim["value"], AGENT_B,
                                       channel=AGENTS_CHANNEL, message_ts=ts))  # fmt: skip
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert refusal.params["user"] == AGENT_B
    assert f"<@{AGENT_A}> already has this conversation" in refusal.params["text"]

    agent_says = message_event(AGENT_A, "Hi! Which browser are you using?", AGENTS_CHANNEL,
                               channel_type="channel", thread_ts=ts)  # fmt: skip
    run.slack.send_event(agent_says)
    [relayed] = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == DM
        and c.params.get("text") == "Hi! Which browser are you using?",
    )  # fmt: skip
    assert relayed.params.get("username") == "Anna Agent"

    internal = message_event(AGENT_B, "internal: check the PSP dashboard", AGENTS_CHANNEL,
                             channel_type="channel", thread_ts=ts)  # fmt: skip
    run.slack.send_event(internal)
    dm(run, "Firefox, latest version")
    in_thread = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL
        and c.params.get("thread_ts") == ts and "Firefox" in c.params.get("text", ""),
    )  # fmt: skip
    assert in_thread[0].params["text"].startswith(f"*<@{CUSTOMER}>:*")
    assert not any("PSP dashboard" in c.params.get("text", "") for c in run.posts(DM))

    run.slack.send_action(block_action("resolve_escalation", claim["value"], AGENT_A,
                                       channel=AGENTS_CHANNEL, message_ts=ts))  # fmt: skip
    run.fake.wait_for("chat.update", where=lambda c: "*Resolved*" in blocks_text(c))
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM
                      and "handed you back" in c.params.get("text", ""))  # fmt: skip
    before = len(run.posts(DM))
    dm(run, "how do I pay with paypal")
    run.fake.wait_for("chat.postMessage", before + 1, where=lambda c: c.params["channel"] == DM)
    assert "payment" in blocks_text(run.posts(DM)[-1]).lower()


def card_thread(run: Running, timeout: float = 10.0) -> str:
    """The ts Slack gave the card, once the app has recorded it (right after posting)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with run.desk.store.unit_of_work() as uow:
            escalation = uow.session.scalars(select(Escalation)).first()
            if escalation is not None and escalation.agent_thread_ts:
                assert escalation.agent_channel == AGENTS_CHANNEL
                return escalation.agent_thread_ts
        time.sleep(0.05)
    raise AssertionError("the card's thread was never recorded")


def test_lifecycle_commands_for_leads_refusal_for_customers_usage_for_nonsense(
    running: Running,
) -> None:
    run = running
    dm(run, "how do I pay with paypal")
    run.fake.wait_for("chat.postMessage")
    url = run.fake.response_url
    run.slack.send_command(slash_command("/lifecycle", "summary 7d", LEAD, response_url=url("a")))
    run.slack.send_command(slash_command("/lifecycle", "summary 7d", CUSTOMER,
                                         response_url=url("b")))  # fmt: skip
    run.slack.send_command(slash_command("/lifecycle", "nonsense", LEAD, response_url=url("c")))
    responses = {c.path.rsplit("/", 1)[1]: c for c in run.fake.wait_for("response_url", 3)}
    summary = json.dumps(responses["a"].params, ensure_ascii=False)
    assert "Lifecycle summary" in summary and "Purchase" in summary and "█" in summary
    assert responses["a"].params["response_type"] == "ephemeral"
    assert "support team only" in responses["b"].params["text"]
    assert "Usage" in responses["c"].params["text"]


def test_customer_text_is_escaped_in_the_agent_card(running: Running) -> None:
    run = running
    dm(run, "<!channel> look at <https://evil.example|Docs> and talk to a person now")
    [card] = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL
    )
    text = blocks_text(card)
    assert "<!channel>" not in text and "<https://evil.example|Docs>" not in text
    assert "@channel look at Docs (https://evil.example)" in text  # readable, pings nobody


def test_a_bad_signature_gets_401_and_nothing_is_stored(running: Running) -> None:
    run = running
    envelope = message_event(CUSTOMER, "how do I pay with paypal", DM, channel_type="im")
    assert run.slack.send_event(envelope, bad_signature=True).status == 401
    old = run.slack.send_event(envelope, timestamp=1_600_000_000)
    assert old.status == 401
    assert run.stored_messages() == 0
    assert run.slack.get("/healthz").status == 200


def test_the_app_ignores_bots_edits_and_its_own_messages(running: Running) -> None:
    run = running
    run.slack.send_event(message_event("UOTHER", "hello bot", DM, bot_id="B2"))
    run.slack.send_event(message_event(CUSTOMER, "edited", DM, subtype="message_changed"))
    run.slack.send_event(message_event("UBOT", "my own words", DM))
    dm(run, "how do I pay with paypal")
    run.fake.wait_for("chat.postMessage")
    assert len(run.posts(DM)) == 1
    assert run.stored_messages() == 2  # the one question and its answer


def test_a_top_level_message_in_a_customer_channel_is_answered_in_its_thread(
    running: Running,
) -> None:
    run = running
    envelope = message_event(CUSTOMER, "do you ship to switzerland", CUSTOMER_CHANNEL,
                             channel_type="channel", ts="1700000123.000100")  # fmt: skip
    run.slack.send_event(envelope)
    [reply] = run.fake.wait_for("chat.postMessage")
    assert reply.params["channel"] == CUSTOMER_CHANNEL
    assert reply.params["thread_ts"] == "1700000123.000100"


def test_a_customer_cannot_claim_and_a_forged_claim_changes_nothing(running: Running) -> None:
    run = running
    dm(run, "I want to talk to a person")
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL)
    run.slack.send_action(block_action("claim_escalation", "1", CUSTOMER, channel=AGENTS_CHANNEL))
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert refusal.params["user"] == CUSTOMER
    assert "Only support agents" in refusal.params["text"]
    assert run.services.handoff.card(1).status == "open"


def test_kb_shows_agents_the_customer_wording_with_notes_and_refuses_customers(
    running: Running,
) -> None:
    run = running
    url = run.fake.response_url
    run.slack.send_command(slash_command("/kb", "chargeback", AGENT_A, response_url=url("a")))
    run.slack.send_command(slash_command("/kb", "how do I pay with paypal", AGENT_A,
                                         response_url=url("b")))  # fmt: skip
    run.slack.send_command(slash_command("/kb", "chargeback", CUSTOMER, response_url=url("c")))
    responses = {c.path.rsplit("/", 1)[1]: c for c in run.fake.wait_for("response_url", 3)}
    internal = json.dumps(responses["a"].params, ensure_ascii=False)
    assert "chargeback-handling" in internal and "internal" in internal
    payment = json.dumps(responses["b"].params, ensure_ascii=False)
    article = run.desk.kb.get("payment-methods")
    assert article.answer.split("\n")[0][:60] in payment
    notes = run.desk.kb.get("chargeback-handling").agent_notes
    assert notes and "Agent notes" in internal and notes[:40] in internal  # agents see notes
    assert "support team only" in responses["c"].params["text"]


def test_the_home_tab_differs_for_leads_agents_and_customers(running: Running) -> None:
    from tests.scenario.slack_requests import app_home_opened_event

    run = running
    for user in (LEAD, AGENT_A, CUSTOMER):
        run.slack.send_event(app_home_opened_event(user))
    views = {c.params["user_id"]: json.dumps(c.params["view"], ensure_ascii=False)
             for c in run.fake.wait_for("views.publish", 3)}  # fmt: skip
    assert "Lifecycle summary" in views[LEAD]
    assert "Your escalations" in views[AGENT_A]
    assert "Talk to a person" in views[CUSTOMER]


def test_an_unclaimed_card_is_raised_again_mentioning_the_leads(running: Running) -> None:
    from dataclasses import replace

    from bot.slack.sweeper import sweep

    run = running
    dm(run, "I want to talk to a person")
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL)
    ts = card_thread(run)
    run.ctx.settings = replace(run.settings, escalation_reminder_minutes=0.001)
    time.sleep(0.1)
    sweep(run.ctx)
    [reminder] = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params.get("thread_ts") == ts
        and "still unclaimed" in c.params.get("text", ""),
    )  # fmt: skip
    assert f"<@{LEAD}>" in reminder.params["text"]


def test_a_buyer_left_waiting_is_escalated_by_the_timer(running: Running) -> None:
    from datetime import timedelta

    from bot.service.actors import Actor
    from bot.service.outcomes import CustomerRef
    from bot.slack.context import now
    from bot.slack.sweeper import sweep

    run = running
    who = CustomerRef(CUSTOMER, "T1")
    run.desk.set_stage(
        who, "purchase", actor=Actor(LEAD, is_lead=True), at=now() - timedelta(minutes=20)
    )
    run.desk.handle_message(who, "can I pay with bitcoin or ethereum?",
                            at=now() - timedelta(minutes=10), channel=DM)  # fmt: skip
    sweep(run.ctx)
    [card] = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL
    )
    assert "waiting" in blocks_text(card)
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)


def test_customer_buttons_answer_in_the_stored_conversation_not_the_payload_channel(
    running: Running,
) -> None:
    """A press names a channel in its payload; the app posts where the conversation lives."""
    run = running
    elsewhere = "CELSEWHERE"
    dm(run, "my account")  # several account articles: suggested, not answered
    [offer] = run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)
    pick = button(offer, "pick_suggestion")
    run.slack.send_action(block_action(pick["action_id"], pick["value"], CUSTOMER,
                                       channel=elsewhere))  # fmt: skip
    [_, shown] = run.fake.wait_for("chat.postMessage", 2, where=lambda c: c.params["channel"] == DM)
    assert button(shown, "feedback_helpful")  # the picked article, ready to be rated

    human = button(shown, "talk_to_human")
    run.slack.send_action(block_action(human["action_id"], human["value"], CUSTOMER,
                                       channel=elsewhere))  # fmt: skip
    run.fake.wait_for("chat.postMessage", 3, where=lambda c: c.params["channel"] == DM)
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL)
    assert not run.posts(elsewhere)
    assert not [c for c in run.fake.calls if c.params.get("channel") == elsewhere]


def test_a_button_of_another_customers_reply_is_refused(running: Running) -> None:
    run = running
    dm(run, "account")
    [offer] = run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)
    human = button(offer, "talk_to_human")
    intruder, their_dm = "UINTRUDER", "DINTRUDER"
    run.slack.send_action(block_action(human["action_id"], human["value"], intruder,
                                       channel=their_dm))  # fmt: skip
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert refusal.params["user"] == intruder and "no longer points" in refusal.params["text"]
    time.sleep(0.3)  # give a wrongly queued post time to show
    assert not run.posts(AGENTS_CHANNEL) and not run.posts(their_dm)
    with run.desk.store.unit_of_work() as uow:
        assert uow.session.scalars(select(Escalation)).first() is None
