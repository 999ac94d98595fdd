"""Several workers on one database act as one: claims, timers, inbox and outbox, raced."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from bot.bootstrap import Services, compose
from bot.service.actors import Actor
from bot.service.desk import Desk
from bot.service.outcomes import CustomerRef
from bot.slack.gateway import Sender
from bot.slack.inbox import Inbox
from bot.slack.outbox import Outbox
from bot.store.database import create_db_engine
from bot.store.unit_of_work import Store
from tests.conftest import T0

LEAD = Actor("ULEAD", is_lead=True)

WORKERS = 4


def race(work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` on WORKERS threads released at the same instant."""
    barrier = threading.Barrier(WORKERS)
    results: list[object] = [None] * WORKERS
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"threads still running after 60 s (a deadlock?): {hung}"
    assert not errors, errors
    return results


def other_process(desk: Desk, database_url: str) -> Services:
    """Services with their own engine and pool, as another worker process would have."""
    return compose(Store(create_db_engine(database_url)), desk.kb, desk.model, desk.detector)


def test_two_agents_racing_to_claim_one_wins(desk: Desk, database_url: str) -> None:
    reply = desk.talk_to_human(CustomerRef("U1", "T1"), at=T0, channel="D1")
    escalation = reply.escalation.id
    desks = [other_process(desk, database_url) for _ in range(WORKERS)]
    results = race(lambda i: desks[i].handoff.claim(escalation, Actor(f"UAG{i}", True), T0))
    winners = [r for r in results if r.won]
    assert len(winners) == 1
    holder = winners[0].holder
    assert all(r.holder == holder for r in results)


def test_two_workers_firing_the_idle_timer_escalate_once(desk: Desk, database_url: str) -> None:
    desk.set_stage(CustomerRef("U1", "T1"), "purchase", actor=LEAD, at=T0)
    desk.handle_message(CustomerRef("U1", "T1"), "can I pay half with two different cards",
                        at=T0, channel="D1")  # fmt: skip
    desks = [other_process(desk, database_url) for _ in range(WORKERS)]
    results = race(lambda i: desks[i].desk.run_timers(T0 + timedelta(minutes=10)))
    fired = [event for events in results for event in events]
    assert len(fired) == 1
    assert "idle_after_question" in fired[0].escalation.signals


def test_each_due_time_is_acted_on_once_by_racing_workers(desk: Desk, database_url: str) -> None:
    """Timers on several workers: each waiting buyer escalated once, each conversation that is
    not stuck assessed once, whatever the interleaving (PostgreSQL skips locked rows)."""
    for n in range(12):
        who = CustomerRef(f"UB{n}", "T1")
        desk.set_stage(who, "purchase", actor=LEAD, at=T0)
        desk.handle_message(who, "can I pay half with two different cards", at=T0,
                            channel=f"DB{n}")  # fmt: skip
    for n in range(12):
        desk.handle_message(CustomerRef(f"UH{n}", "T1"), "how do I pay with paypal", at=T0,
                            channel=f"DH{n}")  # fmt: skip
    desks = [other_process(desk, database_url) for _ in range(WORKERS)]
    assessed: list[int] = []
    for services in desks:
        assess = services.desk.escalator.assess

        def counted(uow, conversation, now, assess=assess):  # noqa: ANN001, ANN202
            assessed.append(conversation.id)
            return assess(uow, conversation, now)

        services.desk.escalator.assess = counted  # type: ignore[method-assign]
    results = race(lambda i: desks[i].desk.run_timers(T0 + timedelta(minutes=30), batch=5))
    fired = sorted(event.channel for events in results for event in events)
    assert fired == sorted(f"DB{n}" for n in range(12))
    assert len(assessed) == len(set(assessed)) == 24
    again = race(lambda i: desks[i].desk.run_timers(T0 + timedelta(minutes=31)))
    assert again == [[]] * WORKERS and len(assessed) == 24


def test_a_retried_event_racing_the_original_is_recorded_once(desk: Desk) -> None:
    envelope = {"event_id": "Ev1", "team_id": "T1",
                "event": {"type": "message", "channel": "D1", "ts": "1.1", "user": "U1",
                          "text": "hello"}}  # fmt: skip
    inboxes = [Inbox(desk.store, f"w{i}", lambda: T0) for i in range(WORKERS)]
    results = race(lambda i: inboxes[i].record(envelope))
    assert len([r for r in results if r is not None]) == 1


def test_an_event_queued_past_its_lease_is_processed_by_one_worker_only(
    desk: Desk, database_url: str
) -> None:
    """Overloaded, a worker's listener may reach an event after its lease ran out and another
    worker's timers took it as stranded: exactly one of them goes on."""
    envelope = {"event_id": "Ev2", "team_id": "T1",
                "event": {"type": "message", "channel": "D1", "ts": "2.2", "user": "U1",
                          "text": "hello"}}  # fmt: skip
    late = T0 + timedelta(minutes=5)
    receiver = Inbox(desk.store, "w-receiver", lambda: T0)
    row = receiver.record(envelope)
    assert row is not None and receiver.start(row)  # in time: still its own
    others = [Inbox(other_process(desk, database_url).store, f"w{i}", lambda: late)
              for i in range(WORKERS - 1)]  # fmt: skip
    receiver.clock = lambda: late
    results = race(lambda i: others[i - 1].claim_stranded() if i else receiver.start(row))
    took_over = [claimed for claimed in results[1:] if claimed]
    assert (results[0] is True) + len(took_over) == 1
    assert all(len(claimed) == 1 for claimed in took_over)
    if took_over:  # whoever took it over keeps it only while nobody claimed it again
        [(_, _, attempt)] = took_over[0]
        assert attempt == 2 and not receiver.start(row) and not receiver.start(row, 1)
        later = Inbox(desk.store, "w-late", lambda: late + timedelta(minutes=5))
        [(_, _, again)] = later.claim_stranded()
        assert again == 3 and not receiver.start(row, attempt) and later.start(row, again)
    receiver.done(row)
    assert not receiver.start(row)  # done: nobody starts it again


def test_each_outbox_row_is_claimed_by_one_worker(desk: Desk) -> None:
    outbox = Outbox(desk.store, lambda: T0)
    for n in range(20):
        outbox.add("chat.postMessage", {"channel": f"C{n}", "text": "hi"}, key=f"k{n}")
    senders = [Sender(desk.store, None, f"w{i}", lambda: T0) for i in range(WORKERS)]  # type: ignore[arg-type]
    results = race(lambda i: senders[i]._claim(20))  # noqa: SLF001 - the claim is the point
    claimed = [row for rows in results for row in rows]
    assert sorted(claimed) == sorted(set(claimed))
    assert len(claimed) == 20
