"""Text as Slack means it, and staff told from customers (issue 14, first part): the real Bolt
app over signed HTTP, the fake Slack recording what the app sends."""

from __future__ import annotations

import json
import time

from tests.scenario.conftest import (
    AGENT_A,
    AGENTS_CHANNEL,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    DM,
    Running,
)
from tests.scenario.fake_slack import Call
from tests.scenario.slack_requests import (
    BOT_USER_ID,
    block_action,
    message_event,
    message_shortcut,
)

HOME_TEAM = "T1"  # the app's own workspace (the envelope's team_id)
GUEST_TEAM = "TGUEST"  # the customer's workspace, sharing the channel by Slack Connect
# What Slack delivers when someone types: R&D <beta> @Anna @channel and a link named "docs".
TYPED = "R&amp;D &lt;beta&gt; <@UANNA> <!channel> <https://example.com/a?b=1&amp;c=2|docs>"
SEEN = "R&D <beta> @Anna Rossi @channel docs (https://example.com/a?b=1&c=2)"


def posted_text(call: Call) -> str:
    return call.params.get("text", "") + json.dumps(call.params.get("blocks") or [])


def shared_channel_event(user: str, text: str, user_team: str, **extra: str) -> dict:
    envelope = message_event(user, text, CUSTOMER_CHANNEL, channel_type="channel",
                             team=HOME_TEAM, **extra)  # fmt: skip
    envelope["is_ext_shared_channel"] = True
    envelope["event"]["team"] = envelope["event"]["user_team"] = user_team
    return envelope


def test_text_crosses_exactly_as_typed_and_pings_nobody(running: Running) -> None:
    run = running
    run.fake.users["UANNA"] = {"name": "anna", "real_name": "Anna Rossi"}
    run.fake.users[CUSTOMER] = {"name": "cust", "real_name": "Carla Customer"}
    run.fake.users[AGENT_A] = {"name": "agent", "real_name": "Agnes Agent"}
    run.slack.send_event(message_event(CUSTOMER, "I want to talk to a person", DM))
    [card] = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL
    )
    run.slack.send_action(block_action("claim_escalation", "1", AGENT_A, channel=AGENTS_CHANNEL))
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM, count=2)
    # Customer -> agents: once escaped in the card thread, so the agent reads what was typed.
    run.slack.send_event(message_event(CUSTOMER, TYPED, DM))
    [relayed] = run.fake.wait_for(
        "chat.postMessage",
        where=lambda c: c.params["channel"] == AGENTS_CHANNEL and "beta" in c.params["text"],
    )
    escaped_once = SEEN.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert relayed.params["text"].endswith(escaped_once)
    assert "<!channel>" not in relayed.params["text"] and "<@UANNA>" not in relayed.params["text"]
    # Agent -> customer: the same text, typed by the agent in the card's thread.
    thread = run.services.handoff.card(1).agent_thread_ts
    assert thread
    run.slack.send_event(message_event(AGENT_A, TYPED, AGENTS_CHANNEL, channel_type="channel",
                                       thread_ts=thread))  # fmt: skip
    [delivered] = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == DM and "beta" in c.params["text"]
    )
    assert delivered.params["text"] == escaped_once
    with run.services.store.unit_of_work() as uow:
        stored = [m.text for m in uow.repo.messages(1)]
    assert SEEN in stored  # kept plain, as typed: escaped only when shown


def test_a_mention_of_the_app_is_left_out_of_the_search(running: Running) -> None:
    run = running
    event = message_event(CUSTOMER, f"<@{BOT_USER_ID}> how do I pay with paypal",
                          CUSTOMER_CHANNEL, channel_type="channel")  # fmt: skip
    run.slack.send_event(event)
    [reply] = run.fake.wait_for("chat.postMessage")
    with run.services.store.unit_of_work() as uow:
        [asked, _] = uow.repo.messages(1)
        assert (asked.text, asked.decision) == ("how do I pay with paypal", "answer")
    assert "PayPal" in posted_text(reply)


