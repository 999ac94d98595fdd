"""The four faults. Each `run`s once during its phase's traffic (inject, hold, recover), is
`end`ed after the drain (leftovers cleared), and gives `notes` on what it did and saw."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from benchmarks.faultbench.database import RunDatabase
from benchmarks.faultbench.fake import FaultFake
from benchmarks.faultbench.traffic import HealthProber, PhaseLoad
from benchmarks.loadbench.processes import Workers

CLIENT_TIMEOUT = 15.0  # bot/slack/app.py create_client(timeout=15); no setting changes it
FAULT_AT = 0.25  # share of the phase's traffic sent before the fault starts


@dataclass
class Rig:
    """What a fault acts on: the fake Slack, the database, the one worker, the prober."""

    fake: FaultFake
    database: RunDatabase
    workers: Workers
    prober: HealthProber

    @property
    def pid(self) -> int:
        """The worker's pid."""
        proc = self.workers.procs[0]
        assert proc is not None
        return proc.pid


class Fault(Protocol):
    """What the phase runner needs of a fault."""

    name: str

    def run(self, rig: Rig) -> None: ...

    def end(self, rig: Rig) -> None: ...

    def notes(self, rig: Rig, load: PhaseLoad) -> list[str]: ...


class SlowSlack:
    """The next `count` posts reach Slack at once, but the answer comes after the client's
    timeout: the app cannot know whether they went out."""

    name = "slow Slack"

    def __init__(self, count: int, seconds: float = CLIENT_TIMEOUT + 1.5) -> None:
        self.count, self.seconds = count, seconds
        self.started = 0.0

    def run(self, rig: Rig) -> None:
        """Slow the next posts down."""
        self.started = time.monotonic()
        rig.fake.slow_next(self.count, self.seconds)

    def end(self, rig: Rig) -> None:
        """No more slow posts."""
        rig.fake.slow_next(0, 0.0)

    def notes(self, rig: Rig, load: PhaseLoad) -> list[str]:
        """How many posts were answered late, and how often the app looked them up."""
        checks = rig.fake.count_calls("conversations.history", self.started)
        return [f"{rig.fake.slowed} posts answered after {self.seconds:g} s "
                f"(client timeout {CLIENT_TIMEOUT:g} s)",
                f"{checks} conversations.history checks"]  # fmt: skip


class RateLimitStorm:
    """The next `count` chat.postMessage calls get 429 with Retry-After 1."""

    name = "429 storm"

    def __init__(self, count: int) -> None:
        self.count = count
        self.before = 0
        self.served = 0

    def run(self, rig: Rig) -> None:
        """Queue the 429s in the fake."""
        self.before = rig.fake.posts_failed
        rig.fake.fail_next("chat.postMessage", 429, times=self.count, retry_after=1)

    def end(self, rig: Rig) -> None:
        """Count the 429s served and drop any not used."""
        self.served = rig.fake.posts_failed - self.before
        rig.fake.clear_failures()

    def notes(self, rig: Rig, load: PhaseLoad) -> list[str]:
        """How many 429s the app got."""
        return [f"{self.served} of {self.count} posts answered 429 (Retry-After 1)"]


class SighupStorm:
    """`count` SIGHUPs to the worker within about `over` seconds."""

    name = "SIGHUP storm"

    def __init__(self, count: int = 50, over: float = 1.0) -> None:
        self.count, self.over = count, over
        self.sent, self.took = 0, 0.0
        self.gone = False

    def run(self, rig: Rig) -> None:
        """Send the signals on schedule; stop early if the worker is gone."""
        pid, started = rig.pid, time.monotonic()
        for i in range(self.count):
            due = started + i * self.over / self.count
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                os.kill(pid, signal.SIGHUP)
            except ProcessLookupError:
                self.gone = True
                break
            self.sent += 1
        self.took = time.monotonic() - started

    def end(self, rig: Rig) -> None:
        """Nothing to clear."""

    def notes(self, rig: Rig, load: PhaseLoad) -> list[str]:
        """Signals sent, and the reloads the worker logged."""
        log = rig.workers.logdir / "worker0.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        reloads = text.count("knowledge base reloaded") + text.count("knowledge base kept")
        notes = [f"{self.sent} SIGHUP in {self.took:.1f} s", f"{reloads} reloads logged"]
        if self.gone:
            notes.append("worker gone during the storm")
        return notes


class ReadOnlyDatabase:
    """The database refuses writes for `hold` seconds; its sessions are ended at both ends."""

    name = "read-only database"

    def __init__(self, hold: float = 5.0) -> None:
        self.hold = hold
        self.on_at = self.off_at = 0.0
        self.ended: list[int] = []

    def run(self, rig: Rig) -> None:
        """Read-only, wait, writable again."""
        self.on_at = time.monotonic()
        try:
            self.ended.append(rig.database.set_read_only(True))
            time.sleep(self.hold)
        finally:
            self.ended.append(rig.database.set_read_only(False))
            self.off_at = time.monotonic()

    def end(self, rig: Rig) -> None:
        """Nothing to clear: `run` made the database writable again."""

    def notes(self, rig: Rig, load: PhaseLoad) -> list[str]:
        """What /healthz said during the fault, and what Slack had to resend."""
        said = rig.prober.statuses(self.on_at, self.off_at)
        health = ", ".join(f"{status} x{n}" for status, n in sorted(said.items(), key=str))
        refused = Counter(e.first_status for e in load.events if e.first_status != "200")
        answers = ", ".join(f"{status} x{n}" for status, n in sorted(refused.items()))
        resent = sum(max(0, e.attempts - 1) for e in load.events)
        if said.get(200):
            health += " (healthy while read-only)"
        ended = " and ".join(str(n) for n in self.ended)
        return [f"{self.off_at - self.on_at:.1f} s read-only ({ended} sessions ended)",
                f"/healthz during it: {health or 'no probe'}",
                f"events not acked 200 at first: {refused.total()} ({answers}), "
                f"resent: {resent}"]  # fmt: skip


class FaultThread(threading.Thread):
    """Runs `fault` once FAULT_AT of `load`'s traffic has been sent; records when."""

    def __init__(self, fault: Fault, rig: Rig, load: PhaseLoad) -> None:
        super().__init__(name="fault", daemon=True)
        self.fault, self.rig, self.load = fault, rig, load
        self.started: float | None = None
        self.error: str | None = None

    def run(self) -> None:
        """Wait for the load to start and reach the moment, then run the fault."""
        give_up = time.monotonic() + 30
        while not self.load.started_at and time.monotonic() < give_up:
            time.sleep(0.01)
        due = self.load.started_at + FAULT_AT * self.load.duration
        time.sleep(max(0.0, due - time.monotonic()))
        self.started = time.monotonic()
        try:
            self.fault.run(self.rig)
        except Exception as exc:  # noqa: BLE001 - reported in the table, not a crash
            self.error = f"{type(exc).__name__}: {exc}"
