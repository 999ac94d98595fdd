"""Part 2: one sweeper tick (`Desk.run_timers` plus `Handoff.due_reminders`) with many open
conversations of which few are due, against the old way the timers worked: assessing every open
conversation quiet for 15 min to 24 h, on every tick."""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from benchmarks.deskbench import phrases
from benchmarks.deskbench.databases import PostgresDatabase, SqliteDatabase
from benchmarks.deskbench.report import met, table
from bot.bootstrap import Services, compose
from bot.service.records import Conversation, Customer, Escalation, Message
from bot.service.vocabulary import ConversationStatus, Decision, EscalationStatus, Role
from bot.store.unit_of_work import Store
from knowledge_base import KnowledgeBase
from lifecycle import StageModel, StuckDetector

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
CHUNK = 10_000  # conversations per insert batch (and twice as many messages)
REMIND_AFTER = timedelta(minutes=10)
TIMER_WINDOW = timedelta(hours=24)  # what the old timers looked back over
REPEAT = 5  # ticks per size; the median is reported (a shared 2-core machine is noisy)
OLD_WAY_LIMIT = 10_000  # beyond this the old way is estimated, not run
TARGET_FLAT = 2.0
DECISIONS = ((Decision.ANSWER, 0.6), (Decision.SUGGEST, 0.25), (Decision.NONE, 0.15))

Database = SqliteDatabase | PostgresDatabase


