"""Row leases: how several workers share the inbox and the outbox without doing a row twice.

A worker claims a row by setting `claimed_by` and `claimed_until` in one conditional UPDATE; the
condition (lease free: never taken, or run out) makes the database pick one winner. A worker that
dies loses its rows when the lease runs out, and another takes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.orm import Session

from bot.store.rows import InboundEvent, OutboxMessage

Leased = type[InboundEvent] | type[OutboxMessage]


def lease_free(table: Leased, now: datetime) -> ColumnElement[bool]:
    """True for rows nobody holds: never claimed, or their lease ran out."""
    return or_(table.claimed_until.is_(None), table.claimed_until <= now)  # type: ignore[union-attr]


def take_lease(
    session: Session,
    table: Leased,
    row_id: int,
    worker: str,
    now: datetime,
    lease: timedelta,
    *conditions: ColumnElement[bool],
    **values: Any,
) -> bool:
    """Claim row `row_id` for `worker` if its lease is free (and `conditions` hold), setting
    `values` too; True when this worker won it."""
    result = session.execute(
        update(table)
        .where(table.id == row_id, lease_free(table, now), *conditions)  # type: ignore[arg-type]
        .values(claimed_by=worker, claimed_until=now + lease, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
