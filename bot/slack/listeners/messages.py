"""Message events: customers asking, agents replying in escalation threads.

Each event passes the inbox first (recorded before Slack hears back; a retry or a second
delivery of the same message stops there), then `process_event` does the work and marks it done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltResponse

from bot.service.outcomes import CustomerRef, Reply
from bot.service.redaction import clean_incoming
from bot.service.vocabulary import Decision
from bot.slack import views
from bot.slack.context import SlackContext, now
from bot.slack.text import plain

log = logging.getLogger(__name__)
# Edits, deletions, joins and bot posts are not questions; files with a caption are.
ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")
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
    if event.get("subtype") not in ANSWERED_SUBTYPES or event.get("bot_id"):
        return
    user = event.get("user")
    settings = ctx.settings
    where = event.get("channel", "")
    direct = event.get("channel_type") == "im" or where.startswith("D")
    served = (settings.support_agent_channel, *settings.support_customer_channels)
    if not direct and where not in served:
        return  # a channel the app was invited to but does not serve
    # Slack delivers text escaped and marked up; kept and searched as the sender typed it
    # (mentions readable and pinging nobody, the app's own mention left out), and escaped
    # once wherever it is shown.
    text = plain(event.get("text") or "", bot_user_id=bot_user_id, name_of=ctx.display_name)
    if not user or user == bot_user_id or not text.strip():
        return
    channel, ts = event["channel"], event["ts"]
    thread = event.get("thread_ts")
    if channel == ctx.settings.support_agent_channel:
        if thread and thread != ts:
            relay = ctx.handoff.agent_message(channel, thread, user, text, now())
            if relay is not None:
                ctx.deliver(relay)
        return
    if event.get("channel_type") == "im" or channel.startswith("D"):
        key, reply_thread = thread or "", thread
    elif channel in ctx.settings.support_customer_channels:
        if is_staff(ctx, user, event, team, shared):
            # "Checking this for you now" is not a question for the app; an agent answering
            # in the customer's thread takes the conversation over, as Claim does.
            if thread and thread != ts:
                took = ctx.handoff.staff_reply(channel, thread, ctx.directory.actor(user),
                                               text, now())  # fmt: skip
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
        CustomerRef(user, event.get("user_team") or event.get("team") or team), text, at=now(),
        channel=channel,
        thread_ts=key, slack_ts=ts,
    )  # fmt: skip
    answer(ctx, reply, channel, reply_thread, user, text)


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
) -> None:
    """Show the desk's reply to the customer, and bring in the agents when it escalated."""
    if reply.decision == Decision.RELAYED:
        escalation = ctx.handoff.open_escalation_id(reply.conversation_id)
        if escalation is not None and said:
            said = clean_incoming(said)  # as the desk stored it: no card number for the agents
            ctx.to_card_thread(escalation, views.customer_message_for_agents(user, said),
                               key=f"to-agents:{reply.message_id}", user_id=user)  # fmt: skip
        return
    text, blocks = views.customer_reply(reply)
    params: dict = {"channel": channel, "text": text, "blocks": blocks}
    if thread:
        params["thread_ts"] = thread
    ctx.send(params, key=reply_key(reply), user_id=user)
    if reply.escalation is not None and reply.escalation.new:
        ctx.post_card(reply.escalation.id)


def reply_key(reply: Reply) -> str:
    """The outbox key of a reply: one per stored reply, or per rated answer and verdict for a
    feedback outcome (which stores no reply of its own), so no two customers share one."""
    if reply.message_id is not None:
        return f"reply:{reply.message_id}"
    return f"feedback:{reply.rated_message_id}:{reply.decision}"
