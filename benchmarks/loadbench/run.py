"""One run, normal or fault: a fake Slack, a fresh database, the workers and what spreads the
load over them, the load itself, then the wait for stragglers; everything is stopped (and the
database dropped) on the way out, whatever happens."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._proxy import RoundRobinProxy
from benchmarks.loadbench.database import Database
from benchmarks.loadbench.faults import WorkerKill, planned_kill
from benchmarks.loadbench.processes import ProxyProcess, Workers, machine_busy, process_cpu_seconds
from benchmarks.loadbench.simulator import AGENTS, SECRET, Event, Load, Target
from benchmarks.loadbench.slack_api import FailureInjector, RecordingFake

BOT_TOKEN = "xoxb-load-benchmark"

# CPU seconds so far: workers, proxy process, this process; machine (busy, total) jiffies.
CpuSnapshot = tuple[float, float, float, tuple[float, float] | None]


@dataclass
class RunResult:
    """What one run measured, before any figure is worked out."""

    name: str
    events: list[Event]
    load_seconds: float
    behind: float
    users: int
    unsolicited: int
    drained_in: float | None  # seconds after the load until everything was answered
    fake_ok: int
    fake_failed: int
    injected: Counter[int]
    proxy: dict[str, list[int]]
    db: dict[str, object]
    cpu_during: list[float]  # CPU s during the load: workers, proxy, benchmark, the rest
    machine_busy: float | None  # share of all CPUs busy during the load
    log_levels: Counter[str]
    log_messages: Counter[str]
    agents_backlog: int = 0  # agents' channel posts still queued at the end
    late: int = 0  # unanswered at the end, but the reply is still queued in the outbox
    posts_per_s: float = 0.0  # chat.postMessage accepted per second during the load
    kill_at: float | None = None  # monotonic
    mark_at: float | None = None  # the kill, or in a normal run the moment it would happen
    restarted_ready_at: float | None = None
    killed_pid: int | None = None
    notes: list[str] = field(default_factory=list)


def base_env() -> dict[str, str]:
    """This process's environment without the app's own settings (so none leaks in)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "SUPPORT_", "DATABASE_", "KB_", "ESCALATION_",
                                "STAGE_", "TIMER_", "LOG_"))}  # fmt: skip
    return env


def run_once(name: str, args: argparse.Namespace, fault: bool, seed: int) -> RunResult:
    """One run with fresh everything, in a temporary log directory (kept with --keep-logs)."""
    logdir = Path(tempfile.mkdtemp(prefix=f"supportbot-load-{name}-"))
    try:
        return _run_once(name, args, fault, seed, logdir)
    finally:
        if args.keep_logs:
            print(f"  [{name}] logs kept in {logdir}")
        else:
            shutil.rmtree(logdir, ignore_errors=True)


def _front(kind: str, workers: Workers, logdir: Path, stack: contextlib.ExitStack,
           proxy_stats: dict[str, list[int]]) -> tuple[Target, int | None]:  # fmt: skip
    """What the load posts to, per --proxy, and the proxy's pid if it has its own process;
    `stack` stops the proxy, filling `proxy_stats`."""
    if kind == "process":
        proxy = ProxyProcess(workers.ports, logdir)

        def stop_proxy() -> None:
            proxy_stats.update(proxy.stop())

        stack.callback(stop_proxy)
        return Target([proxy.port]), proxy.proc.pid
    if kind == "thread":
        thread_proxy = RoundRobinProxy([("127.0.0.1", p) for p in workers.ports]).start()

        def stop_thread_proxy() -> None:
            proxy_stats.update(thread_proxy.stats())
            thread_proxy.stop()

        stack.callback(stop_thread_proxy)
        return Target([thread_proxy.port]), None
    return Target(list(workers.ports)), None


def _wait_for_stragglers(name: str, load: Load, database: Database,
                         drain: float) -> float | None:  # fmt: skip
    """Seconds after the load until every message was answered, or None at the deadline."""
    # Rows a dead worker held stay "sending" until their lease ends. Cards queued for the
    # agents' channel are no customer's answer and are not waited for.
    deadline = load.stopped_at + drain
    last_print = time.monotonic()
    while time.monotonic() < deadline:
        inbox, outbox, agents_left = database.unfinished()
        unanswered = load.unanswered()
        if unanswered == 0 and inbox == 0 and outbox == 0 and load.sending() == 0:
            return time.monotonic() - load.stopped_at
        if time.monotonic() - last_print >= 10:
            last_print = time.monotonic()
            print(f"  [{name}] draining +{time.monotonic() - load.stopped_at:3.0f}s "
                  f"unanswered={unanswered:5d} inbox-unfinished={inbox:4d} "
                  f"outbox-pending: DMs={outbox:5d} agents={agents_left:4d} "
                  f"redeliveries-pending={load.sending()}", flush=True)  # fmt: skip
        time.sleep(0.25)
    return None


