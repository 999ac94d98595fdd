"""The outbox: Slack calls are stored first and sent by a gateway that retries until Slack
says ok, paced to about one message per second per channel.

A reply is never lost to a 429, a 5xx or a dropped connection: the row stays pending with a
later attempt time. Rows are claimed with a lease, so several workers share one outbox and
each row is sent by one of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.models import Escalation, OutboxMessage
from bot.store.unit_of_work import Store

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# Params resolved at send time from the escalation's card, which may not be posted yet.
THREAD_OF_ESCALATION = "__thread_of_escalation"  # reply in the card's thread
CARD_OF_ESCALATION = "__card_of_escalation"  # update the card itself
LEASE = timedelta(seconds=30)  # well above one call's 15 s timeout
MAX_ATTEMPTS = 10
METADATA_EVENT = "supportbot_outbox"
CONCURRENCY = 8  # calls in flight per process: Slack answers in ~100 ms, so send side by side
PACE_SECONDS = 1.0  # Slack allows about one message per second per channel
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
             "request_timeout", "team_added_to_org"}  # fmt: skip


class Outbox:
    """Writes Slack calls to send; an idempotency key makes a repeated write a no-op."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def add(
        self,
        method: str,
        params: dict,
        *,
        key: str | None = None,
        user_id: str | None = None,
        after_sent: dict | None = None,
    ) -> bool:
        """Queue a call; False when a call with this key was queued before."""
        now = self.clock()
        row = OutboxMessage(
            key=key, method=method, channel=str(params.get("channel", "")), params=params,
            user_id=user_id, status=PENDING, attempts=0, next_attempt_at=now, created_at=now,
            after_sent=after_sent,
        )  # fmt: skip
        with self.store.unit_of_work() as uow:
            uow.session.add(row)
            try:
                uow.commit()
            except IntegrityError:
                return False
        return True

    def pending(self) -> int:
        with self.store.unit_of_work() as uow:
            rows = uow.session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.status.in_((PENDING, SENDING)))
            )
            return len(list(rows))


