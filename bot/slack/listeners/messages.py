"""Message events: customers asking, agents replying in escalation threads.

Each event passes the inbox first (recorded before Slack hears back; a retry or a second
delivery of the same message stops there), then `process_event` does the work and marks it done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltResponse

from bot.service.outcomes import CustomerRef, Reply
from bot.service.phrasebook import say
from bot.service.redaction import clean_incoming
from bot.service.vocabulary import CardLink, Decision, Phrase
from bot.slack import views
from bot.slack.context import SlackContext, now
from bot.slack.files import COPY_FILE, SharedFile, copy_params, describe, shared_files
from bot.slack.gateway import UPDATE_COPY
from bot.slack.text import escape, plain

log = logging.getLogger(__name__)
# Joins and bot posts are not questions; files are (with or without a caption). Edits and
# deletions are relayed where a person reads the copy.
ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")
EDIT_SUBTYPES = ("message_changed", "message_deleted")
RECORDED = ("message", "app_mention")


def register(app: App, ctx: SlackContext) -> None:
    @app.use
    def record_in_inbox(body: dict, context: BoltContext, next: Callable[[], None]) -> object:  # noqa: A002 - Bolt's name
        event = body.get("event") or {}
        if body.get("type") != "event_callback" or event.get("type") not in RECORDED:
            return next()
        row = ctx.inbox.record(body)
        if row is None:
            log.info("event %s already received; acknowledged, not processed again",
                     body.get("event_id"))  # fmt: skip
            return BoltResponse(status=200, body="")
        context["inbox_row"] = row
        return next()

    def on_event(body: dict, context: BoltContext) -> None:
        row = context.get("inbox_row")
        if row is not None and not ctx.inbox.start(row):
            # Queued here so long that its lease ran out and another worker (or this one's
            # timers) took it over: doing it too would answer the customer twice.
            log.warning("event %s is being processed elsewhere; skipped here", row)
            return
        process_event(ctx, body.get("event") or {}, body.get("team_id") or context.team_id or "",
                      row, context.bot_user_id,
                      shared=bool(body.get("is_ext_shared_channel")))  # fmt: skip

    app.event("message")(on_event)
    app.event("app_mention")(on_event)


def process_event(
    ctx: SlackContext,
    event: dict,
    team: str,
    row: int | None,
    bot_user_id: str | None = None,
    *,
    shared: bool = False,
) -> None:
    """Handle one recorded event and mark it done; a failure leaves it for a retry.
    `team` is the app's own workspace; `shared` says the channel is a Slack Connect one."""
    try:
        handle_message_event(ctx, event, team, bot_user_id, shared=shared)
    except Exception as exc:
        if row is not None:
            ctx.inbox.failed(row, repr(exc))
        raise
    if row is not None:
        ctx.inbox.done(row)


def handle_message_event(
    ctx: SlackContext, event: dict, team: str, bot_user_id: str | None, *, shared: bool = False
) -> None:
    subtype = event.get("subtype")
    where = event.get("channel", "")
    settings = ctx.settings
    direct = event.get("channel_type") == "im" or where.startswith("D")
    served = (*settings.triage_channels, *settings.support_customer_channels)
    if not direct and where not in served:
        return  # a channel the app was invited to but does not serve
    if subtype in EDIT_SUBTYPES:
        relay_edit(ctx, event, bot_user_id)
        return
    if subtype not in ANSWERED_SUBTYPES or event.get("bot_id"):
        return
    user = event.get("user")
    # Slack delivers text escaped and marked up; kept and searched as the sender typed it
    # (mentions readable and pinging nobody, the app's own mention left out), and escaped
    # once wherever it is shown.
    text = plain(event.get("text") or "", bot_user_id=bot_user_id, name_of=ctx.display_name)
    files = shared_files(event)
    if not user or user == bot_user_id or not (text.strip() or files):
        return
    # A file without a caption is still a turn of the conversation, named by its file.
    said = text if text.strip() else describe(files)
    channel, ts = event["channel"], event["ts"]
    thread = event.get("thread_ts")
    if channel in settings.triage_channels:
        if thread and thread != ts:
            relay = ctx.handoff.agent_message(channel, thread, user, said, now(), slack_ts=ts)
            if relay is not None:
                card = ctx.handoff.card(relay.escalation_id or 0)
                if text.strip():
                    ctx.deliver(relay)
                copy_files(ctx, files, relay.channel, relay.thread_ts or None,
                           f"From {ctx.display_name(user) or 'our team'}:",
                           key=f"file-to-customer:{relay.message_id}",
                           customer=card.customer_user)  # fmt: skip
                ctx.refresh_card(card)  # answered: not waiting
        return
    if direct:
        key, reply_thread = thread or "", thread
    elif channel in ctx.settings.support_customer_channels:
        if is_staff(ctx, user, event, team, shared):
            # "Checking this for you now" is not a question for the app; an agent answering
            # in the customer's thread takes the conversation over, as Claim does.
            if thread and thread != ts:
                took = ctx.handoff.staff_reply(channel, thread, ctx.directory.actor(user),
                                               said, now())  # fmt: skip
                if took is not None:
                    card, new = took
                    if new:
                        ctx.post_card(card.escalation_id)
                    else:
                        ctx.refresh_card(card)
            return
        key = reply_thread = thread or ts  # one conversation per thread
    else:
        return
    reply = ctx.desk.handle_message(
        CustomerRef(user, event.get("user_team") or event.get("team") or team), said, at=now(),
        channel=channel,
        thread_ts=key, slack_ts=ts,
    )  # fmt: skip
    answer(ctx, reply, channel, reply_thread, user, said, files)


