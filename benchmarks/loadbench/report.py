"""The report: each run's figures (nearest-rank percentiles, the kill window of the fault run)
and the plain-text tables printed: configuration, results side by side, targets."""

from __future__ import annotations

import argparse
import os
import platform
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.loadbench.faults import AROUND_KILL, KILL_AT, RESTART_AFTER
from benchmarks.loadbench.run import RunResult

TARGET_ACK_P99_MS = 200.0


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def table(rows: list[tuple[str, ...]], header: tuple[str, ...] | None = None,
          left: int = 1) -> str:  # fmt: skip
    """Plain-text columns: the first `left` columns left-aligned, the others right-aligned."""
    all_rows = ([header] if header else []) + rows
    widths = [max(len(str(r[i])) for r in all_rows) for i in range(len(all_rows[0]))]
    lines = []
    for n, row in enumerate(all_rows):
        lines.append(
            "  ".join(
                str(c).ljust(w) if i < left else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if header and n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ms(value: float | None) -> str:
    """Milliseconds with thousands separators, "-" for none."""
    return "-" if value is None else f"{value:,.0f}"


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


@dataclass
class Summary:
    """The figures of one run, in milliseconds where they are times."""

    sent: int
    rate: float
    ack_p50: float | None
    ack_p99: float | None
    ack_max: float | None
    first_not_200: Counter[str]
    redelivered: int
    gave_up: int
    reply_p50: float | None
    reply_p99: float | None
    reply_max: float | None
    relayed: int
    handovers: int
    lost: int
    duplicated: int
    extra_posts: int
    recovery: float | None = None
    recovered: bool = True
    around_kill_max: float | None = None
    around_kill_n: int = 0
    slow_after_kill: int = 0


def summarise(r: RunResult) -> Summary:
    """The figures of one run, the kill window's included (a normal run's as a baseline)."""
    events = r.events
    acks = [e.ack_ms for e in events if e.ack_ms is not None]
    replies = [(e.replied_at - e.sent_at) * 1000 for e in events if e.replied_at is not None]
    sent_times = [e.sent_at for e in events if e.sent_at]
    span = (max(sent_times) - min(sent_times)) if len(sent_times) > 1 else 0.0
    summary = Summary(
        sent=len(events),
        rate=(len(events) - 1) / span if span > 0 else float(len(events)),
        ack_p50=percentile(acks, 50), ack_p99=percentile(acks, 99),
        ack_max=max(acks) if acks else None,
        first_not_200=Counter(e.first_status for e in events if e.first_status != "200"),
        redelivered=sum(1 for e in events if e.attempts > 1),
        gave_up=sum(1 for e in events if e.gave_up and not e.acked),
        reply_p50=percentile(replies, 50), reply_p99=percentile(replies, 99),
        reply_max=max(replies) if replies else None,
        relayed=sum(1 for e in events if e.outcome == "relay"),
        handovers=sum(1 for e in events if e.handover),
        lost=sum(1 for e in events if e.replied_at is None),
        duplicated=sum(1 for e in events if e.extra > 0),
        extra_posts=sum(e.extra for e in events) + r.unsolicited,
    )  # fmt: skip
    if r.mark_at is not None:
        kill = r.mark_at
        before = [e for e in events if e.sent_at <= kill + AROUND_KILL]
        summary.recovered = all(e.replied_at is not None for e in before)
        done = [e.replied_at for e in before if e.replied_at is not None]
        summary.recovery = (max(done) - kill) if done and summary.recovered else None
        around = [e for e in events if abs(e.sent_at - kill) <= AROUND_KILL]
        summary.around_kill_n = len(around)
        waits = [(e.replied_at - e.sent_at) * 1000 for e in around if e.replied_at is not None]
        summary.around_kill_max = max(waits) if waits else None
        summary.slow_after_kill = sum(
            1 for e in events
            if e.sent_at <= kill + AROUND_KILL and e.replied_at is not None
            and e.replied_at - e.sent_at > 10)  # fmt: skip
    return summary


def report_config(args: argparse.Namespace, pg: str) -> str:
    """The configuration table printed before the runs."""
    proxy = {
        "process": "round-robin proxy (benchmarks/_proxy.py) in its own process, "
        "skips workers that refuse connections",
        "thread": "round-robin proxy (benchmarks/_proxy.py) in a thread of the benchmark",
        "none": "no proxy: the load generator alternates between the workers' ports",
    }
    rows = [
        ("runs", ", ".join(args.run_list)),
        ("rate (events/s)", f"{args.rate:g}"),
        ("duration (s)", f"{args.duration:g}"),
        ("workers", str(args.workers)),
        ("front", proxy[args.proxy]),
        ("customers", f"{args.users} to start with (more join when all are waiting)"),
        ("Slack retries", "no 200 within 3 s -> same event_id after 1 s, 5 s, 15 s "
                          "(Slack: 0 s, 1 min, 5 min)"),
        ("fake Slack latency", f"{args.fake_latency[0] * 1000:.0f}-"
                               f"{args.fake_latency[1] * 1000:.0f} ms per call (uniform)"),
        ("fake Slack failures", f"~{args.fail_rate:.1%} of chat.postMessage: 429 Retry-After "
                                "1 s or 500, half each"),
        ("fault", f"SIGKILL worker 0 after {KILL_AT:.0%} of the load, restart after "
                  f"{RESTART_AFTER:g} s" if "fault" in args.run_list else "no fault run"),
        ("TIMER_INTERVAL_SECONDS", f"{args.timer_interval:g}"),
        ("wait for stragglers", f"up to {args.drain:g} s after the load"),
        ("machine", f"nproc {os.cpu_count()}, {cpu_model()}, load average before start "
                    f"{os.getloadavg()[0]:.2f}"),
        ("Python", platform.python_version()),
        ("PostgreSQL", pg),
    ]  # fmt: skip
    return table(rows, left=2)


def report_runs(results: list[RunResult], summaries: list[Summary]) -> str:
    """The results table, one column per run, with its footnote."""
    names = tuple(r.name for r in results)

    def row(label: str, values: list[str]) -> tuple[str, ...]:  # noqa: E306
        return (label, *values)

    S = summaries
    rows = [
        row("sent (events)", [f"{s.sent:,}" for s in S]),
        row("events/s sent", [f"{s.rate:.1f}" for s in S]),
        row("sender fell behind by (s)", [f"{r.behind:.2f}" for r in results]),
        row("customers", [f"{r.users:,}" for r in results]),
        row("ack p50 (ms)", [ms(s.ack_p50) for s in S]),
        row("ack p99 (ms)", [ms(s.ack_p99) for s in S]),
        row("ack max (ms)", [ms(s.ack_max) for s in S]),
        row("first attempt not 200", [", ".join(f"{k} x{v}" for k, v in sorted(
            s.first_not_200.items())) or "0" for s in S]),
        row("events redelivered", [str(s.redelivered) for s in S]),
        row("events never acked", [str(s.gave_up) for s in S]),
        row("reply p50 (ms)", [ms(s.reply_p50) for s in S]),
        row("reply p99 (ms)", [ms(s.reply_p99) for s in S]),
        row("reply max (ms)", [ms(s.reply_max) for s in S]),
        row("answers handing over to a person", [str(s.handovers) for s in S]),
        row("answered by relay to agent", [str(s.relayed) for s in S]),
        row("lost (no answer by the end)", [str(s.lost) for s in S]),
        row("  of which reply still queued in outbox", [str(r.late) for r in results]),
        row("duplicated (events)", [str(s.duplicated) for s in S]),
        row("extra customer posts", [str(s.extra_posts) for s in S]),
        row("all answered after load (s)",
            [f"{r.drained_in:.1f}" if r.drained_in is not None else "no (timed out)"
             for r in results]),
        row("recovery after kill (s) [1]",
            [(f"{s.recovery:.1f}" if s.recovery is not None else "not recovered")
             + ("" if r.kill_at is not None else " (no kill)")
             for r, s in zip(results, S, strict=True)]),
        row("worst reply, sent +-2.5 s of kill (ms) [1]",
            [f"{ms(s.around_kill_max)} (of {s.around_kill_n})"
             for r, s in zip(results, S, strict=True)]),
        row("replies > 10 s, sent before kill+2.5 s [1]",
            [str(s.slow_after_kill) for r, s in zip(results, S, strict=True)]),
        row("worker restarted, ready after (s)",
            ["-" if r.kill_at is None or r.restarted_ready_at is None
             else f"{r.restarted_ready_at - r.kill_at:.1f}" for r in results]),
        row("fake: chat.postMessage ok/failed", [f"{r.fake_ok}/{r.fake_failed}"
                                                 for r in results]),
        row("fake: injected 429/500", [f"{r.injected[429]}/{r.injected[500]}" for r in results]),
        row("posts accepted/s during load", [f"{r.posts_per_s:.1f}" for r in results]),
        row("agents' channel posts queued at end", [str(r.agents_backlog) for r in results]),
        row("proxy: forwarded per worker", [str(r.proxy.get("forwarded", "-"))
                                            for r in results]),
        row("proxy: refused / failed mid-request",
            [f"{r.proxy.get('refused', '-')} / {r.proxy.get('failed', '-')}" for r in results]),
        row("CPU s during load: workers (all)", [f"{r.cpu_during[0]:.0f}" for r in results]),
        row("  proxy process", [f"{r.cpu_during[1]:.0f}" for r in results]),
        row("  benchmark + fake Slack", [f"{r.cpu_during[2]:.0f}" for r in results]),
        row("  rest of machine (PostgreSQL, other)",
            [f"{r.cpu_during[3]:.0f}" if len(r.cpu_during) > 3 else "-" for r in results]),
        row("machine busy during load", [f"{r.machine_busy:.0%}" if r.machine_busy is not None
                                         else "-" for r in results]),
    ]  # fmt: skip
    for key in results[0].db:
        rows.append(row(f"db: {key}", [str(r.db.get(key, "-")) for r in results]))
    rows.append(row("worker log lines", [", ".join(f"{k} {v}" for k, v in sorted(
        r.log_levels.items())) or "none" for r in results]))  # fmt: skip
    notes = (
        "\n[1] the fault run kills a worker after half of the load; the normal run shows the "
        "same\n    figures for the same moment without a kill, as a baseline. Recovery = "
        "from the kill\n    until every message sent up to 2.5 s after it was answered."
    )
    return table(rows, ("", *names)) + notes


def report_targets(args: argparse.Namespace, results: list[RunResult],
                   summaries: list[Summary]) -> tuple[str, bool]:  # fmt: skip
    """The targets table, and whether every target was met."""
    rows = []
    all_met = True
    for r, s in zip(results, summaries, strict=True):
        checks = [
            (f"ack p99 <= {TARGET_ACK_P99_MS:.0f} ms at {args.rate:g} events/s",
             s.ack_p99 is not None and s.ack_p99 <= TARGET_ACK_P99_MS, f"{ms(s.ack_p99)} ms"),
            ("0 lost", s.lost == 0, str(s.lost)),
            ("0 duplicated", s.duplicated == 0 and s.extra_posts == 0,
             f"{s.duplicated} events, {s.extra_posts} extra posts"),
        ]  # fmt: skip
        if args.rate < 50:
            checks[0] = (checks[0][0] + " (target is set at 50/s)", checks[0][1], checks[0][2])
        for label, met, value in checks:
            all_met &= met
            rows.append((r.name, label, value, "met" if met else "NOT MET"))
    return table(rows, ("run", "target", "measured", "result"), left=2), all_met