class Sender:
    """Sends due outbox rows: oldest first within a channel, paced, retried with backoff."""

    def __init__(
        self, store: Store, client: WebClient, worker: str, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.client = client
        self.worker = worker
        self.clock = clock
        self._last_sent: dict[str, float] = {}
        self._lock = threading.Lock()
        self._resumed: set[int] = set()
        self._pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="supportbot-send")

    def send_due(self, limit: int = CONCURRENCY) -> int:
        """One pass: claim up to `limit` rows (one per channel) and send them side by side,
        since each call waits on Slack's latency; returns how many calls were attempted."""
        claimed = self._claim(limit)
        if len(claimed) <= 1:
            for row_id in claimed:
                self._send(row_id)
        else:
            list(self._pool.map(self._send, claimed))
        return len(claimed)

    def _claim(self, limit: int) -> list[int]:
        now = self.clock()
        paced = time.monotonic() - PACE_SECONDS
        # The oldest unsent row of each channel, picked in SQL: one busy channel (the agents'
        # one, say) must not fill the window and hold back everyone else's replies.
        ranked = (
            select(
                OutboxMessage.id, OutboxMessage.channel, OutboxMessage.next_attempt_at,
                OutboxMessage.status, OutboxMessage.claimed_until,
                func.row_number()
                .over(partition_by=OutboxMessage.channel, order_by=OutboxMessage.id)
                .label("rank"),
            )
            .where(OutboxMessage.status.in_((PENDING, SENDING)))
            .subquery()
        )  # fmt: skip
        with self.store.unit_of_work() as uow:
            rows = uow.session.execute(
                select(ranked.c.id, ranked.c.channel, ranked.c.status, ranked.c.claimed_until)
                .where(ranked.c.rank == 1, ranked.c.next_attempt_at <= now)
                .order_by(ranked.c.id)
                .limit(limit * 4)
            ).all()
            chosen: list[int] = []
            for row_id, channel, status, until in rows:
                busy = status == SENDING and until is not None and until > now
                with self._lock:
                    recently = self._last_sent.get(channel, 0.0) > paced
                if busy or recently:
                    continue
                won = uow.session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == row_id,
                        or_(OutboxMessage.status == PENDING, OutboxMessage.claimed_until <= now),
                    )
                    .values(status=SENDING, claimed_by=self.worker, claimed_until=now + LEASE)
                    .execution_options(synchronize_session=False)
                ).rowcount  # fmt: skip
                if won:
                    chosen.append(row_id)
                    if status == SENDING:
                        # Its sender died mid-call: Slack may have the message already.
                        with self._lock:
                            self._resumed.add(row_id)
                if len(chosen) >= limit:
                    break
            uow.commit()
        return chosen

    def _send(self, row_id: int) -> None:
        with self.store.unit_of_work() as uow:
            row = uow.session.get(OutboxMessage, row_id)
            assert row is not None
            method, params, channel = row.method, dict(row.params), row.channel
            key, created_at = row.key, row.created_at
            for placeholder, ts_param in ((THREAD_OF_ESCALATION, "thread_ts"),
                                          (CARD_OF_ESCALATION, "ts")):  # fmt: skip
                escalation_id = params.pop(placeholder, None)
                if escalation_id is None:
                    continue
                escalation = uow.session.get(Escalation, escalation_id)
                if escalation is None or not escalation.agent_thread_ts:
                    # The card itself is not out yet: wait for it rather than post unthreaded.
                    self._retry(uow, row, timedelta(seconds=1), "waiting for the card", count=False)
                    return
                params["channel"] = escalation.agent_channel
                params[ts_param] = escalation.agent_thread_ts
        with self._lock:
            resumed = row_id in self._resumed
            self._resumed.discard(row_id)
        if method == "chat.postMessage" and key:
            # Tag the message with its outbox key, so a resumed send can tell it went out.
            params["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
            if resumed:
                posted = self._already_posted(params, key, created_at)
                if posted is not None:
                    log.warning("outbox row %s had reached Slack before its sender died; "
                                "not sending it twice", row_id)  # fmt: skip
                    self._mark_sent(row_id, {"channel": params["channel"], "ts": posted})
                    return
        with self._lock:
            self._last_sent[channel] = time.monotonic()
        try:
            response = self.client.api_call(method, json=params)
            data = response.data if isinstance(response.data, dict) else {}
        except SlackApiError as exc:
            self._failed(row_id, exc)
            return
        except OSError as exc:  # connection refused, reset, timed out
            self._later(row_id, None, f"connection error: {exc}")
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
            row = uow.session.get(OutboxMessage, row_id)
            assert row is not None
            row.status, row.sent_at, row.error = SENT, self.clock(), None
            row.attempts += 1
            if row.after_sent and "attach_card" in row.after_sent:
                escalation = uow.session.get(Escalation, row.after_sent["attach_card"])
                if escalation is not None:
                    escalation.agent_channel = data.get("channel", row.channel)
                    escalation.agent_thread_ts = data.get("ts")
            uow.commit()

    def _failed(self, row_id: int, exc: SlackApiError) -> None:
        error = str(exc.response.get("error", "")) if exc.response is not None else ""
        status = exc.response.status_code if exc.response is not None else 0
        if status == 429 or status >= 500 or error in TRANSIENT:
            retry_after = None
            if status == 429 and exc.response is not None:
                header = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                    "retry-after"
                )
                retry_after = float(header[0] if isinstance(header, list) else header or 1)
            self._later(row_id, retry_after, f"HTTP {status} {error}".strip())
            return
        with self.store.unit_of_work() as uow:
            row = uow.session.get(OutboxMessage, row_id)
            assert row is not None
            row.status, row.error = FAILED, error or str(exc)
            row.attempts += 1
            uow.commit()
        log.error("Slack refused %s to %s (%s); kept as failed outbox row %s",
                  row.method, row.channel, error, row_id)  # fmt: skip

    def _later(self, row_id: int, retry_after: float | None, reason: str) -> None:
        with self.store.unit_of_work() as uow:
            row = uow.session.get(OutboxMessage, row_id)
            assert row is not None
            backoff = retry_after if retry_after is not None else min(2.0**row.attempts, 60.0)
            self._retry(uow, row, timedelta(seconds=backoff), reason)

    def _retry(self, uow, row: OutboxMessage, delay: timedelta, reason: str,  # noqa: ANN001
               count: bool = True) -> None:  # fmt: skip
        if count:
            row.attempts += 1
        row.error = reason
        if row.attempts >= MAX_ATTEMPTS:
            row.status = FAILED
            log.error("giving up on outbox row %s (%s %s) after %s attempts: %s",
                      row.id, row.method, row.channel, row.attempts, reason)  # fmt: skip
        else:
            row.status, row.claimed_until = PENDING, None
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

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.sender.send_due()
            except Exception:  # noqa: BLE001 - the gateway must outlive one bad pass
                log.exception("outbox pass failed; will try again")
                busy = 0
            if not busy:
                self.wake.wait(self.idle)
                self.wake.clear()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()
