"""Timers in the running app: idle buyers, abandoned conversations, unclaimed cards."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from bot.slack.context import SlackContext, now

log = logging.getLogger(__name__)


def sweep(ctx: SlackContext) -> None:
    """One pass: escalate buyers left waiting, and raise cards nobody claimed again."""
    for event in ctx.desk.run_timers(now()):
        ctx.client.chat_postMessage(
            channel=event.channel, thread_ts=event.thread_ts or None, text=event.text
        )
        ctx.post_card(event.escalation.id)
    after = timedelta(minutes=ctx.settings.escalation_reminder_minutes)
    for card in ctx.desk.handoff.due_reminders(now(), after):
        if not card.agent_channel or not card.agent_thread_ts:
            continue
        minutes = (now() - card.created_at).total_seconds() / 60
        ctx.client.chat_postMessage(
            channel=card.agent_channel,
            thread_ts=card.agent_thread_ts,
            reply_broadcast=True,
            text=f"{ctx.directory.mention_staff()} still unclaimed after {minutes:.0f} minutes: "
            f"<@{card.customer_user}> ({card.stage_name}) is waiting.",
        )
        ctx.refresh_card(card)


class Sweeper(threading.Thread):
    """Runs `sweep` every `interval` seconds until stopped."""

    def __init__(self, ctx: SlackContext, interval: float) -> None:
        super().__init__(name="supportbot-sweeper", daemon=True)
        self.ctx, self.interval = ctx, interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                sweep(self.ctx)
            except Exception:  # noqa: BLE001 - a failed pass must not stop the timers
                log.exception("timer pass failed; will try again")

    def stop(self) -> None:
        self._stop_event.set()