def relay_edit(ctx: SlackContext, event: dict, bot_user_id: str | None) -> None:
    """An edit or deletion of a message that was relayed: its copy follows, marked."""
    channel = event.get("channel", "")
    if event.get("subtype") == "message_changed":
        source = event.get("message") or {}
        ts = str(source.get("ts", ""))
        text: str | None = plain(source.get("text") or "", bot_user_id=bot_user_id,
                                 name_of=ctx.display_name)  # fmt: skip
    else:
        source = event.get("previous_message") or {}
        ts, text = str(event.get("deleted_ts") or source.get("ts", "")), None
    if source.get("bot_id") or not source.get("user") or source.get("user") == bot_user_id:
        return  # the app's own cards and replies change too
    thread = source.get("thread_ts")
    if channel in ctx.settings.triage_channels:
        if not thread or thread == ts:
            return
        edit = ctx.handoff.agent_edited(channel, thread, ts, text)
    else:
        edit = ctx.handoff.customer_edited(channel, ts, text)
    if edit is None:
        return
    if edit.to_customer:
        shown = (f"{escape(edit.text)}\n_{say(Phrase.EDITED, edit.language)}_"
                 if edit.text is not None
                 else f"_{say(Phrase.DELETED, edit.language)}_")  # fmt: skip
    else:
        shown = (views.customer_message_for_agents(edit.author, edit.text) + " _(edited)_"
                 if edit.text is not None
                 else f"*<@{edit.author}>:* _(deleted this message)_")  # fmt: skip
    key = f"edit:{edit.copy_key or edit.escalation_id}:{event.get('event_ts') or event.get('ts')}"
    if edit.copy_key is not None:
        # The copy may still be on its way (rate limits, retries): the update waits for it.
        ctx.send({"channel": edit.copy_channel or channel, "copy_of": edit.copy_key,
                  "text": shown}, key=key,
                 method=UPDATE_COPY, user_id=edit.customer_user)  # fmt: skip
    elif not edit.to_customer:
        # Written before a person was called in (the card quotes it): said in the thread.
        notice = (f"*<@{edit.author}>* edited an earlier message: {escape(edit.text)}"
                  if edit.text is not None
                  else f"*<@{edit.author}>* deleted an earlier message.")  # fmt: skip
        ctx.to_card_thread(edit.escalation_id, notice, key=key, user_id=edit.customer_user)


def copy_files(
    ctx: SlackContext,
    files: list[SharedFile],
    channel: str,
    thread_ts: str | None,
    comment: str,
    *,
    key: str,
    customer: str,
    escalation_id: int | None = None,
) -> None:
    """Queue copies of `files` into `channel` (or, given `escalation_id`, the card's thread)."""
    for number, file in enumerate(files):
        ctx.send(copy_params(file, channel, thread_ts, comment), key=f"{key}:{number}",
                 method=COPY_FILE, user_id=customer, escalation_id=escalation_id,
                 card_link=CardLink.THREAD if escalation_id is not None else None)  # fmt: skip


def is_staff(ctx: SlackContext, user: str, event: dict, home_team: str, shared: bool) -> bool:
    """Staff are the configured agents and leads and, in a Slack Connect channel, anyone from
    the app's own workspace; customers are everyone else."""
    actor = ctx.directory.actor(user)
    if actor.is_agent or actor.is_lead:
        return True
    user_team = event.get("user_team") or event.get("team") or ""
    return shared and bool(home_team) and user_team == home_team


def answer(
    ctx: SlackContext,
    reply: Reply,
    channel: str,
    thread: str | None,
    user: str,
    said: str = "",
    files: list[SharedFile] | None = None,
) -> None:
    """Show the desk's reply to the customer, and bring in the agents when it escalated
    (with the files the customer shared, if any)."""
    files = files or []
    if reply.decision == Decision.RELAYED:
        escalation = ctx.handoff.open_escalation_id(reply.conversation_id)
        if escalation is not None and said:
            said = clean_incoming(said)  # as the desk stored it: no card number for the agents
            ctx.to_card_thread(escalation, views.customer_message_for_agents(user, said),
                               key=f"to-agents:{reply.message_id}", user_id=user)  # fmt: skip
            _files_to_card(ctx, files, escalation, user, reply)
            ctx.refresh_card(ctx.handoff.card(escalation))  # waiting again, since now
        return
    text, blocks = views.customer_reply(reply)
    params: dict = {"channel": channel, "text": text, "blocks": blocks}
    if thread:
        params["thread_ts"] = thread
    ctx.send(params, key=reply_key(reply), user_id=user)
    if reply.escalation is not None and reply.escalation.new:
        ctx.post_card(reply.escalation.id)
        _files_to_card(ctx, files, reply.escalation.id, user, reply)


def _files_to_card(
    ctx: SlackContext, files: list[SharedFile], escalation: int, user: str, reply: Reply
) -> None:
    """The customer's files, copied under the card (queued after the card, so they wait
    for it), where the agents' channel can see them."""
    copy_files(ctx, files, ctx.settings.support_agent_channel, None, f"*<@{user}>* shared:",
               key=f"file-to-agents:{reply.message_id}", customer=user,
               escalation_id=escalation)  # fmt: skip


def reply_key(reply: Reply) -> str:
    """The outbox key of a reply: one per stored reply, or per rated answer and verdict for a
    feedback outcome (which stores no reply of its own), so no two customers share one."""
    if reply.message_id is not None:
        return f"reply:{reply.message_id}"
    return f"feedback:{reply.rated_message_id}:{reply.decision}"
