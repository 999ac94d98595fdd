"""The stage summary's speed with 100k conversations and 1M messages, PostgreSQL and SQLite.

    .venv/bin/python benchmarks/summary.py [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--conversations 100000] [--messages-per-conversation 10]

Builds a synthetic history (20k customers; conversations spread over 60 days, each with
customer questions and the app's answers, some rated, some escalated and claimed, stage
changes) in a fresh database on each engine, then times `/lifecycle summary 30d` (the
service call behind it, `Reports.summary`) against a baseline in the same run: the same
figures computed by reading the period's rows into Python, which is what the first version
did. Target: <= 300 ms on PostgreSQL with 1M messages.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.config import DEFAULT_STAGE_MODEL  # noqa: E402
from bot.service.actors import Actor  # noqa: E402
from bot.service.records import (  # noqa: E402
    Conversation,
    Customer,
    Escalation,
    Feedback,
    Message,
    StageChange,
)
from bot.service.reports import Reports  # noqa: E402
from bot.store.database import create_db_engine, upgrade  # noqa: E402
from bot.store.unit_of_work import Store  # noqa: E402
from lifecycle import load_stage_model  # noqa: E402

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CHUNK = 20_000
QUESTIONS = ["how do I pay with paypal", "do you ship to switzerland", "where is my order",
             "what's the weather in rome", "can I split payment", "cancel my club"]  # fmt: skip


def populate(store: Store, conversations: int, per_conversation: int, seed: int = 7) -> float:
    """Insert the synthetic history; returns seconds taken."""
    rng = random.Random(seed)
    model = load_stage_model(DEFAULT_STAGE_MODEL)
    stages = model.ids
    customers = max(conversations // 5, 1)
    started = time.perf_counter()
    with store.engine.begin() as connection:
        connection.execute(insert(Customer), [
            {"id": i + 1, "team_id": "T1", "user_id": f"U{i:06d}", "stage": rng.choice(stages),
             "stage_source": "auto", "first_seen": NOW - timedelta(days=90),
             "last_seen": NOW - timedelta(days=rng.random() * 60),
             "lead_score": rng.random() * 5,
             "lead_scored_at": NOW - timedelta(days=rng.random() * 10),
             "usual_gap_days": rng.random() * 10, "last_conversation_at": NOW - timedelta(days=5)}
            for i in range(customers)
        ])  # fmt: skip
    message_id = 0
    for start in range(0, conversations, CHUNK // per_conversation * 10):
        stop = min(start + CHUNK // per_conversation * 10, conversations)
        convs, messages, feedback, escalations, changes = [], [], [], [], []
        for c in range(start, stop):
            opened = NOW - timedelta(days=rng.random() * 60)
            stage = rng.choice(stages)
            resolution = rng.choice(["self_service", "abandoned", "agent", None])
            convs.append({"id": c + 1, "customer_id": rng.randrange(customers) + 1,
                          "channel": f"D{c}", "thread_ts": "", "stage": stage,
                          "status": "resolved" if resolution else "open",
                          "opened_at": opened, "last_activity_at": opened + timedelta(minutes=10),
                          "resolution": resolution})  # fmt: skip
            for m in range(per_conversation):
                message_id += 1
                customer_turn = m % 2 == 0
                decision = rng.choice(["answer", "answer", "suggest", "none"])
                messages.append({"id": message_id, "conversation_id": c + 1,
                                 "role": "customer" if customer_turn else "bot",
                                 "text": rng.choice(QUESTIONS), "language": "en",
                                 "created_at": opened + timedelta(minutes=m), "decision": decision,
                                 "article_id": None if decision != "answer"
                                 else "payment-methods"})  # fmt: skip
                if not customer_turn and rng.random() < 0.2:
                    feedback.append({"message_id": message_id, "helpful": rng.random() < 0.7,
                                     "stage": stage,
                                     "at": opened + timedelta(minutes=m + 1)})  # fmt: skip
            if rng.random() < 0.05:
                claimed = (
                    opened + timedelta(minutes=rng.random() * 20) if rng.random() < 0.8 else None
                )
                escalations.append({"conversation_id": c + 1, "stage": stage,
                                    "signals": ["no_answer"],
                                    "reasons": ["no answer"], "score": 2.0,
                                    "status": "claimed" if claimed else "open",
                                    "created_at": opened, "claimed_at": claimed})  # fmt: skip
            if rng.random() < 0.3:
                changes.append({"customer_id": convs[-1]["customer_id"], "conversation_id": c + 1,
                                "from_stage": rng.choice(stages), "to_stage": stage, "reason": "",
                                "source": "auto", "at": opened})  # fmt: skip
        with store.engine.begin() as connection:
            connection.execute(insert(Conversation), convs)
            for i in range(0, len(messages), CHUNK):
                connection.execute(insert(Message), messages[i : i + CHUNK])
            if feedback:
                connection.execute(insert(Feedback), feedback)
            if escalations:
                connection.execute(insert(Escalation), escalations)
            if changes:
                connection.execute(insert(StageChange), changes)
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def baseline(store: Store, since: datetime, until: datetime) -> int:
    """Read the period's rows into Python and count there (the naive way)."""
    with store.unit_of_work() as uow:
        rows = uow.session.execute(
            select(Conversation.id, Conversation.stage, Conversation.customer_id,
                   Conversation.resolution)
            .where(Conversation.opened_at >= since, Conversation.opened_at < until)
        ).all()  # fmt: skip
        ids = [r[0] for r in rows]
        messages = uow.session.execute(
            select(Message.conversation_id, Message.role, Message.decision, Message.text)
            .where(Message.created_at >= since, Message.created_at < until)
        ).all()  # fmt: skip
        per_stage: dict[str, int] = {}
        for _, stage, _, _ in rows:
            per_stage[stage] = per_stage.get(stage, 0) + 1
        unanswered: dict[str, int] = {}
        for _, role, decision, said in messages:
            if role == "customer" and decision == "none":
                unanswered[said] = unanswered.get(said, 0) + 1
        return len(ids) + len(messages)