@dataclass(frozen=True)
class Shape:
    """How many open conversations, how many of them due, how many reminders due."""

    open: int
    due: int

    @property
    def reminders(self) -> int:
        """Escalations waiting for a reminder: a fifth of the due conversations, at least one."""
        return max(1, self.due // 5)


@dataclass
class Tick:
    wall_ms: float
    cpu_ms: float
    escalated: int
    reminded: int


@dataclass
class Row:
    engine: str
    shape: Shape
    build_s: float
    ticks: list[Tick]
    candidates: int  # what the old way assesses
    old: list[Tick] | None  # None: skipped

    def median(self, attribute: str, old: bool = False) -> float:
        """The median of one figure over the timed ticks (or the old way's runs)."""
        ticks = self.old if old else self.ticks
        assert ticks
        return statistics.median(getattr(t, attribute) for t in ticks)


def shapes(opens: list[int]) -> list[Shape]:
    """1% due at each size, and the largest size with as many due as the smallest."""
    found = [Shape(n, max(1, n // 100)) for n in opens]
    smallest, largest = found[0], found[-1]
    if largest.open != smallest.open:
        found.append(Shape(largest.open, smallest.due))
    return found


def populate(
    store: Store, shape: Shape, kb: KnowledgeBase, model: StageModel, idle: timedelta, seed: int
) -> float:
    """Customers, open conversations (1% due) with two messages each, and a few escalations
    waiting for a reminder, inserted with Core in batches; returns seconds taken."""
    rng = random.Random(seed)
    started = time.perf_counter()
    articles: dict[str, list[str]] = {}
    for article in kb:
        if article.is_public:
            articles.setdefault(article.locale, []).append(article.id)
    customers = max(1, shape.open // 2)
    languages = [phrases.language(rng) for _ in range(customers)]
    engine = store.engine
    with engine.begin() as connection:
        for start in range(0, customers, CHUNK * 2):
            connection.execute(insert(Customer), [
                {"id": i + 1, "team_id": "T1", "user_id": f"U{i:07d}", "locale": languages[i],
                 "stage": rng.choice(model.ids), "stage_source": "auto",
                 "first_seen": NOW - timedelta(days=rng.uniform(1, 400)), "last_seen": NOW,
                 "lead_score": rng.random() * 5, "lead_scored_at": NOW}
                for i in range(start, min(start + CHUNK * 2, customers))
            ])  # fmt: skip
    total = shape.open + shape.reminders
    # The k-th due conversation (and the k-th escalation) is the same whatever the number open,
    # so rows with as many due do the same work and differ only in what else is there.
    due = {c: k for k, c in enumerate(sorted(rng.sample(range(shape.open), shape.due)))}
    message_id = 0
    for start in range(0, total, CHUNK):
        conversations, messages, escalations = [], [], []
        for c in range(start, min(start + CHUNK, total)):
            own, customer = rng, rng.randrange(customers)
            if c >= shape.open:
                rank = shape.due + c - shape.open
                own, customer = random.Random(f"{seed}:reminder:{rank}"), rank % customers
            elif c in due:
                own, customer = random.Random(f"{seed}:due:{due[c]}"), due[c] % customers
            lang = languages[customer]
            stage = own.choice(model.ids)
            status, due_at = ConversationStatus.OPEN, None
            if c >= shape.open:  # escalated half an hour ago, nobody has claimed it yet
                last = NOW - timedelta(minutes=own.uniform(30, 60))
                status = ConversationStatus.ESCALATED
                escalations.append({"conversation_id": c + 1, "stage": stage,
                                    "signals": ["no_answer", "idle_after_question"],
                                    "reasons": ["no answer", "waiting 15 minutes"], "score": 3.0,
                                    "status": EscalationStatus.OPEN,
                                    "created_at": last + idle})  # fmt: skip
            elif c in due:  # quiet for a little over the idle time: not looked at yet
                last = NOW - idle - timedelta(seconds=own.uniform(1, 300))
                due_at = last + idle
            else:  # active lately (idle check ahead), or checked and left for the 24 h close
                last = NOW - timedelta(seconds=own.uniform(0, TIMER_WINDOW.total_seconds() - 60))
                due_at = last + idle if last + idle > NOW else last + TIMER_WINDOW
            conversations.append({"id": c + 1, "customer_id": customer + 1, "channel": f"D{c:07d}",
                                  "thread_ts": "", "stage": stage, "status": status,
                                  "opened_at": last - timedelta(seconds=own.uniform(0, 600)),
                                  "last_activity_at": last, "due_at": due_at})  # fmt: skip
            decision = own.choices(*zip(*DECISIONS, strict=True))[0]
            article = own.choice(articles[lang]) if decision == Decision.ANSWER else None
            question = phrases.first_message(own, lang)
            messages.append({"id": message_id + 1, "conversation_id": c + 1,
                             "role": Role.CUSTOMER, "text": question, "language": lang,
                             "created_at": last - timedelta(seconds=2), "decision": decision,
                             "article_id": article, "score": own.random(),
                             "reply_to_id": None})  # fmt: skip
            messages.append({"id": message_id + 2, "conversation_id": c + 1, "role": Role.BOT,
                             "text": f"(the answer to: {question})", "language": lang,
                             "created_at": last, "decision": decision, "article_id": article,
                             "score": None, "reply_to_id": message_id + 1})  # fmt: skip
            message_id += 2
        with engine.begin() as connection:
            connection.execute(insert(Conversation), conversations)
            connection.execute(insert(Message), messages)
            if escalations:
                connection.execute(insert(Escalation), escalations)
    if engine.dialect.name == "postgresql":  # rows inserted with ids leave the sequences behind
        with engine.begin() as connection:
            for name in ("customers", "conversations", "messages"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                        f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))  # fmt: skip
    return time.perf_counter() - started


def connect(database: Database) -> None:
    """Open the connection the tick will use, and let it read the schema: a worker's connection
    is long open, so neither connecting nor a new backend's cold catalog caches are timed."""
    with database.engine.connect() as connection:
        connection.execute(text(
            "SELECT 1 FROM customers, conversations, messages, escalations, feedback, "
            "stage_changes WHERE 1 = 0"
        ))  # fmt: skip


def tick(services: Services) -> Tick:
    """One sweeper tick, as the worker runs it: the timers, then the reminders."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    events = services.desk.run_timers(NOW)
    cards = services.handoff.due_reminders(NOW, REMIND_AFTER)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Tick(wall * 1000, cpu * 1000, len(events), len(cards))


def _quiet(idle: timedelta) -> object:
    return (
        (Conversation.status == ConversationStatus.OPEN)
        & (Conversation.last_activity_at >= NOW - TIMER_WINDOW)
        & (Conversation.last_activity_at <= NOW - idle)
    )


def old_way(services: Services, idle: timedelta) -> Tick:
    """The timers before due_at: assess every open conversation quiet for 15 min to 24 h, in
    one unit of work, rolled back. A lower bound: it raises no escalation and sends no reminder."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    with services.store.unit_of_work() as uow:
        quiet = uow.session.scalars(select(Conversation).where(_quiet(idle)))  # type: ignore[attr-defined]
        escalate = 0
        for conversation in quiet:
            assessment = services.desk.escalator.assess(uow, conversation, NOW)
            escalate += assessment.action == "escalate"
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Tick(wall * 1000, cpu * 1000, escalate, 0)


def candidates(services: Services, idle: timedelta) -> int:
    """How many conversations the old way would assess."""
    with services.store.unit_of_work() as uow:
        query = select(func.count()).select_from(Conversation).where(_quiet(idle))
        return int(uow.session.scalar(query))  # type: ignore[attr-defined]


def measure(
    database: Database,
    shape: Shape,
    domain: tuple[KnowledgeBase, StageModel, StuckDetector],
    seed: int,
    progress: Callable[[str], None],
    repeat: int = REPEAT,
) -> Row:
    """Build the conversations once, then time fresh ticks (and the old way) on copies."""
    kb, model, detector = domain
    idle = timedelta(minutes=detector.rules.idle_minutes)
    build = populate(database.store, shape, kb, model, idle, seed)
    database.snapshot()
    services = compose(database.store, kb, model, detector)
    tick(services)  # untimed: SQLAlchemy compiles and caches the statements once per engine
    ticks = []
    for _ in range(repeat):
        database.restore()
        connect(database)
        ticks.append(tick(services))
    database.restore()
    connect(database)
    quiet = candidates(services, idle)
    old = None
    if shape.open <= OLD_WAY_LIMIT and shape.due * 100 >= shape.open:
        old = [old_way(services, idle) for _ in range(repeat if shape.open <= 1_000 else 1)]
    row = Row(database.label, shape, build, ticks, quiet, old)
    progress(f"{database.label} {shape.open:,} open, {shape.due:,} due: done")
    return row


@contextmanager
def databases(postgres: str | None) -> Iterator[Callable[[str, str], Database]]:
    """Makes fresh databases of either engine; everything made is closed (or dropped) after."""
    made: list[Database] = []
    with tempfile.TemporaryDirectory(prefix="supportbot-deskbench-") as folder:

        def make(engine: str, name: str) -> Database:
            if engine == "PostgreSQL":
                assert postgres is not None
                database: Database = PostgresDatabase(postgres, f"supportbot_desk_{name}")
            else:
                database = SqliteDatabase(Path(folder), name)
            made.append(database)
            return database

        try:
            yield make
        finally:
            for database in made:
                database.close()


def run(
    opens: list[int],
    postgres: str | None,
    domain: tuple[KnowledgeBase, StageModel, StuckDetector],
    seed: int,
    progress: Callable[[str], None],
    repeat: int = REPEAT,
) -> list[Row]:
    """Every shape on SQLite, and on PostgreSQL when a server is given."""
    rows = []
    engines = ["SQLite"] + (["PostgreSQL"] if postgres else [])
    with databases(postgres) as make:
        for engine in engines:
            for shape in shapes(opens):
                database = make(engine, f"open{shape.open}_due{shape.due}")
                try:
                    rows.append(measure(database, shape, domain, seed, progress, repeat))
                finally:
                    database.close()
    return rows


def report(rows: list[Row]) -> list[str]:
    """The table of part 2 and its targets."""
    lines = []
    body = []
    for row in rows:
        s = row.shape
        wall, cpu = row.median("wall_ms"), row.median("cpu_ms")
        if row.old:
            old_wall, old_cpu = row.median("wall_ms", old=True), row.median("cpu_ms", old=True)
            old = (f"{old_wall:,.0f}", f"{old_cpu:,.0f}", f"{old_wall / wall:,.0f}x")
        else:
            old = (_skipped(row, rows), "-", "-")
        body.append((
            row.engine, f"{s.open:,}", f"{s.due:,}", f"{s.reminders:,}", f"{row.build_s:.1f}",
            f"{wall:,.1f}", f"{cpu:,.1f}",
            f"{min(t.wall_ms for t in row.ticks):,.0f}-{max(t.wall_ms for t in row.ticks):,.0f}",
            f"{row.ticks[0].escalated:,}", f"{row.ticks[0].reminded:,}", f"{row.candidates:,}",
            *old,
        ))  # fmt: skip
    header = ("engine", "open", "due", "reminders due", "build s", "tick wall ms (median)",
              "tick CPU ms (median)", "tick wall ms (range)", "escalated", "reminded",
              "old way assesses", "old way wall ms", "old way CPU ms",
              "old way / tick")  # fmt: skip
    lines += [table(header, body), ""]
    for engine in dict.fromkeys(r.engine for r in rows):
        mine = [r for r in rows if r.engine == engine]
        small = mine[0]
        same = [r for r in mine if r.shape.due == small.shape.due and r is not small]
        if not same:
            continue
        big = same[-1]
        ratio = big.median("wall_ms") / small.median("wall_ms")
        lines.append(
            f"- Target ({engine}): tick time flat within {TARGET_FLAT:g}x from "
            f"{small.shape.open:,} to {big.shape.open:,} open at the same number due "
            f"({small.shape.due:,}): {small.median('wall_ms'):,.1f} ms -> "
            f"{big.median('wall_ms'):,.1f} ms = {ratio:.2f}x: {met(ratio <= TARGET_FLAT)}"
        )
        scaled = [r for r in mine if r.shape.due * 100 >= r.shape.open]
        if len(scaled) > 1:
            a, b = scaled[0], scaled[-1]
            lines.append(
                f"- ({engine}) at 1% due the tick grows with what is due: {a.shape.due:,} due "
                f"{a.median('wall_ms'):,.1f} ms -> {b.shape.due:,} due "
                f"{b.median('wall_ms'):,.1f} ms ({b.median('wall_ms') / a.median('wall_ms'):.1f}x "
                f"for {b.shape.due / a.shape.due:.0f}x due)"
            )
    return lines


def _skipped(row: Row, rows: list[Row]) -> str:
    """An estimate from the largest size the old way was run at, by conversations assessed."""
    measured = [r for r in rows if r.engine == row.engine and r.old]
    if not measured:
        return "skipped"
    largest = max(measured, key=lambda r: r.candidates)
    per = largest.median("wall_ms", old=True) / max(largest.candidates, 1)
    return f"skipped (would take ~{per * row.candidates / 1000:,.0f} s)"
