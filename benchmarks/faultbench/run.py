"""The run: one fake Slack and one database for all faults; per fault a fresh worker, a
baseline phase and the fault phase of the same traffic, then SIGTERM; then the counts, taken
from what the fake Slack holds once the worker is gone. Everything started is stopped, and the
database dropped, whatever happens."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.faultbench.database import RunDatabase
from benchmarks.faultbench.fake import FaultFake, outbox_key
from benchmarks.faultbench.faults import Fault, FaultThread, Rig
from benchmarks.faultbench.traffic import HealthProber, PhaseLoad
from benchmarks.loadbench.processes import Workers
from benchmarks.loadbench.run import BOT_TOKEN, base_env
from benchmarks.loadbench.simulator import AGENTS, SECRET

FAKE_LATENCY = (0.02, 0.08)
SILENCE = 5.0  # no answer to /healthz for longer than this is a hang
SIGTERM_WAIT = 10.0  # a worker still running this long after SIGTERM is a hang
SETTLE = 2.0  # seconds to keep counting once a phase has drained


@dataclass
class Phase:
    """One phase's traffic and what it measured, before the counts."""

    label: str
    load: PhaseLoad
    started: float
    ended: float
    drain: float | None
    given_up: int
    notes: list[str] = field(default_factory=list)


@dataclass
class Row:
    """One line of the table."""

    fault: str
    sent: int
    expected: int
    replied: int
    duplicates: int
    lost: int
    hangs: int
    drain: float | None
    slowest: float | None  # seconds from a message to its reply, the longest in the phase
    notes: list[str]


def run_all(faults: list[Fault], args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    """Every fault after its baseline; the rows and, per fault, the worker log's summary."""
    rows: list[Row] = []
    logs: list[str] = []
    logroot = Path(tempfile.mkdtemp(prefix="supportbot-faults-"))
    with contextlib.ExitStack() as stack:
        stack.callback(_forget_logs, logroot, args.keep_logs)
        fake = FaultFake(latency=FAKE_LATENCY)
        stack.callback(fake.stop)
        fake.start()
        env = base_env()
        env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_BASE_URL=fake.base_url, SUPPORT_AGENT_CHANNEL=AGENTS,
                   TIMER_INTERVAL_SECONDS="2", LOG_LEVEL="WARNING")  # fmt: skip
        database = RunDatabase(args.database_url)
        stack.callback(database.drop)
        database.create(env)
        env["DATABASE_URL"] = database.url
        for n, fault in enumerate(faults, start=1):
            logdir = logroot / f"fault{n}"
            logdir.mkdir()
            pair, log = _run_pair(n, fault, fake, database, env, logdir, args)
            rows += pair
            logs.append(log)
    return rows, logs


def _forget_logs(logroot: Path, keep: bool) -> None:
    if keep:
        print(f"worker logs kept in {logroot}")
    else:
        shutil.rmtree(logroot, ignore_errors=True)


def _run_pair(n: int, fault: Fault, fake: FaultFake, database: RunDatabase,
              env: dict[str, str], logdir: Path,
              args: argparse.Namespace) -> tuple[list[Row], str]:  # fmt: skip
    workers = Workers(1, env, logdir)
    with contextlib.ExitStack() as stack:
        stack.callback(workers.stop_all)
        workers.start(0)
        workers.wait_ready(0)
        prober = HealthProber(workers.ports[0])
        stack.callback(prober.stop)
        prober.start()
        rig = Rig(fake, database, workers, prober)
        print(f"{fault.name}: baseline ...", flush=True)
        baseline = _run_phase(f"F{n}B", f"{fault.name} (baseline)", None, rig, args)
        print(f"{fault.name}: fault ...", flush=True)
        faulty = _run_phase(f"F{n}F", fault.name, fault, rig, args)
        exited, note = _sigterm(workers)
        faulty.notes.append(note)
        prober.stop()
    levels, messages = workers.log_summary()
    rows = [_count(phase, fake, prober) for phase in (baseline, faulty)]
    rows[-1].hangs += 0 if exited else 1
    summary = ", ".join(f"{level} {count}" for level, count in sorted(levels.items()))
    lines = [f"{fault.name}: worker log: {summary or 'empty'}"]
    lines += [f"  {count:5d}  {text}" for text, count in messages.most_common(5)]
    return rows, "\n".join(lines)