def timed(call, repeat: int = 5) -> tuple[float, float]:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def run(label: str, url: str, args: argparse.Namespace) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    store = Store(engine)
    seconds = populate(store, args.conversations, args.messages_per_conversation)
    with store.unit_of_work() as uow:
        messages = uow.session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))
    reports = Reports(store, load_stage_model(DEFAULT_STAGE_MODEL))
    since = NOW - timedelta(days=30)
    lead = Actor.system("benchmark")
    summary = reports.summary(lead, since, NOW)
    ours = timed(lambda: reports.summary(lead, since, NOW))
    naive = timed(lambda: baseline(store, since, NOW), repeat=3)
    total = summary.totals["conversations"]
    print(f"{label:<11}{args.conversations:>8}{messages:>10}{seconds:>9.0f}{total:>9}"
          f"{ours[0]:>10.0f}{ours[1]:>9.0f}{naive[0]:>11.0f}{naive[1]:>10.0f}")  # fmt: skip
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get(
        "SUPPORTBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))  # fmt: skip
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per-conversation", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(
        "summary = Reports.summary over the last 30 days (what `/lifecycle summary 30d` runs); "
        "baseline = reading the period's rows into Python"
    )
    print(f"{'engine':<11}{'convs':>8}{'messages':>10}{'load s':>9}{'in 30d':>9}"
          f"{'p50 ms':>10}{'max ms':>9}{'base p50':>11}{'base max':>10}")  # fmt: skip
    server = make_url(args.postgres).set(drivername="postgresql+psycopg")
    name = f"supportbot_summary_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run("PostgreSQL", server.set(database=name).render_as_string(hide_password=False), args)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{folder}/summary.db", args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
