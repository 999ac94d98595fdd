"""Agents' answers become articles (issue 15): *Save as article* on an agent's reply opens a
prefilled modal, the draft waits on the leads' Home tab, and an approved one is served to the
next customer at once; an invalid draft is refused with the validator's words, a rejected one
changes nothing. The real Bolt app over signed HTTP, the strict fake Slack."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.scenario.conftest import AGENT_A, AGENTS_CHANNEL, CUSTOMER, DM, LEAD, Running
from tests.scenario.slack_requests import (
    app_home_opened_event,
    block_action,
    message_event,
    message_shortcut,
    new_ts,
    slash_command,
    view_submission,
)
from tests.scenario.test_agent_controls import card_ts, card_update, to_customer

MISSING = "can I book a roastery tour for my team?"  # the sample articles have no answer
ANSWER = ("Yes: tours run on Fridays at 15:00 for up to 12 people; book at *Roastery tours* "
          "in your account.")


def values_of(view: dict, **changes: Any) -> dict[str, dict[str, Any]]:
    """The state Slack would submit: the modal's initial values, with `changes` typed over."""
    values: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, name = block["element"], block["block_id"]
        if element["type"] == "plain_text_input":
            state = {"type": "plain_text_input",
                     "value": changes.get(name, element.get("initial_value"))}  # fmt: skip
        elif element["type"] == "static_select":
            state = {"type": "static_select", "selected_option": element.get("initial_option")}
        else:
            state = {"type": element["type"],
                     "selected_options": element.get("initial_options", [])}  # fmt: skip
        values[name] = {element["action_id"]: state}
    return values


def answered_reply(run: Running) -> tuple[str, str]:
    """A customer asked what the articles do not cover; Anna answered in the card's thread.
    Returns the card's ts and the ts of her reply."""
    run.slack.send_event(message_event(CUSTOMER, MISSING, DM))
    to_customer(run, "couldn't find")
    run.slack.send_event(message_event(CUSTOMER, "I want to talk to a person", DM))
    ts = card_ts(run)
    run.slack.send_action(block_action("claim_escalation", "1", AGENT_A, channel=AGENTS_CHANNEL,
                                       message_ts=ts))  # fmt: skip
    card_update(run, f"With <@{AGENT_A}>")
    reply_ts = new_ts()
    run.slack.send_event(message_event(AGENT_A, ANSWER, AGENTS_CHANNEL, channel_type="channel",
                                       thread_ts=ts, ts=reply_ts))  # fmt: skip
    to_customer(run, "tours run on Fridays")
    return ts, reply_ts


def open_modal(run: Running, ts: str, reply_ts: str) -> dict:
    message = {"type": "message", "user": AGENT_A, "ts": reply_ts, "thread_ts": ts,
               "text": ANSWER}  # fmt: skip
    run.slack.send_action(message_shortcut("save_as_article", AGENT_A, AGENTS_CHANNEL, message))
    return run.fake.wait_for("views.open")[-1].params["view"]


def submit(run: Running, view: dict, **changes: Any) -> dict:
    response = run.slack.send_action(view_submission(
        view["callback_id"], AGENT_A, values_of(view, **changes), view["private_metadata"],
    ))  # fmt: skip
    assert response.status == 200
    return response.json() if response.body else {}


def home_of_lead(run: Running, count: int) -> dict:
    published = run.fake.wait_for("views.publish", count,
                                  where=lambda c: c.params["user_id"] == LEAD)  # fmt: skip
    return published[-1].params["view"]


def button_value(view: dict, action_id: str) -> str:
    return next(e["value"] for b in view["blocks"] for e in b.get("elements", [])
                if e.get("action_id") == action_id)  # fmt: skip


def gaps_now(run: Running, name: str) -> str:
    """What `/lifecycle gaps` tells a lead now."""
    run.slack.send_command(slash_command("/lifecycle", "gaps 7d", LEAD,
                                         response_url=run.fake.response_url(name)))  # fmt: skip
    [answer] = run.fake.wait_for("response_url", where=lambda c: c.path.endswith("/" + name))
    return json.dumps(answer.params, ensure_ascii=False)


