"""The inbox: Slack events recorded before they are acknowledged, processed once.

Recording happens in a Bolt middleware, which runs before the HTTP 200 goes back to Slack. A
retry of the same event, or the same message delivered again as an `app_mention`, finds its
row already there and is acknowledged without being processed twice. A row that is never
marked processed (the process died) is claimed again once its lease runs out.

What is stored is the event made safe and small: every string anywhere in it (text, rich-text
blocks, attachments, the edited and previous message of an edit) cleaned of control characters
and card numbers, each string capped, the whole capped. A stranded event is processed again
from this copy, so the fields processing reads are kept first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.service.redaction import MAX_TEXT, redact, scrub
from bot.store.rows import InboundEvent
from bot.store.unit_of_work import Store

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # how long a worker may take before others step in
MAX_ATTEMPTS = 5
MAX_ERROR = 2000  # characters of an error kept on the row
# Characters kept of one string: more than the desk keeps of a message (MAX_TEXT), so a
# message processed again from the inbox reads exactly as it did when it arrived.
MAX_STRING = MAX_TEXT + 1000
# About the JSON characters kept of one event (strings, keys and punctuation counted): a
# typical message is 2-5k, one with 50 full blocks some 150k. A top-level field that does not
# fit is left out whole and named in `dropped_by_inbox`; the fields processing reads (ESSENTIAL)
# are kept first, so a stranded event can still be answered from the copy.
MAX_PAYLOAD = 64_000
MAX_DEPTH = 32  # levels of nesting kept; rich-text blocks use about six
ESSENTIAL = ("type", "subtype", "channel", "channel_type", "user", "team", "ts", "thread_ts",
             "event_ts", "bot_id", "client_msg_id", "text")  # fmt: skip
SPLIT_CARD = "[block removed: a card number was split across its parts]"
_SLACK_TS = re.compile(r"\d{9,11}\.\d{6}")  # "1700000500.000100": names a message, is no card


def dedup_key(event: dict) -> str | None:
    """One key per message however Slack delivers it (`message` or `app_mention`)."""
    is_message = event.get("type") in ("message", "app_mention")
    answered = event.get("subtype") in (None, "file_share", "thread_broadcast")
    if is_message and answered and event.get("ts") and event.get("channel"):
        return f"{event['channel']}:{event['ts']}"[:128]
    return None


class _TooBig(Exception):
    """The part being kept does not fit what is left of MAX_PAYLOAD."""


class _Budget:
    def __init__(self, left: int) -> None:
        self.left = left

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _TooBig


def stored_event(event: dict) -> dict:
    """The event as the inbox keeps it: no card numbers or control characters, bounded."""
    budget, kept, dropped = _Budget(MAX_PAYLOAD), {}, []
    for key in sorted(event, key=lambda k: k not in ESSENTIAL):  # stable: essentials first
        before = budget.left
        try:
            kept[scrub(str(key), 100)] = _kept(event[key], budget, 1, str(key))
        except _TooBig:
            budget.left = before
            dropped.append(scrub(str(key), 100))
    if dropped:
        kept["dropped_by_inbox"] = dropped  # said, so nobody takes the copy for the whole
    return kept


def _kept(value: object, budget: _Budget, depth: int, key: str) -> object:
    if isinstance(value, str):
        is_ts = key.endswith("ts") and _SLACK_TS.fullmatch(value)
        kept = value if is_ts else scrub(value, MAX_STRING)
        budget.spend(len(kept) + 4)
        return kept
    if isinstance(value, bool) or value is None or isinstance(value, float):
        budget.spend(8)
        return value
    if isinstance(value, int):  # JSON keeps them to 4300 digits; a card typed as a number?
        text = str(value)
        budget.spend(len(text) + 2)
        redacted = redact(text)
        return value if redacted == text else redacted
    if depth >= MAX_DEPTH:
        raise _TooBig
    budget.spend(2)
    if isinstance(value, dict):
        items = {}
        for name, item in value.items():
            name = scrub(str(name), 100)
            budget.spend(len(name) + 4)
            items[name] = _kept(item, budget, depth + 1, name)
        return items
    if isinstance(value, list):
        items = [_kept(item, budget, depth + 1, key) for item in value]
        return [_whole_block(b) for b in items] if key == "blocks" else items
    return _kept(str(value), budget, depth, key)


def _whole_block(block: object) -> object:
    """A block whose pieces join into a card number (bold "1111" after "4111 ") goes."""
    joined = "".join(_texts(block))
    if redact(joined) == joined:
        return block
    return {"type": "section", "text": {"type": "plain_text", "text": SPLIT_CARD}}


def _texts(value: object) -> list[str]:
    if isinstance(value, dict):
        return [t for k, v in value.items()
                for t in ([v] if k == "text" and isinstance(v, str) else _texts(v))]  # fmt: skip
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return []


class Inbox:
    """Records events and hands out the ones still to process."""

    def __init__(self, store: Store, worker: str, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.worker = worker
        self.clock = clock

    def record(self, envelope: dict) -> int | None:
        """Store the event, claimed by this worker; None when it was seen before."""
        raw = envelope.get("event")
        event = stored_event(raw if isinstance(raw, dict) else {})
        event_id = envelope.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
        team, user = envelope.get("team_id"), event.get("user")
        now = self.clock()
        row = InboundEvent(
            event_id=str(event_id)[:64],
            dedup_key=dedup_key(event),
            kind=str(event.get("type", ""))[:32],
            user_id=user[:64] if isinstance(user, str) else None,
            payload={"event": event, "team_id": scrub(team, 64) if isinstance(team, str) else None},
            received_at=now,
            claimed_by=self.worker,
            claimed_until=now + LEASE,
            attempts=1,
        )
        with self.store.unit_of_work() as uow:
            row_id = uow.inbox.add(row)
            uow.commit()
            return row_id

    def start(self, row_id: int, attempt: int = 1) -> bool:
        """Renew this worker's lease on an event it is about to process (received by it:
        attempt 1, or claimed as stranded); False when it was claimed again meanwhile (it
        waited past its lease) or is done: whoever claimed it last does it."""
        with self.store.unit_of_work() as uow:
            kept = uow.inbox.start(row_id, self.worker, self.clock(), LEASE, attempt)
            uow.commit()
            return kept

    def done(self, row_id: int) -> None:
        with self.store.unit_of_work() as uow:
            uow.inbox.mark_done(row_id, self.clock())
            uow.commit()

    def failed(self, row_id: int, error: str) -> None:
        """Keep the error; the row is retried when its lease runs out (up to a limit)."""
        with self.store.unit_of_work() as uow:
            uow.inbox.mark_failed(row_id, scrub(error, MAX_ERROR))  # may quote what was said
            uow.commit()

    def claim_stranded(self, limit: int = 200) -> list[tuple[int, dict, int]]:
        """Events nobody finished: received, never processed, lease run out."""
        with self.store.unit_of_work() as uow:
            claimed = uow.inbox.claim_stranded(self.worker, self.clock(), LEASE, MAX_ATTEMPTS,
                                               limit)  # fmt: skip
            uow.commit()
        for row_id, _, _ in claimed:
            log.warning("processing event %s again: it was received but never finished", row_id)
        return claimed