def _run_phase(prefix: str, label: str, fault: Fault | None, rig: Rig,
               args: argparse.Namespace) -> Phase:  # fmt: skip
    load = PhaseLoad(prefix, rig.workers.ports[0], args.rate, args.duration, args.seed)
    rig.fake.current = load
    thread = FaultThread(fault, rig, load) if fault is not None else None
    if thread is not None:
        thread.start()
    started = time.monotonic()
    try:
        load.run()
        if thread is not None:
            thread.join(timeout=60)
        drain = _drain(load, rig.database, args.drain)
        time.sleep(SETTLE)
    finally:
        load.stop()
        if fault is not None:
            fault.end(rig)
    phase = Phase(label, load, started, time.monotonic(), drain,
                  rig.database.given_up(load.user_prefix))  # fmt: skip
    if fault is not None and thread is not None:
        phase.notes += fault.notes(rig, load)
        if thread.error:
            phase.notes.append(f"fault failed: {thread.error}")
        if thread.is_alive():
            phase.notes.append("fault still running after 60 s")
    return phase


def _drain(load: PhaseLoad, database: RunDatabase, limit: float) -> float | None:
    """Seconds after the last message until each has an answer and nothing of this phase is
    left in the inbox or the outbox; None at the limit."""
    deadline = load.stopped_at + limit
    while time.monotonic() < deadline:
        quiet = load.unanswered() == 0 and load.sending() == 0
        if quiet and database.unfinished(load.user_prefix) == 0:
            return time.monotonic() - load.stopped_at
        time.sleep(0.2)
    return None


def _sigterm(workers: Workers) -> tuple[bool, str]:
    """SIGTERM the worker; whether it exited within SIGTERM_WAIT, and a note saying so."""
    proc = workers.procs[0]
    assert proc is not None
    if proc.poll() is not None:
        return True, f"worker had exited by itself (code {proc.returncode})"
    started = time.monotonic()
    proc.terminate()
    try:
        proc.wait(timeout=SIGTERM_WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
        return False, f"no exit {SIGTERM_WAIT:g} s after SIGTERM (killed)"
    return True, f"exit on SIGTERM in {time.monotonic() - started:.1f} s"


def _count(phase: Phase, fake: FaultFake, prober: HealthProber) -> Row:
    """The row of one phase, from the replies the fake holds for its customers."""
    replied = duplicates = lost = 0
    keys: Counter[str] = Counter()
    for event in phase.load.events:
        replies = fake.replies_in("D" + event.user)
        keys.update(k for k in map(outbox_key, replies) if k is not None)
        replied += bool(replies)
        lost += not replies
        duplicates += max(0, len(replies) - 1)
    silences = prober.silences(phase.started, phase.ended, SILENCE)
    notes = list(phase.notes)
    same_key = sum(c - 1 for c in keys.values() if c > 1)
    if same_key != duplicates:
        notes.append(f"{same_key} duplicates share an outbox key")
    if phase.given_up:
        notes.append(f"{phase.given_up} replies given up by the outbox")
    if silences:
        notes.append("/healthz silent for " + ", ".join(f"{s:.0f} s" for s in silences))
    timeouts = sum(1 for e in phase.load.events if e.first_status == "timeout")
    if timeouts:
        notes.append(f"{timeouts} events not acked within 3 s")
    waits = [e.replied_at - e.sent_at for e in phase.load.events if e.replied_at is not None]
    sent = len(phase.load.events)
    return Row(phase.label, sent, sent, replied, duplicates, lost, len(silences),
               phase.drain, max(waits, default=None), notes)  # fmt: skip
