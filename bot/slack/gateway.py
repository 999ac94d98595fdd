"""The gateway: sends the outbox to Slack, oldest first within a channel, paced, retried.

Rows are claimed with a lease (bot/store/leases.py), so several workers share one outbox and
each row is sent by one of them. When to retry is bot/slack/retry.py's call; pacing is
bot/slack/pacing.py's. A row is marked sent only when Slack said ok.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.service.vocabulary import CardLink, OutboxStatus
from bot.slack import retry
from bot.slack.files import COPY_FILE, FileCopier
from bot.slack.pacing import Pacer
from bot.store.rows import OutboxMessage
from bot.store.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # well above one call's 15 s timeout
METADATA_EVENT = "supportbot_outbox"
CONCURRENCY = 8  # calls in flight per process: Slack answers in ~100 ms, so send side by side
CARD_WAIT = timedelta(seconds=1)
# Not a Slack method: chat.update of the message another row posted (params["copy_of"] is that
# row's key), sent once that row is out and its ts is known.
UPDATE_COPY = "supportbot.update_copy"  # a call under a card not posted yet looks again this soon
# Which Slack parameter takes the card's ts, for calls that need the card.
CARD_TS_PARAM = {CardLink.THREAD: "thread_ts", CardLink.UPDATE: "ts"}


@dataclass(frozen=True)
class Call:
    """One Slack call, as read from its outbox row."""

    method: str
    params: dict
    channel: str
    key: str | None
    created_at: datetime


class Sender:
    """Sends due outbox rows."""

    def __init__(
        self, store: Store, client: WebClient, worker: str, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.client = client
        self.worker = worker
        self.clock = clock
        self.pacer = Pacer()
        self._lock = threading.Lock()
        self._resumed: set[int] = set()
        self._pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="supportbot-send")
        self._in_flight = 0
        self._more_due = False
        self.slot_freed: Callable[[], None] = lambda: None  # told when a call finishes

    def send_due(self, limit: int = CONCURRENCY) -> int:
        """One pass: claim up to `limit` rows (one per channel) and send them side by side,
        since each call waits on Slack's latency; returns how many calls were attempted once
        all of them have finished."""
        claimed = self._claim(limit)
        if len(claimed) <= 1:
            for row_id in claimed:
                self._send(row_id)
        else:
            list(self._pool.map(self._send, claimed))
        return len(claimed)

    def start_due(self) -> int:
        """Claim as many rows as there are free sending slots and start them without
        waiting: one slow call holds up its own channel only, never the other replies.
        Returns how many were started."""
        with self._lock:
            free, busy = CONCURRENCY - self._in_flight, self._in_flight
        if busy and free < CONCURRENCY - 2:
            # Claim in batches (a pass per finished call would cost a query each), yet never
            # wait for more than two calls: one or two slow ones hold up their own rows only.
            return 0
        claimed = self._claim(free)
        # All the free slots filled: more may be due, so a finished call should look again
        # at once. Otherwise the next new message (or the idle wait) is soon enough, and
        # finished calls do not cost a claim query each.
        self._more_due = len(claimed) == free
        for row_id in claimed:
            with self._lock:
                self._in_flight += 1
            self._pool.submit(self._send_in_slot, row_id)
        return len(claimed)

    def _send_in_slot(self, row_id: int) -> None:
        try:
            self._send(row_id)
        except Exception:  # noqa: BLE001 - the row's lease runs out and it is tried again
            log.exception("sending outbox row %s failed; its lease will let it be retried", row_id)
        finally:
            with self._lock:
                self._in_flight -= 1
            if self._more_due:
                self.slot_freed()

    def _claim(self, limit: int) -> list[int]:
        now = self.clock()
        chosen: list[int] = []
        with self.store.unit_of_work() as uow:
            for row_id, channel, status, held in uow.outbox.channel_heads(now, limit * 4):
                if held or self.pacer.too_soon(channel):
                    continue
                if uow.outbox.claim(row_id, self.worker, now, LEASE):
                    chosen.append(row_id)
                    if status == OutboxStatus.SENDING:
                        # Its sender died mid-call, or Slack never answered: Slack may have
                        # the message already.
                        with self._lock:
                            self._resumed.add(row_id)
                if len(chosen) >= limit:
                    break
            uow.commit()
        return chosen

    def _prepared(self, row_id: int) -> Call | None:
        """The call to make, with the card's place filled in; None when the card is not out
        yet (the row then waits for it rather than post unthreaded)."""
        with self.store.unit_of_work() as uow:
            row = uow.outbox.call(row_id)
            params = dict(row.params)
            method = row.method
            if method == UPDATE_COPY:
                # An edit of a relayed message: its copy's place is known once the copy is out.
                copy = uow.outbox.sent(str(params.pop("copy_of", "")))
                if copy is None:
                    delay = CARD_WAIT * 2 ** min(row.attempts, 9)  # up to ~17 minutes in all
                    self._retry(uow, row, delay, "waiting for the copy it edits to be sent")
                    return None
                method, (params["channel"], params["ts"]) = "chat.update", copy
            ts_param = CARD_TS_PARAM.get(CardLink(row.card_link)) if row.card_link else None
            if ts_param is not None and row.escalation_id is not None:
                card = uow.outbox.card_of(row.escalation_id)
                if card is None:
                    self._retry(uow, row, CARD_WAIT, "waiting for the card", count=False)
                    return None
                params["channel"], params[ts_param] = card
            # Copied out: leaving the unit of work expires the row.
            return Call(method, params, row.channel, row.key, row.created_at)

    def _send(self, row_id: int) -> None:
        row = self._prepared(row_id)
        if row is None:
            return
        params = row.params
        with self._lock:
            resumed = row_id in self._resumed
            self._resumed.discard(row_id)
        if row.method == "chat.postMessage" and row.key:
            # Tag the message with its outbox key, so a resumed send can tell it went out.
            params["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"key": row.key}}
            if resumed:
                posted = self._already_posted(params, row.key, row.created_at)
                if posted is not None:
                    log.warning("outbox row %s had reached Slack before its sender died; "
                                "not sending it twice", row_id)  # fmt: skip
                    self._mark_sent(row_id, {"channel": params["channel"], "ts": posted})
                    return
        self.pacer.sent(row.channel)
        try:
            if row.method == COPY_FILE:
                copier = FileCopier(self.client, self.client.token or "", self.client.base_url)
                data = copier.copy(params)
            else:
                response = self.client.api_call(row.method, json=params)
                data = response.data if isinstance(response.data, dict) else {}
        except SlackApiError as exc:
            self._failed(row_id, exc)
            return
        except OSError as exc:  # connection refused, reset, timed out
            # Slack may have posted it before the connection broke: the outcome is unknown.
            detail = str(exc)
            self._settle(row_id, lambda attempts: retry.after_connection_error(attempts, detail),
                         unsure=True)  # fmt: skip
            return
        self._mark_sent(row_id, data)

    def _already_posted(self, params: dict, key: str, created_at: datetime) -> str | None:
        """The ts of the message carrying `key`, if Slack already has it (else None)."""
        try:
            if params.get("thread_ts"):
                found = self.client.conversations_replies(
                    channel=params["channel"], ts=params["thread_ts"],
                    include_all_metadata=True, limit=200,
                )  # fmt: skip
            else:
                found = self.client.conversations_history(
                    channel=params["channel"], oldest=str(created_at.timestamp() - 5),
                    include_all_metadata=True, limit=200,
                )  # fmt: skip
        except (SlackApiError, OSError) as exc:
            log.warning("cannot check whether outbox key %s was sent (%s); sending it", key, exc)
            return None
        for message in found.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key:
                return message.get("ts")
        return None

    def _mark_sent(self, row_id: int, data: dict) -> None:
        with self.store.unit_of_work() as uow:
            row = uow.outbox.call(row_id)
            row.status, row.sent_at, row.error = OutboxStatus.SENT, self.clock(), None
            row.sent_ts = data.get("ts") if isinstance(data.get("ts"), str) else None
            row.attempts += 1
            if row.card_link == CardLink.POST and row.escalation_id is not None:
                uow.outbox.attach_card(row.escalation_id, data.get("channel", row.channel),
                                       data.get("ts"))  # fmt: skip
            uow.commit()

    def _failed(self, row_id: int, exc: SlackApiError) -> None:
        response = exc.response
        error = str(response.get("error", "")) if response is not None else ""
        status = response.status_code if response is not None else 0
        headers = response.headers if response is not None else None
        verdict = self._settle(
            row_id, lambda attempts: retry.after_slack_error(status, error, attempts, headers)
        )
        if not verdict.retry:
            log.error("Slack refused outbox row %s (%s); kept as failed", row_id, verdict.reason)

    def _settle(
        self, row_id: int, judge: Callable[[int], retry.Verdict], unsure: bool = False
    ) -> retry.Verdict:
        """Apply the retry policy's verdict on a failed attempt to the row; `unsure` when
        Slack may have done it anyway (no answer came back)."""
        with self.store.unit_of_work() as uow:
            row = uow.outbox.call(row_id)
            verdict = judge(row.attempts)
            if verdict.retry:
                self._retry(uow, row, verdict.delay, verdict.reason, count=verdict.counts,
                            unsure=unsure)  # fmt: skip
            else:
                row.status, row.error = OutboxStatus.FAILED, verdict.reason
                row.attempts += 1
                uow.commit()
        return verdict

    def _retry(self, uow: UnitOfWork, row: OutboxMessage, delay: timedelta, reason: str,
               count: bool = True, unsure: bool = False) -> None:  # fmt: skip
        if count:
            row.attempts += 1
        row.error = reason
        if retry.exhausted(row.attempts):
            row.status = OutboxStatus.FAILED
            log.error("giving up on outbox row %s (%s %s) after %s attempts: %s",
                      row.id, row.method, row.channel, row.attempts, reason)  # fmt: skip
        elif unsure:
            # Kept as being sent, its lease running out when the retry is due: whoever takes
            # it next treats it as resumed and asks Slack whether it went out before posting.
            row.status, row.claimed_until = OutboxStatus.SENDING, self.clock() + delay
            row.next_attempt_at = self.clock() + delay
            log.warning("outbox row %s: no answer from Slack (%s); will check and retry in "
                        "%.0fs", row.id, reason, delay.total_seconds())  # fmt: skip
        else:
            row.status, row.claimed_until = OutboxStatus.PENDING, None
            row.next_attempt_at = self.clock() + delay
            if count:
                log.warning("will retry outbox row %s in %.0fs: %s", row.id,
                            delay.total_seconds(), reason)  # fmt: skip
        uow.commit()


class SenderThread(threading.Thread):
    """Runs the sender until stopped; wakes early when told there is new work."""

    def __init__(self, sender: Sender, idle: float = 0.2) -> None:
        super().__init__(name="supportbot-outbox", daemon=True)
        self.sender, self.idle = sender, idle
        self.wake = threading.Event()
        self._stopping = threading.Event()
        sender.slot_freed = self.wake.set  # a finished call frees a slot: look again at once

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.sender.start_due()
            except Exception:  # noqa: BLE001 - the gateway must outlive one bad pass
                log.exception("outbox pass failed; will try again")
                busy = 0
            if not busy:
                self.wake.wait(self.idle)
                self.wake.clear()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()
