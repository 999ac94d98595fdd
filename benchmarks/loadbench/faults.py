"""The fault run: at half the load, one worker is killed with SIGKILL and started again 2 s later
while the load goes on. Its unfinished inbox and outbox rows are taken over by the other
workers once their leases end; the report measures how long that really takes."""

from __future__ import annotations

import threading
import time

from benchmarks.loadbench.processes import Workers
from benchmarks.loadbench.simulator import Load

LEASE_SECONDS = 60  # bot/inbox.py and bot/outbox.py LEASE
KILL_AT = 0.5  # share of the load after which the fault run kills a worker
RESTART_AFTER = 2.0
AROUND_KILL = 2.5  # "the 5 s around the kill": kill - 2.5 s .. kill + 2.5 s


def planned_kill(started_at: float, duration: float) -> float:
    """When the fault run kills the worker (monotonic), for a load started at `started_at`."""
    return started_at + duration * KILL_AT


class WorkerKill(threading.Thread):
    """Kills worker 0 after KILL_AT of the load, starts it again RESTART_AFTER later and waits
    until it is ready; records when (monotonic) and which pid."""

    def __init__(self, workers: Workers, load: Load, duration: float) -> None:
        super().__init__(daemon=True, name="fault")
        self.workers, self.load, self.duration = workers, load, duration
        self.kill_at: float | None = None
        self.pid: int | None = None
        self.ready_at: float | None = None

    def start_with_load(self) -> None:
        """Start this thread 0.2 s from now, once the load (started next) has a start time."""
        threading.Timer(0.2, self.start).start()

    def run(self) -> None:
        """Wait for the moment, kill, restart, wait for the new process to be ready."""
        kill_due = planned_kill(self.load.started_at, self.duration)
        while time.monotonic() < kill_due:
            time.sleep(0.05)
        self.kill_at = time.monotonic()
        self.pid = self.workers.kill(0)
        time.sleep(RESTART_AFTER)
        self.workers.start(0)
        self.workers.wait_ready(0)
        self.ready_at = time.monotonic()
