"""The message shortcut *Escalate to support*: anyone on staff (or the customer who wrote it)
calls a person into the conversation of a message in a customer channel."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext

from bot.service.errors import REFUSALS
from bot.service.outcomes import CustomerRef
from bot.slack.context import SlackContext, now
from bot.slack.ids import Shortcut
from bot.slack.listeners.messages import answer, is_staff
from bot.slack.text import plain

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    @app.shortcut(Shortcut.ESCALATE)
    def on_escalate(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        escalate_message(ctx, body, context.team_id or "", context.bot_user_id)


def escalate_message(
    ctx: SlackContext, body: dict, home_team: str, bot_user_id: str | None
) -> None:
    channel = (body.get("channel") or {}).get("id", "")
    presser = (body.get("user") or {}).get("id", "")
    message = body.get("message") or {}
    if not presser:
        return
    if channel not in ctx.settings.support_customer_channels:
        ctx.tell(channel, presser, "*Escalate to support* works on messages in customer "
                                     "channels.")  # fmt: skip
        return
    author = message.get("user") or ""
    ts = str(message.get("ts") or body.get("message_ts") or "")
    thread = str(message.get("thread_ts") or ts)
    # A customer's message makes them the customer; staff's or the app's point at the thread.
    event = {"user_team": message.get("user_team") or message.get("team") or ""}
    by_customer = (
        bool(author) and not message.get("bot_id") and author != bot_user_id
        and not is_staff(ctx, author, event, home_team, shared=ctx.is_shared(channel))
    )  # fmt: skip
    customer = CustomerRef(author, event["user_team"] or home_team) if by_customer else None
    actor = ctx.directory.actor(presser)
    who = "a support agent" if actor.is_staff else "the customer"
    name = ctx.display_name(presser) or presser
    try:
        reply = ctx.desk.escalate_by_hand(
            actor, at=now(), channel=channel, thread_ts=thread, customer=customer, slack_ts=ts,
            text=plain(message.get("text") or "", bot_user_id=bot_user_id,
                       name_of=ctx.display_name),
            reason=f"{who} ({name}) escalated a message by hand",
        )  # fmt: skip
    except REFUSALS as refused:
        log.warning("refused Escalate to support by %s: %s", presser, refused)
        ctx.tell(channel, presser, str(refused))
        return
    answer(ctx, reply, channel, thread, customer.user_id if customer else presser)