def test_in_a_slack_connect_channel_staff_are_never_answered(running: Running) -> None:
    run = running
    # The external customer asks: answered in the thread.
    asked = shared_channel_event("UEXTERNAL", "how do I pay with paypal", GUEST_TEAM,
                                 ts="1700000200.000100")  # fmt: skip
    run.slack.send_event(asked)
    [reply] = run.fake.wait_for("chat.postMessage")
    assert reply.params["thread_ts"] == "1700000200.000100"
    # A colleague of the home team (not a configured agent) writes in the customer's thread and
    # at the top: the app answers neither (an agent's thread reply is a takeover, tested below).
    run.slack.send_event(shared_channel_event(
        "UCOLLEAGUE", "Hi, I am checking this for you now", HOME_TEAM, ts="1700000201.000100",
        thread_ts="1700000200.000100"))  # fmt: skip
    run.slack.send_event(shared_channel_event("UCOLLEAGUE", "where is my order", HOME_TEAM,
                                              ts="1700000203.000100"))  # fmt: skip
    # A configured agent in a channel that is not shared is staff as well.
    run.slack.send_event(message_event(AGENT_A, "do you ship to switzerland", CUSTOMER_CHANNEL,
                                       channel_type="channel"))  # fmt: skip
    # The customer writes again: answered, and only then (Slack sends events in order here).
    run.slack.send_event(shared_channel_event("UEXTERNAL", "and can I pay with klarna", GUEST_TEAM,
                                              ts="1700000204.000100",
                                              thread_ts="1700000200.000100"))  # fmt: skip
    replies = run.fake.wait_for("chat.postMessage", count=2)
    assert [c.params["thread_ts"] for c in replies] == ["1700000200.000100"] * 2
    assert len(run.fake.calls_to("chat.postMessage")) == 2
    assert run.stored_messages() == 4  # two questions, two answers: staff text is not the app's


def test_a_long_agent_reply_reaches_the_customer_whole_in_several_messages(
    running: Running,
) -> None:
    run = running
    run.slack.send_event(message_event(CUSTOMER, "I want to talk to a person", DM))
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL)
    run.slack.send_action(block_action("claim_escalation", "1", AGENT_A, channel=AGENTS_CHANNEL))
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM, count=2)
    paragraphs = [f"Step {n}: " + "descale the machine & rinse it well. " * 40 for n in range(6)]
    long_reply = "\n\n".join(paragraphs)  # about 9,000 characters
    thread = run.services.handoff.card(1).agent_thread_ts
    run.slack.send_event(message_event(AGENT_A, long_reply.replace("&", "&amp;"), AGENTS_CHANNEL,
                                       channel_type="channel", thread_ts=thread))  # fmt: skip

    def from_agent(call: Call) -> bool:
        return call.params["channel"] == DM and "username" in call.params

    run.fake.wait_for("chat.postMessage", where=from_agent, count=3)
    time.sleep(1.5)  # paced at about one a second: give a fourth part its time
    parts = [c for c in run.fake.calls_to("chat.postMessage") if from_agent(c)]
    texts = [c.params["text"].replace("&amp;", "&") for c in parts]
    assert all(len(c.params["text"]) <= 4000 for c in parts)
    assert " ".join(" ".join(t.split()) for t in texts) == " ".join(long_reply.split())


def test_an_external_customer_in_a_slack_connect_channel_can_press_this_helped(
    running: Running,
) -> None:
    run = running
    run.slack.send_event(shared_channel_event("UEXTERNAL", "how do I pay with paypal", GUEST_TEAM,
                                              ts="1700000300.000100"))  # fmt: skip
    [answer] = run.fake.wait_for("chat.postMessage")
    helped = next(
        element
        for block in answer.params["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id", "").startswith("feedback_helpful")
    )
    press = block_action(helped["action_id"], helped["value"], "UEXTERNAL",
                         channel=CUSTOMER_CHANNEL, user_team=GUEST_TEAM)  # fmt: skip
    assert run.slack.send_action(press).status == 200
    [thanks] = run.fake.wait_for(
        "chat.postMessage",
        where=lambda c: c.params.get("thread_ts") == "1700000300.000100",
        count=2,
    )[1:]
    assert not run.fake.calls_to("chat.postEphemeral")  # not refused as someone else's
    with run.services.store.unit_of_work() as uow:
        assert uow.repo.conversation(1).resolution == "self_service"
    assert thanks.params["channel"] == CUSTOMER_CHANNEL


def test_an_agent_answering_in_the_customers_thread_takes_it_over(running: Running) -> None:
    run = running
    top = "1700000400.000100"
    run.slack.send_event(shared_channel_event("UEXTERNAL", "how do I pay with paypal", GUEST_TEAM,
                                              ts=top))  # fmt: skip
    run.fake.wait_for("chat.postMessage")
    run.slack.send_event(shared_channel_event(AGENT_A, "Hi, I'm on it, one moment", HOME_TEAM,
                                              ts="1700000401.000100", thread_ts=top))  # fmt: skip
    [card] = run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL
    )
    assert f"With <@{AGENT_A}>" in posted_text(card)
    assert "an agent answered in the customer's thread" in posted_text(card)
    # The customer answers the agent: the app stays quiet and passes it to the card's thread.
    again = shared_channel_event("UEXTERNAL", "thanks, it says card declined", GUEST_TEAM,
                                 ts="1700000402.000100", thread_ts=top)  # fmt: skip
    run.slack.send_event(again)
    [passed] = run.fake.wait_for(
        "chat.postMessage",
        where=lambda c: c.params["channel"] == AGENTS_CHANNEL and "declined" in c.params["text"],
    )
    assert passed.params["thread_ts"] == run.services.handoff.card(1).agent_thread_ts
    in_channel = [c for c in run.fake.calls_to("chat.postMessage")
                  if c.params["channel"] == CUSTOMER_CHANNEL]  # fmt: skip
    assert len(in_channel) == 1  # only the first answer: nothing over the agent's head
    assert run.services.handoff.card(1).status == "claimed"


