"""Buttons: customers rate answers, pick suggestions, ask for a person; agents claim,
resolve and send articles. Every button checks who pressed it, in the service."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext

from bot.service.errors import REFUSALS, NotFoundError
from bot.service.outcomes import Card, CustomerRef
from bot.service.phrasebook import say
from bot.service.vocabulary import Phrase
from bot.slack import views
from bot.slack.context import SlackContext, now
from bot.slack.ids import Action, matching, parse_reply_value, row_id
from bot.slack.listeners.messages import answer

log = logging.getLogger(__name__)
Listener = Callable[..., None]


def _where(body: dict) -> tuple[str, str | None]:
    """The channel and thread the pressed button sits in."""
    channel = (body.get("channel") or {}).get("id", "")
    container = body.get("container") or {}
    message = body.get("message") or {}
    return channel, container.get("thread_ts") or message.get("thread_ts")


def _customer(body: dict, context: BoltContext) -> CustomerRef:
    """The person who pressed, with their own workspace: in a Slack Connect channel an
    external customer's `user.team_id` is theirs, while `team` is the app's (as on messages,
    where the event's `user_team` is theirs)."""
    user = body["user"]
    team = user.get("team_id") or (body.get("team") or {}).get("id") or context.team_id or ""
    return CustomerRef(user["id"], team)


def register(app: App, ctx: SlackContext) -> None:
    def feedback(helpful: bool):  # noqa: ANN202 - a Bolt listener
        def listener(ack: Ack, body: dict, action: dict, context: BoltContext) -> None:
            ack()
            who = _customer(body, context)
            channel, _ = _where(body)
            message_id = row_id(str(action.get("value", "")))
            if message_id is None:
                log.warning("refused feedback with a malformed value from %s", who.user_id)
                return
            reply = ctx.desk.record_feedback(who, helpful, at=now(), message_id=message_id)
            if reply is None:
                log.warning("refused feedback on message %s from %s: not theirs or gone",
                            message_id, who.user_id)  # fmt: skip
                ctx.client.chat_postEphemeral(channel=channel, user=who.user_id,
                                              text=say(Phrase.NOTHING_TO_RATE, None))  # fmt: skip
                return
            # The conversation's own place, not the payload's: a button press cannot send the
            # app's reply to another channel.
            answer(ctx, reply, reply.channel or channel, reply.thread_ts or None, who.user_id)

        return listener

    app.action(matching(Action.HELPFUL))(feedback(True))
    app.action(matching(Action.NOT_HELPFUL))(feedback(False))

    @app.action(matching(Action.TALK_TO_HUMAN))
    @refusals_answered(ctx)
    def on_talk_to_human(ack: Ack, body: dict, action: dict, context: BoltContext) -> None:
        ack()
        who = _customer(body, context)
        channel, thread = _where(body)
        from_message, _ = parse_reply_value(str(action.get("value", "")))
        reply = ctx.desk.talk_to_human(who, at=now(), channel=channel, thread_ts=thread or "",
                                       from_message=from_message)  # fmt: skip
        answer(ctx, reply, reply.channel or channel, reply.thread_ts or None, who.user_id)

    @app.action(matching(Action.PICK_SUGGESTION))
    @refusals_answered(ctx)
    def on_pick(ack: Ack, body: dict, action: dict, context: BoltContext) -> None:
        ack()
        who = _customer(body, context)
        channel, thread = _where(body)
        from_message, article_id = parse_reply_value(str(action.get("value", "")))
        reply = ctx.desk.choose_suggestion(who, article_id, at=now(), channel=channel,
                                           thread_ts=thread or "",
                                           from_message=from_message)  # fmt: skip
        if reply is not None:
            answer(ctx, reply, reply.channel or channel, reply.thread_ts or None, who.user_id)

    @app.action(Action.CLAIM)
    @refusals_answered(ctx)
    def on_claim(ack: Ack, body: dict, action: dict) -> None:
        ack()
        actor = ctx.directory.actor(body["user"]["id"])
        result = ctx.handoff.claim(_escalation_id(action), actor, now())
        if not result.won:
            _refuse(ctx, body, views.claim_refusal(result))
            return
        claimed(ctx, result.card, actor.user_id)

    @app.action(Action.RESOLVE)
    @refusals_answered(ctx)
    def on_resolve(ack: Ack, body: dict, action: dict) -> None:
        ack()
        actor = ctx.directory.actor(body["user"]["id"])
        resolved(ctx, ctx.handoff.resolve(_escalation_id(action), actor, now()))

    @app.action(Action.UNCLAIM)
    @refusals_answered(ctx)
    def on_unclaim(ack: Ack, body: dict, action: dict) -> None:
        ack()
        actor = ctx.directory.actor(body["user"]["id"])
        ctx.refresh_card(ctx.handoff.unclaim(_escalation_id(action), actor, now()))

    @app.action(Action.REASSIGN)
    @refusals_answered(ctx)
    def on_reassign(ack: Ack, body: dict, action: dict) -> None:
        ack()
        actor = ctx.directory.actor(body["user"]["id"])
        # The select carries no value of its own: the escalation is in its block's id.
        _, _, escalation = str(action.get("block_id", "")).partition(":")
        chosen = str(action.get("selected_user") or "")
        if not chosen:
            return
        card = ctx.handoff.reassign(_escalation_id({"value": escalation}), actor,
                                    ctx.directory.actor(chosen), now())  # fmt: skip
        ctx.refresh_card(card)
        joined = say(Phrase.AGENT_JOINED, card.language).format(agent=f"<@{chosen}>")
        ctx.send(_to_customer(card, joined), key=f"joined:{card.escalation_id}:{chosen}",
                 user_id=card.customer_user)  # fmt: skip

    def satisfaction(satisfied: bool):  # noqa: ANN202 - a Bolt listener
        @refusals_answered(ctx)
        def listener(ack: Ack, body: dict, action: dict, context: BoltContext) -> None:
            ack()
            who = _customer(body, context)
            escalation_id = _escalation_id(action)
            recorded = ctx.handoff.rate(who, escalation_id, satisfied, now())
            card = ctx.handoff.card(escalation_id)
            if recorded:
                # The question becomes the thanks: no second tap on a stale question.
                message = body.get("message") or {}
                ts = message.get("ts") or (body.get("container") or {}).get("message_ts")
                thanks = say(Phrase.CSAT_THANKS, card.language)
                if ts:
                    ctx.send({"channel": card.customer_channel, "ts": ts, "text": thanks,
                              "blocks": views.plain(thanks)[1]},
                             key=f"csat-thanks:{escalation_id}", method="chat.update",
                             user_id=who.user_id)  # fmt: skip

        return listener

    app.action(Action.SATISFIED)(satisfaction(True))
    app.action(Action.UNSATISFIED)(satisfaction(False))

    @app.action(matching(Action.SEND_ARTICLE))
    @refusals_answered(ctx)
    def on_send_article(ack: Ack, body: dict, action: dict) -> None:
        ack()
        actor = ctx.directory.actor(body["user"]["id"])
        relay = ctx.handoff.send_article(actor, action.get("value", ""), now())
        ctx.deliver(relay)


def claimed(ctx: SlackContext, card: Card, agent: str) -> None:
    """After a won claim (button or reaction): the card says who, the customer hears it."""
    ctx.refresh_card(card)
    joined = say(Phrase.AGENT_JOINED, card.language).format(agent=f"<@{agent}>")
    ctx.send(_to_customer(card, joined), key=f"joined:{card.escalation_id}:{agent}",
             user_id=card.customer_user)  # fmt: skip


def resolved(ctx: SlackContext, card: Card) -> None:
    """After Resolve (button or reaction): the card says so, the customer hears they are back
    with the app, and is asked, with one tap, whether it was solved."""
    ctx.refresh_card(card)
    ctx.send(_to_customer(card, say(Phrase.HANDED_BACK, card.language)),
             key=f"handed-back:{card.escalation_id}", user_id=card.customer_user)  # fmt: skip
    text, blocks = views.satisfaction_question(card.escalation_id, card.language)
    ctx.send({**_to_customer(card, text), "blocks": blocks},
             key=f"csat:{card.escalation_id}", user_id=card.customer_user)  # fmt: skip


def refusals_answered(ctx: SlackContext) -> Callable[[Listener], Listener]:
    """A refused press (not staff, not the holder, a gone escalation) is a normal outcome:
    Slack got its 200 from `ack()`, the person gets an ephemeral reason, nothing is raised."""

    def decorate(listener: Listener) -> Listener:
        # Bolt reads the arguments to inject from the unwrapped listener, so pass on
        # whatever it asked for.
        @functools.wraps(listener)
        def answered(**injected: object) -> None:
            body = injected["body"]
            action = injected.get("action") or {}
            assert isinstance(body, dict) and isinstance(action, dict)
            try:
                listener(**injected)
            except REFUSALS as refused:
                log.warning("refused %s for %s: %s", action.get("action_id"),
                            (body.get("user") or {}).get("id"), refused)  # fmt: skip
                _refuse(ctx, body, str(refused))

        return answered

    return decorate


def _escalation_id(action: dict) -> int:
    escalation_id = row_id(str(action.get("value", "")))
    if escalation_id is None:
        raise NotFoundError("That button no longer points to an escalation.")
    return escalation_id


def _refuse(ctx: SlackContext, body: dict, text: str) -> None:
    channel, _ = _where(body)
    ctx.tell(channel, (body.get("user") or {}).get("id") or "", text)


def _to_customer(card: Card, text: str) -> dict:
    params = {"channel": card.customer_channel, "text": text}
    if card.customer_thread:
        params["thread_ts"] = card.customer_thread
    return params
