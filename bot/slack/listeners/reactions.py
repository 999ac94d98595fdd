"""Reactions on an escalation card: :eyes: claims it, :white_check_mark: resolves it, as the
card's buttons do (and under the same rules, in the service)."""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.service.errors import REFUSALS
from bot.service.vocabulary import EscalationStatus
from bot.slack import views
from bot.slack.context import SlackContext, now
from bot.slack.ids import CLAIM_REACTION, RESOLVE_REACTION
from bot.slack.listeners.actions import claimed, resolved

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    @app.event("reaction_added")
    def on_reaction(event: dict) -> None:
        handle_reaction(ctx, event)

    @app.event("reaction_removed")
    def on_reaction_removed() -> None:
        """Taking the reaction back undoes nothing: Unclaim is a button on the card."""


def handle_reaction(ctx: SlackContext, event: dict) -> None:
    item = event.get("item") or {}
    # "eyes::skin-tone-2" is still :eyes:
    reaction = str(event.get("reaction", "")).split("::")[0]
    channel, ts, user = str(item.get("channel", "")), str(item.get("ts", "")), event.get("user")
    if (
        reaction not in (CLAIM_REACTION, RESOLVE_REACTION)
        or item.get("type") != "message"
        or channel not in ctx.settings.triage_channels
        or not user
    ):
        return
    escalation_id = ctx.handoff.escalation_at_card(channel, ts)
    if escalation_id is None:
        return  # a reaction on some other message in the channel
    actor = ctx.directory.actor(user)
    try:
        if reaction == CLAIM_REACTION:
            result = ctx.handoff.claim(escalation_id, actor, now())
            if result.won:
                claimed(ctx, result.card, actor.user_id)
            elif result.holder != actor.user_id:  # their own second :eyes: needs no answer
                ctx.tell(channel, user, views.claim_refusal(result))
        else:
            if ctx.handoff.card(escalation_id).status == EscalationStatus.RESOLVED:
                return
            resolved(ctx, ctx.handoff.resolve(escalation_id, actor, now()))
    except REFUSALS as refused:
        log.warning("refused :%s: on escalation %s by %s: %s", reaction, escalation_id, user,
                    refused)  # fmt: skip
        ctx.tell(channel, user, str(refused))