def ask_again(run: Running, user: str) -> dict:
    """A new customer asks the missing question; the app's answer."""
    run.slack.send_event(message_event(user, MISSING, "D" + user))
    call = run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "D" + user)
    return call[-1].params


@pytest.mark.own_kb
def test_an_agents_answer_becomes_the_article_the_next_customer_gets(running: Running) -> None:
    run = running
    ts, reply_ts = answered_reply(run)
    view = open_modal(run, ts, reply_ts)
    prefilled = values_of(view)
    assert MISSING in prefilled["questions"]["questions"]["value"]
    assert prefilled["answer"]["answer"]["value"] == ANSWER
    assert prefilled["locale"]["locale"]["selected_option"]["value"] == "en"

    # The validator's own words, on the field it is about; nothing is saved.
    refused = submit(run, view, id="Roastery Tours!")
    assert refused["response_action"] == "errors"
    assert "bad id 'Roastery Tours!'" in refused["errors"]["id"]
    assert submit(run, view, id="roastery-tours", title="Can I book a roastery tour?") == {}
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL
                      and "saved the draft article" in c.params.get("text", ""))  # fmt: skip

    # Before approval customers still get no answer; the lead sees the draft on the Home tab.
    assert ask_again(run, "UNEXT1")["text"].startswith("Sorry, I couldn't find")
    assert MISSING in gaps_now(run, "before")
    run.slack.send_event(app_home_opened_event(LEAD))
    home = home_of_lead(run, 1)
    assert "Can I book a roastery tour?" in json.dumps(home)
    run.slack.send_action(block_action("approve_draft", button_value(home, "approve_draft"), LEAD,
                                       container={"type": "view", "view_id": "V1"}))  # fmt: skip
    after = home_of_lead(run, 2)
    assert "is in the knowledge base now" in json.dumps(after)
    written = run.settings.kb_path / "approved" / "roastery-tours.en.yaml"
    assert "tours run on Fridays" in written.read_text(encoding="utf-8")

    got = ask_again(run, "UNEXT2")
    assert "tours run on Fridays" in got["text"] and "couldn't find" not in got["text"]
    assert run.services.knowledge.kb.get("roastery-tours", "en") is not None  # agents' /kb too
    after_gaps = gaps_now(run, "after")  # the gap the article closes is gone
    assert MISSING not in after_gaps and "roastery" not in after_gaps.lower()


@pytest.mark.own_kb
def test_a_rejected_draft_changes_nothing(running: Running) -> None:
    run = running
    ts, reply_ts = answered_reply(run)
    view = open_modal(run, ts, reply_ts)
    assert submit(run, view, id="roastery-tours") == {}
    run.slack.send_event(app_home_opened_event(LEAD))
    home = home_of_lead(run, 1)
    run.slack.send_action(block_action("reject_draft", button_value(home, "reject_draft"), LEAD,
                                       container={"type": "view", "view_id": "V1"}))  # fmt: skip
    after = home_of_lead(run, 2)
    assert "nothing was written" in json.dumps(after)
    assert "approve_draft" not in json.dumps(after)
    assert not (run.settings.kb_path / "approved").exists()
    assert ask_again(run, "UNEXT3")["text"].startswith("Sorry, I couldn't find")


@pytest.mark.own_kb
def test_only_leads_approve_and_only_staff_save(running: Running) -> None:
    run = running
    ts, reply_ts = answered_reply(run)
    view = open_modal(run, ts, reply_ts)
    assert submit(run, view, id="roastery-tours") == {}
    # A customer cannot use the shortcut on a card thread's message, an agent cannot approve.
    message = {"type": "message", "user": AGENT_A, "ts": reply_ts, "thread_ts": ts, "text": "x"}
    run.slack.send_action(message_shortcut("save_as_article", CUSTOMER, AGENTS_CHANNEL, message))
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert refusal.params["user"] == CUSTOMER
    run.slack.send_action(block_action("approve_draft", "1", AGENT_A,
                                       container={"type": "view", "view_id": "V1"}))  # fmt: skip
    agent_home = run.fake.wait_for("views.publish", where=lambda c: c.params["user_id"]
                                   == AGENT_A)[-1].params["view"]  # fmt: skip
    assert "approve_draft" not in json.dumps(agent_home)
    assert not (run.settings.kb_path / "approved").exists()