def _run_once(name: str, args: argparse.Namespace, fault: bool, seed: int,
              logdir: Path) -> RunResult:  # fmt: skip
    stack = contextlib.ExitStack()
    with stack:
        holder: dict[str, Load] = {}
        fake = RecordingFake(lambda params, at: holder["load"].on_post(params, at)
                             if "load" in holder else None,
                             latency=args.fake_latency)  # fmt: skip
        fake.start()
        stack.callback(fake.stop)
        env = base_env()
        env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_BASE_URL=fake.base_url, SUPPORT_AGENT_CHANNEL=AGENTS,
                   TIMER_INTERVAL_SECONDS=str(args.timer_interval),
                   LOG_LEVEL="WARNING")  # fmt: skip
        database = Database(args.database_url, env)
        stack.callback(database.drop)
        env["DATABASE_URL"] = database.url
        workers = Workers(args.workers, env, logdir)
        stack.callback(workers.stop_all)
        workers.start_all()

        proxy_stats: dict[str, list[int]] = {}
        target, proxy_pid = _front(args.proxy, workers, logdir, stack, proxy_stats)

        injector = FailureInjector(fake, args.fail_rate, seed)
        injector.start()
        stack.callback(injector.stop)
        load = Load(target, args.rate, args.duration, args.users, args.senders, seed)
        holder["load"] = load
        stack.callback(load.stop)

        def tick(second: int) -> None:
            if second % 10 == 0:
                inbox, outbox, agents = database.unfinished()
                print(f"  [{name}] t={second:3d}s sent={len(load.events):5d} "
                      f"unanswered={load.unanswered():5d} inbox-unfinished={inbox:4d} "
                      f"outbox-pending: DMs={outbox:5d} agents={agents:4d}",
                      flush=True)  # fmt: skip

        def cpu_snapshot() -> CpuSnapshot:
            proxy_cpu = (process_cpu_seconds(proxy_pid) or 0.0) if proxy_pid else 0.0
            return (sum(workers.cpu_seconds()), proxy_cpu, sum(os.times()[:2]),
                    machine_busy())  # fmt: skip

        before = cpu_snapshot()
        killer = WorkerKill(workers, load, args.duration) if fault else None
        if killer is not None:
            killer.start_with_load()
        load.run(on_tick=tick)
        after = cpu_snapshot()
        # CPU seconds during the load only: workers, proxy, benchmark (+ fake), the rest of
        # the machine (PostgreSQL and anything else running).
        cpu_during = [a - b for a, b in zip(after[:3], before[:3], strict=True)]
        cpu_before, cpu_after = before[3], after[3]
        if cpu_before and cpu_after:
            machine_s = (cpu_after[0] - cpu_before[0]) / os.sysconf("SC_CLK_TCK")
            cpu_during.append(machine_s - sum(cpu_during))
        if killer is not None:
            killer.join(timeout=120)

        # Stragglers: wait until every message is answered and nothing for a customer is
        # left in the inbox or outbox, then a little longer so that late duplicates are
        # counted.
        drained_in = _wait_for_stragglers(name, load, database, args.drain)
        time.sleep(args.settle)
        agents_left = database.unfinished()[2]
        load.stop()
        injector.stop()
        db_stats = database.stats()
        queued = database.queued_channels()
        stack.close()  # stop everything now (proxy stats are read when it stops)
        levels, messages = workers.log_summary()
        busy = None
        if cpu_before and cpu_after and cpu_after[1] > cpu_before[1]:
            busy = (cpu_after[0] - cpu_before[0]) / (cpu_after[1] - cpu_before[1])
        kill_at = killer.kill_at if killer is not None else None
        return RunResult(
            name=name, events=list(load.events),
            load_seconds=load.stopped_at - load.started_at, behind=load.behind,
            users=load.users_created, unsolicited=load.unsolicited, drained_in=drained_in,
            fake_ok=fake.posts_ok, fake_failed=fake.posts_failed,
            injected=Counter(injector.injected), proxy=dict(proxy_stats), db=db_stats,
            cpu_during=cpu_during, machine_busy=busy,
            log_levels=levels, log_messages=messages,
            agents_backlog=agents_left,
            late=sum(1 for e in load.events if e.replied_at is None and "D" + e.user in queued),
            posts_per_s=sum(1 for t in load.post_times if load.started_at <= t
                            <= load.stopped_at) / max(1e-9, load.stopped_at - load.started_at),
            kill_at=kill_at,
            mark_at=kill_at if kill_at is not None
            else planned_kill(load.started_at, args.duration),
            restarted_ready_at=killer.ready_at if killer is not None else None,
            killed_pid=killer.pid if killer is not None else None,
        )  # fmt: skip
