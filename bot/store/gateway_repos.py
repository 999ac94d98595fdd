"""The Slack gateway's repositories: the inbox of received events and the outbox of calls."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.service.records import Escalation
from bot.service.vocabulary import CardLink, OutboxStatus
from bot.store.leases import lease_free, take_lease
from bot.store.rows import InboundEvent, OutboxMessage

UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING)


def _insert_once(session: Session, row: object) -> bool:
    """Insert `row` unless a unique key says it is there already (then False)."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


class InboxRepository:
    """Received Slack events: recorded once, claimed with a lease, marked done."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: InboundEvent) -> int | None:
        """Store the event; None when its event id or message was received before."""
        return event.id if _insert_once(self.session, event) else None

    def mark_done(self, row_id: int, at: datetime) -> None:
        self.session.execute(
            update(InboundEvent)
            .where(InboundEvent.id == row_id)
            .values(processed_at=at, error=None)
        )

    def mark_failed(self, row_id: int, error: str) -> None:
        self.session.execute(
            update(InboundEvent).where(InboundEvent.id == row_id).values(error=error)
        )

    def start(
        self, row_id: int, worker: str, now: datetime, lease: timedelta, attempts: int = 1
    ) -> bool:
        """Renew the lease of the worker that took an event (received it: attempt 1, or
        claimed it as stranded: a later one) as it starts processing it; False when the event
        is done or was claimed again since (its attempts went up), by whichever worker, which
        then processes it itself."""
        result = self.session.execute(
            update(InboundEvent)
            .where(
                InboundEvent.id == row_id,
                InboundEvent.processed_at.is_(None),
                InboundEvent.attempts == attempts,
            )
            .values(claimed_by=worker, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def claim_stranded(
        self, worker: str, now: datetime, lease: timedelta, max_attempts: int, limit: int
    ) -> list[tuple[int, dict, int]]:
        """Events received, never processed, whose lease ran out: claimed for `worker`, with
        the attempt this claim is."""
        rows = self.session.scalars(
            select(InboundEvent)
            .where(
                InboundEvent.processed_at.is_(None),
                InboundEvent.attempts < max_attempts,
                lease_free(InboundEvent, now),
            )
            .order_by(InboundEvent.id)
            .limit(limit)
        ).all()
        claimed: list[tuple[int, dict, int]] = []
        for row in rows:
            assert row.id is not None
            if take_lease(self.session, InboundEvent, row.id, worker, now, lease,
                          InboundEvent.processed_at.is_(None),
                          attempts=InboundEvent.attempts + 1):  # fmt: skip
                claimed.append((row.id, dict(row.payload), row.attempts + 1))
        return claimed


class OutboxRepository:
    """Queued Slack calls: added once per key, claimed with a lease, settled by the gateway."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, call: OutboxMessage) -> bool:
        """Queue a call; False when one with its key was queued before."""
        return _insert_once(self.session, call)

    def unsent_count(self) -> int:
        count = self.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(UNSENT))
        )
        return int(count or 0)

    def channel_heads(self, now: datetime, limit: int) -> list[tuple[int, str, str, bool]]:
        """The oldest unsent call of each channel, if it is due: (id, channel, status, held
        by a live lease). Picked in SQL, so one busy channel (the agents' one, say) cannot fill
        the window and hold back everyone else's replies."""
        ranked = (
            select(
                OutboxMessage.id, OutboxMessage.channel, OutboxMessage.next_attempt_at,
                OutboxMessage.status, OutboxMessage.claimed_until,
                func.row_number()
                .over(partition_by=OutboxMessage.channel, order_by=OutboxMessage.id)
                .label("rank"),
            )
            .outerjoin(Escalation, Escalation.id == OutboxMessage.escalation_id)
            .where(
                OutboxMessage.status.in_(UNSENT),
                # A call that replies under or edits a card not posted yet is not in line:
                # it would hold its channel's head, and the card itself, behind it, for good.
                or_(
                    OutboxMessage.card_link.is_(None),
                    OutboxMessage.card_link == CardLink.POST,
                    Escalation.agent_thread_ts.is_not(None),
                ),
            )
            .subquery()
        )  # fmt: skip
        rows = self.session.execute(
            select(ranked.c.id, ranked.c.channel, ranked.c.status, ranked.c.claimed_until)
            .where(ranked.c.rank == 1, ranked.c.next_attempt_at <= now)
            .order_by(ranked.c.id)
            .limit(limit)
        ).all()
        return [
            (
                row_id,
                channel,
                status,
                status == OutboxStatus.SENDING and until is not None and until > now,
            )
            for row_id, channel, status, until in rows  # fmt: skip
        ]

    def claim(self, row_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
        """Take the call for sending; True when this worker won it."""
        return take_lease(self.session, OutboxMessage, row_id, worker, now, lease,
                          OutboxMessage.status.in_(UNSENT),
                          status=OutboxStatus.SENDING)  # fmt: skip

    def call(self, row_id: int) -> OutboxMessage:
        row = self.session.get(OutboxMessage, row_id)
        assert row is not None, f"outbox row {row_id} vanished"
        return row

    def sent(self, key: str) -> tuple[str, str] | None:
        """Where the message queued under `key` landed (channel, ts), once Slack posted it."""
        row = self.session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).first()
        if row is None or not row.sent_ts:
            return None
        card = self.card_of(row.escalation_id) if row.escalation_id is not None else None
        # A call under a card went to the card's channel, filled in when it was sent.
        channel = card[0] if card and row.card_link else str(row.params.get("channel") or "")
        return channel, row.sent_ts

    def card_of(self, escalation_id: int) -> tuple[str, str] | None:
        """Where an escalation's card was posted (channel, ts), once it has been."""
        escalation = self.session.get(Escalation, escalation_id)
        if escalation is None or not escalation.agent_channel or not escalation.agent_thread_ts:
            return None
        return escalation.agent_channel, escalation.agent_thread_ts

    def attach_card(self, escalation_id: int, channel: str, ts: str | None) -> None:
        """Remember where a card went: its thread is where agent and customer meet."""
        escalation = self.session.get(Escalation, escalation_id)
        if escalation is not None:
            escalation.agent_channel, escalation.agent_thread_ts = channel, ts