def test_a_long_list_shows_its_first_rows_and_sends_all_of_them_as_a_file(
    running: Running,
) -> None:
    from datetime import UTC, datetime

    from bot.service.records import Message
    from bot.service.vocabulary import Role
    from tests.scenario.conftest import LEAD
    from tests.scenario.slack_requests import slash_command

    run = running
    at = datetime.now(UTC)
    with run.services.store.unit_of_work() as uow:
        for n in range(25):
            customer, _ = uow.repo.get_or_create_customer("T1", f"UBUYER{n:02d}", "purchase", at)
            talk = uow.repo.start_conversation(customer.id, f"DBUYER{n:02d}", "", "purchase", at)
            uow.repo.add_message(Message(conversation_id=talk.id, role=Role.CUSTOMER,
                                         text=f"buyer {n}: is the grinder in stock?",
                                         created_at=at))  # fmt: skip
        uow.commit()
    run.slack.send_command(slash_command("/lifecycle", "stage purchase", LEAD,
                                         response_url=run.fake.response_url("list")))  # fmt: skip
    [answer] = run.fake.wait_for("response_url")
    shown = json.dumps(answer.params["blocks"], ensure_ascii=False)
    assert shown.count("is the grinder in stock?") == 20
    assert "…and 5 more here: all 25 are in the CSV file in your DM with the app." in shown
    [upload] = run.fake.wait_for("files.completeUploadExternal")
    assert upload.params["channel_id"] == f"D{LEAD}"
    [entry] = upload.params["files"]
    rows = run.fake.files.content[entry["id"]].decode().splitlines()
    assert len(rows) == 26 and rows[0].startswith("customer,stage,status")
    assert sum("is the grinder in stock?" in row for row in rows) == 25


def test_escalate_to_support_in_a_slack_connect_channel_asks_slack_who_is_staff(
    running: Running,
) -> None:
    """A shortcut's payload does not say whether the channel is shared: the app asks Slack.
    There, a colleague from the app's own workspace is staff, and the customer is the guest."""
    run = running
    run.fake.shared_channels.add(CUSTOMER_CHANNEL)
    top = "1700000500.000100"
    asked = {"type": "message", "user": "UEXTERNAL", "ts": top, "team": GUEST_TEAM,
             "user_team": GUEST_TEAM, "text": "my paypal payment keeps failing"}  # fmt: skip
    # The guest escalates their own message: allowed, and they are the customer, of their team.
    run.slack.send_action(message_shortcut("escalate_to_support", "UEXTERNAL", CUSTOMER_CHANNEL,
                                           asked, user_team=GUEST_TEAM))  # fmt: skip
    [card] = run.fake.wait_for("chat.postMessage",
                               where=lambda c: c.params["channel"] == AGENTS_CHANNEL)  # fmt: skip
    assert "paypal payment keeps failing" in posted_text(card)
    assert [c.params["channel"] for c in run.fake.calls_to("conversations.info")] == [
        CUSTOMER_CHANNEL
    ]
    with run.services.store.unit_of_work() as uow:
        conversation = uow.repo.conversation(1)
        assert conversation is not None
        customer = uow.repo.customer_by_id(conversation.customer_id)
        assert customer is not None
        assert (customer.user_id, customer.team_id) == ("UEXTERNAL", GUEST_TEAM)
    # A colleague's reply in that thread, escalated by an agent, points at the guest's
    # conversation: the colleague is not made a customer. Slack is not asked again.
    reply = {"type": "message", "user": "UCOLLEAGUE", "ts": "1700000501.000100",
             "thread_ts": top, "team": HOME_TEAM, "text": "let me check that for you"}  # fmt: skip
    run.slack.send_action(message_shortcut("escalate_to_support", AGENT_A, CUSTOMER_CHANNEL,
                                           reply))  # fmt: skip
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert "#1" in refusal.params["text"]  # the guest's escalation, already open
    assert len(run.fake.calls_to("conversations.info")) == 1
    with run.services.store.unit_of_work() as uow:
        assert uow.repo.conversation(2) is None
