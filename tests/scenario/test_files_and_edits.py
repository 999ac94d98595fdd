"""Nothing dropped between customer and agent (issue 14): files cross both ways, edits and
deletions of relayed messages follow to the other side with a visible mark. The real Bolt app
over signed HTTP; the strict fake Slack serves the downloads and checks the uploads."""

from __future__ import annotations

from tests.scenario.conftest import AGENT_A, AGENTS_CHANNEL, CUSTOMER, DM, Running
from tests.scenario.fake_slack import Call
from tests.scenario.slack_requests import (
    block_action,
    message_changed_event,
    message_deleted_event,
    message_event,
    new_ts,
)
from tests.scenario.test_agent_controls import card_ts, card_update, text_of, to_customer


def claimed(run: Running) -> str:
    """A customer asked for a person and Anna claimed it; the card's ts."""
    run.slack.send_event(message_event(CUSTOMER, "I want to talk to a person", DM))
    ts = card_ts(run)
    run.slack.send_action(block_action("claim_escalation", "1", AGENT_A, channel=AGENTS_CHANNEL,
                                       message_ts=ts))  # fmt: skip
    card_update(run, f"With <@{AGENT_A}>")
    to_customer(run, "joined")
    return ts


def with_files(envelope: dict, *files: dict) -> dict:
    envelope["event"]["subtype"] = "file_share"
    envelope["event"]["files"] = list(files)
    return envelope


def uploads_to(run: Running, channel: str, count: int = 1) -> list[Call]:
    return run.fake.wait_for("files.completeUploadExternal", count,
                             where=lambda c: c.params.get("channel_id") == channel)  # fmt: skip


def uploaded_bytes(run: Running, call: Call) -> bytes:
    [entry] = call.params["files"]
    return run.fake.files.content[entry["id"]]


def test_a_customers_screenshot_reaches_the_card_thread_and_the_agents_file_the_customer(
    running: Running,
) -> None:
    run = running
    ts = claimed(run)
    shot = run.fake.add_file(CUSTOMER, "error.png", b"\x89PNG the error the customer sees")
    run.slack.send_event(with_files(message_event(CUSTOMER, "", DM), shot))  # no caption
    [upload] = uploads_to(run, AGENTS_CHANNEL)
    assert upload.params["thread_ts"] == ts
    assert uploaded_bytes(run, upload) == b"\x89PNG the error the customer sees"
    assert f"<@{CUSTOMER}>" in upload.params.get("initial_comment", "")
    # The agents also read, in the thread, that a file came (it is a turn of the conversation).
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL
                      and "error.png" in c.params.get("text", ""))  # fmt: skip

    guide = run.fake.add_file(AGENT_A, "steps.pdf", b"%PDF how to fix it")
    run.slack.send_event(with_files(
        message_event(AGENT_A, "Here is a guide", AGENTS_CHANNEL, channel_type="channel",
                      thread_ts=ts), guide,
    ))  # fmt: skip
    [to_them] = uploads_to(run, DM)
    assert uploaded_bytes(run, to_them) == b"%PDF how to fix it"
    assert "Anna Agent" in to_them.params.get("initial_comment", "")
    to_customer(run, "Here is a guide")
    # A file alone (no words) goes as the file only: no "(shared ...)" line for the customer.
    alone = run.fake.add_file(AGENT_A, "label.png", b"PNG label")
    run.slack.send_event(with_files(
        message_event(AGENT_A, "", AGENTS_CHANNEL, channel_type="channel", thread_ts=ts), alone,
    ))  # fmt: skip
    uploads_to(run, DM, 2)
    assert not run.posts(DM, where=lambda c: "(shared" in c.params.get("text", ""))


def test_edits_and_deletions_follow_the_relayed_copy_with_a_mark(running: Running) -> None:
    run = running
    ts = claimed(run)
    said = new_ts()
    run.slack.send_event(message_event(CUSTOMER, "I use Firefox 120", DM, ts=said))
    copy = run.fake.wait_for("chat.postMessage", where=lambda c: "Firefox 120"
                             in c.params["text"] and c.params["channel"] == AGENTS_CHANNEL)[-1]
    run.fake.wait_for("chat.update", where=lambda c: "Firefox 120" in text_of(c))
    copy_ts = next(m["ts"] for m in run.fake.history[AGENTS_CHANNEL]
                   if "Firefox 120" in m.get("text", ""))  # fmt: skip
    assert copy.params["thread_ts"] == ts
    run.slack.send_event(message_changed_event(CUSTOMER, "I use Firefox 121", DM, said,
                                               previous="I use Firefox 120"))  # fmt: skip
    [edited] = run.fake.wait_for("chat.update", where=lambda c: c.params.get("ts") == copy_ts)
    assert "Firefox 121" in edited.params["text"] and "(edited)" in edited.params["text"]
    # Slack also says "changed" when it unfurls a link: the same words change nothing.
    run.slack.send_event(message_changed_event(CUSTOMER, "I use Firefox 121", DM, said))

    reply_ts = new_ts()
    run.slack.send_event(message_event(AGENT_A, "Please clear the cache & retry", AGENTS_CHANNEL,
                                       channel_type="channel", thread_ts=ts, ts=reply_ts))
    to_customer(run, "clear the cache")
    delivered_ts = next(m["ts"] for m in run.fake.history[DM]
                        if "clear the cache" in m.get("text", ""))  # fmt: skip
    run.slack.send_event(message_changed_event(
        AGENT_A, "Please clear the cache &lt;and&gt; cookies", AGENTS_CHANNEL, reply_ts,
        thread_ts=ts, channel_type="channel",
    ))  # fmt: skip
    [fixed] = run.fake.wait_for("chat.update", where=lambda c: c.params.get("ts") == delivered_ts)
    assert fixed.params["channel"] == DM
    assert fixed.params["text"] == "Please clear the cache &lt;and&gt; cookies\n_(edited)_"
    run.slack.send_event(message_deleted_event(AGENT_A, AGENTS_CHANNEL, reply_ts, thread_ts=ts,
                                               channel_type="channel"))  # fmt: skip
    [_, gone] = run.fake.wait_for("chat.update", 2,
                                  where=lambda c: c.params.get("ts") == delivered_ts)  # fmt: skip
    assert gone.params["text"] == "_This message was deleted._"
    run.slack.send_event(message_deleted_event(CUSTOMER, DM, said))
    [_, withdrawn] = run.fake.wait_for("chat.update", 2,
                                       where=lambda c: c.params.get("ts") == copy_ts)  # fmt: skip
    assert "deleted this message" in withdrawn.params["text"]
    assert "Firefox" not in withdrawn.params["text"]  # the words go with the message
    with run.services.store.unit_of_work() as uow:
        kept = [m.text for m in uow.repo.messages(1)]
    assert not any("Firefox" in text for text in kept)
