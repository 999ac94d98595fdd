"""Timers in the running app: idle buyers, abandoned conversations, unclaimed cards."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from bot.slack.context import SlackContext, now
from bot.slack.listeners.messages import process_event

log = logging.getLogger(__name__)


def sweep(ctx: SlackContext) -> None:
    """One pass: finish stranded events, escalate buyers left waiting, remind about cards
    nobody claimed."""
    for row, payload, attempt in ctx.inbox.claim_stranded():
        # Processed one after the other, the last of a batch may wait past its lease and be
        # claimed again elsewhere: whoever claimed it last does it.
        if not ctx.inbox.start(row, attempt):
            log.warning("stranded event %s was claimed again elsewhere; skipped here", row)
            continue
        try:
            process_event(ctx, payload.get("event") or {}, payload.get("team_id") or "", row,
                          shared=bool(payload.get("is_ext_shared_channel")))  # fmt: skip
        except Exception:  # noqa: BLE001 - one bad event must not block the others
            log.exception("stranded event %s failed again", row)
    for event in ctx.desk.run_timers(now()):
        params = {"channel": event.channel, "text": event.text}
        if event.thread_ts:
            params["thread_ts"] = event.thread_ts
        ctx.send(params, key=f"timer:{event.escalation.id}")
        ctx.post_card(event.escalation.id)
    after = timedelta(minutes=ctx.settings.escalation_reminder_minutes)
    for card in ctx.handoff.due_reminders(now(), after):
        minutes = (now() - card.created_at).total_seconds() / 60
        text = (
            f"{ctx.directory.mention_staff()} still unclaimed after {minutes:.0f} minutes: "
            f"<@{card.customer_user}> ({card.stage_name}) is waiting."
        )
        ctx.to_card_thread(card.escalation_id, text,
                           key=f"reminder:{card.escalation_id}:{int(minutes)}",
                           user_id=card.customer_user)  # fmt: skip


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
