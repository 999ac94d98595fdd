"""*Save as article*: an agent's reply in an escalation thread (message shortcut) or a resolved
card (button) opens a prefilled modal; the submitted draft waits for a lead, who approves or
rejects it on the App Home. Rules and validation live in bot/service/drafts.py."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.service.errors import REFUSALS, InvalidDraftError, NotFoundError
from bot.slack.context import SlackContext, now
from bot.slack.drafts_view import FIELDS, draft_modal, submitted_form
from bot.slack.ids import Action, Shortcut, View, row_id
from bot.slack.listeners.actions import refusals_answered
from bot.slack.listeners.home import publish_home
from bot.slack.text import escape

log = logging.getLogger(__name__)
ERROR_LIMIT = 150  # characters of one field's error in a modal


def register(app: App, ctx: SlackContext) -> None:
    register_review(app, ctx)

    @app.shortcut(Shortcut.SAVE_ARTICLE)
    def on_save_shortcut(ack: Ack, body: dict) -> None:
        ack()
        channel = (body.get("channel") or {}).get("id", "")
        user = (body.get("user") or {}).get("id", "")
        message = body.get("message") or {}
        ts = str(message.get("ts") or "")
        card = str(message.get("thread_ts") or ts)
        escalation_id = (ctx.handoff.escalation_at_card(channel, card)
                         if channel in ctx.settings.triage_channels else None)  # fmt: skip
        if escalation_id is None:
            ctx.tell(channel, user, "*Save as article* works on an agent's reply in an "
                                      "escalation's thread.")  # fmt: skip
            return
        _open(ctx, body, escalation_id, ts if ts != card else None, channel, user)

    @app.action(Action.SAVE_ARTICLE)
    @refusals_answered(ctx)
    def on_save_button(ack: Ack, body: dict, action: dict) -> None:
        ack()
        escalation_id = row_id(str(action.get("value", "")))
        channel = (body.get("channel") or {}).get("id", "")
        if escalation_id is not None:
            _open(ctx, body, escalation_id, None, channel, body["user"]["id"])

    @app.view(View.ARTICLE_DRAFT)
    def on_draft(ack: Ack, body: dict, view: dict) -> None:
        actor = ctx.directory.actor(body["user"]["id"])
        form = submitted_form(view)
        try:
            draft = ctx.services.drafts.submit(actor, form, now())
        except InvalidDraftError as refused:
            errors: dict[str, str] = {}
            for field, message in refused.problems:
                block = field if field in FIELDS else "answer"
                errors.setdefault(block, _short(message))
            ack(response_action="errors", errors=errors)
            return
        except REFUSALS as refused:
            ack(response_action="errors", errors={"title": _short(str(refused))})
            return
        ack()
        if form.escalation_id is not None:
            ctx.to_card_thread(form.escalation_id,
                               f":memo: <@{actor.user_id}> saved the draft article "
                               f"“{draft.title}” for the leads to review.",
                               key=f"draft-saved:{draft.id}", user_id="")  # fmt: skip


def register_review(app: App, ctx: SlackContext) -> None:
    """Approve and Reject on the leads' Home tab."""

    def decide(approve: bool):  # noqa: ANN202 - a Bolt listener
        def listener(ack: Ack, body: dict, action: dict) -> None:
            ack()
            user = body["user"]["id"]
            actor = ctx.directory.actor(user)
            draft_id = row_id(str(action.get("value", "")))
            drafts = ctx.services.drafts
            try:
                if draft_id is None:
                    raise NotFoundError("That button no longer points to a draft.")
                if approve:
                    draft = drafts.approve(actor, draft_id, now())
                    notice = (f":white_check_mark: “{escape(draft.title)}” is in the knowledge "
                              f"base now (`{escape(draft.path or '')}`), for customers and agents.")
                else:
                    draft = drafts.reject(actor, draft_id, now())
                    notice = f"Rejected “{escape(draft.title)}”: nothing was written."
            except REFUSALS as refused:
                log.warning("refused %s of draft %s by %s: %s",
                            "approval" if approve else "rejection", draft_id, user, refused)
                notice = f":warning: {escape(str(refused))}"
            publish_home(ctx, user, notice)

        return listener

    app.action(Action.APPROVE_DRAFT)(decide(True))
    app.action(Action.REJECT_DRAFT)(decide(False))


def _open(ctx: SlackContext, body: dict, escalation_id: int, answer_ts: str | None,
          channel: str, user: str) -> None:  # fmt: skip
    actor = ctx.directory.actor(user)
    try:
        form = ctx.services.drafts.prefill(actor, escalation_id, answer_ts)
    except REFUSALS as refused:
        ctx.tell(channel, user, str(refused))
        return
    view = draft_modal(form, ctx.services.model, {"channel": channel})
    ctx.client.views_open(trigger_id=body["trigger_id"], view=view)


def _short(message: str) -> str:
    return message if len(message) <= ERROR_LIMIT else message[: ERROR_LIMIT - 1] + "…"
