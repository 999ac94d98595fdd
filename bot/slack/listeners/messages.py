"""Message events: customers asking, agents replying in escalation threads."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext

from bot.desk import RELAYED, CustomerRef
from bot.outcomes import Reply
from bot.slack import views
from bot.slack.context import SlackContext, now

log = logging.getLogger(__name__)
# Edits, deletions, joins and bot posts are not questions; files with a caption are.
ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")


def register(app: App, ctx: SlackContext) -> None:
    @app.event("message")
    def on_message(event: dict, context: BoltContext) -> None:
        if event.get("subtype") not in ANSWERED_SUBTYPES or event.get("bot_id"):
            return
        user, text = event.get("user"), event.get("text") or ""
        if not user or user == context.bot_user_id or not text.strip():
            return
        channel, ts = event["channel"], event["ts"]
        thread = event.get("thread_ts")
        if channel == ctx.settings.support_agent_channel:
            if thread and thread != ts:
                relay = ctx.desk.handoff.agent_message(channel, thread, user, text, now())
                if relay is not None:
                    ctx.deliver(relay)
            return
        if event.get("channel_type") == "im":
            key, reply_thread = thread or "", thread
        elif channel in ctx.settings.support_customer_channels:
            key = reply_thread = thread or ts  # one conversation per thread
        else:
            return
        team = event.get("team") or context.team_id or ""
        reply = ctx.desk.handle_message(
            CustomerRef(user, team), text, at=now(), channel=channel, thread_ts=key, slack_ts=ts
        )
        answer(ctx, reply, channel, reply_thread, user, text)


def answer(
    ctx: SlackContext,
    reply: Reply,
    channel: str,
    thread: str | None,
    user: str,
    said: str = "",
) -> None:
    """Show the desk's reply to the customer, and bring in the agents when it escalated."""
    if reply.decision == RELAYED:
        where = ctx.desk.handoff.card_thread(reply.conversation_id)
        if where is not None and said:
            ctx.client.chat_postMessage(
                channel=where[0],
                thread_ts=where[1],
                text=views.customer_message_for_agents(user, said),
            )
        return
    text, blocks = views.customer_reply(reply)
    ctx.client.chat_postMessage(channel=channel, thread_ts=thread, text=text, blocks=blocks)
    if reply.escalation is not None and reply.escalation.new:
        ctx.post_card(reply.escalation.id)
