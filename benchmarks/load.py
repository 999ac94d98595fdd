"""Load and fault benchmark: `supportbot run --http` workers on PostgreSQL, driven like Slack.

    .venv/bin/python benchmarks/load.py          # 50 events/s, 60 s, 2 workers: normal + fault run
    .venv/bin/python benchmarks/load.py --quick  # smoke: 20 events/s for 15 s, normal run only
    .venv/bin/python benchmarks/load.py --runs fault --rate 30 --duration 90 --workers 3
    .venv/bin/python benchmarks/load.py --database-url postgresql://postgres@127.0.0.1:5432/test

Each run gets a fresh PostgreSQL database (CREATE DATABASE supportbot_load_<random> on the
server of --database-url, `supportbot db upgrade`, dropped at the end), a fresh local fake of
Slack's Web API (tests/scenario/fake_slack.py: 50-150 ms latency, about 1.5% of
chat.postMessage calls answered 429 Retry-After: 1 or 500) and `--workers` fresh
`supportbot run --http` processes behind a small round-robin proxy (benchmarks/_proxy.py).

Customers: distinct users, each in its own DM channel ("D" + user id). A customer sends one
message, waits for the app's answer, and may later ask again; the generator sends at a steady
--rate with whichever customer is free (a new customer joins when all are waiting), so every
reply can be matched to the one message its customer has outstanding. A customer whose answer
says that a person takes over (an escalation) waits for that person and writes no more: no
agents answer in this benchmark. Requests are signed as Slack signs them; like Slack, an event
that gets no 200 within 3 s (or whose connection fails) is redelivered with the same event_id
and X-Slack-Retry-Num 1..3. Slack waits about 0 s, 1 min and 5 min between attempts; this
benchmark compresses that to 1 s, 5 s and 15 s.

What counts as the answer to a message: a chat.postMessage that Slack accepted (not one the
fake failed) to the customer's DM channel, or, once a person has taken the conversation over,
the message relayed into the escalation's thread in the agents' channel ("*<@U...>:* text").
Escalation cards and other posts to the agents' channel are not answers. Measured: ack latency
(HTTP round trip of an event's first delivery, through the proxy), time to reply (first
delivery sent -> Slack accepted the answer), lost (no answer when the wait for stragglers
ends: --drain, 120 s after the load), duplicated (more than one answer). Percentiles are
nearest-rank. The exit status is 0 when every target is met, 1 otherwise.

Fault run: at half the load, one worker is killed with SIGKILL and started again 2 s later
while the load goes on. The inbox and outbox leases (60 s) mean its unfinished work is taken
over after about a minute; the run measures how long it really takes.

Traffic goes only to 127.0.0.1. Everything started here is stopped, and the databases are
dropped, on exit, error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loadbench.database import server_version  # noqa: E402
from benchmarks.loadbench.report import (  # noqa: E402
    report_config,
    report_runs,
    report_targets,
    summarise,
)
from benchmarks.loadbench.run import RunResult, run_once  # noqa: E402
from benchmarks.loadbench.slack_api import FAIL_RATE, FAKE_LATENCY  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with the defaults that depend on --quick filled in and checked."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, help="events per second (default 50; quick 20)")
    parser.add_argument("--duration", type=float, help="seconds of load (default 60; quick 15)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=500, help="customers to start with")
    parser.add_argument(
        "--runs",
        choices=("normal", "fault", "both"),
        help="which runs (default both; with --quick: normal)",
    )
    parser.add_argument("--fault", action="store_true", help="include the fault run")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 events/s for 15 s")
    parser.add_argument(
        "--proxy",
        choices=("process", "thread", "none"),
        default="process",
        help="what spreads the load over the workers (default: %(default)s)",
    )
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server (and a database to connect to) on which the "
        "benchmark creates and drops its own databases",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=120.0,
        help="seconds to wait for stragglers after the load (default 120)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=3.0,
        help="seconds to keep counting after everything was answered",
    )
    parser.add_argument(
        "--timer-interval", type=float, default=2.0, help="TIMER_INTERVAL_SECONDS of the workers"
    )
    parser.add_argument(
        "--senders", type=int, default=200, help="threads posting events (Slack's side)"
    )
    parser.add_argument(
        "--fake-latency",
        default=",".join(f"{v:g}" for v in FAKE_LATENCY),
        help="seconds LOW,HIGH the fake Slack takes per call (default: %(default)s)",
    )
    parser.add_argument(
        "--fail-rate",
        type=float,
        default=FAIL_RATE,
        help="share of chat.postMessage calls that fail (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-logs", action="store_true", help="keep the workers' logs")
    args = parser.parse_args(argv)
    args.rate = args.rate or (20.0 if args.quick else 50.0)
    args.duration = args.duration or (15.0 if args.quick else 60.0)
    runs = args.runs or ("normal" if args.quick else "both")
    if args.fault and runs == "normal":
        runs = "both"
    args.run_list = ["normal", "fault"] if runs == "both" else [runs]
    try:
        low, high = (float(v) for v in args.fake_latency.split(","))
    except ValueError:
        parser.error("--fake-latency: expected LOW,HIGH in seconds, such as 0.05,0.15")
    args.fake_latency = (low, high)
    if urlsplit(args.database_url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--database-url: only a server on 127.0.0.1 is used")
    if args.rate <= 0 or args.duration <= 0 or args.workers < 1:
        parser.error("--rate and --duration must be > 0 and --workers >= 1")
    if "fault" in args.run_list and args.workers < 2:
        parser.error("the fault run needs --workers 2 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; 0 when every target is met, 1 otherwise."""
    args = parse_args(argv)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    command = " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else str(argv)
    print(f"$ {command}")
    pg = server_version(args.database_url)
    print("Configuration")
    print(report_config(args, pg))
    print(flush=True)
    results: list[RunResult] = []
    started = time.monotonic()
    try:
        for n, name in enumerate(args.run_list):
            print(f"Run {name}: {args.rate:g} events/s for {args.duration:g} s on "
                  f"{args.workers} workers ...", flush=True)  # fmt: skip
            results.append(run_once(name, args, fault=name == "fault", seed=args.seed + n))
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped and the databases dropped",
              file=sys.stderr)  # fmt: skip
        return 130
    summaries = [summarise(r) for r in results]
    print()
    print(f"Results ({time.monotonic() - started:.0f} s in all)")
    print(report_runs(results, summaries))
    for r in results:
        if r.log_messages:
            print(f"\nMost frequent worker warnings/errors, {r.name} run (numbers as N):")
            for text, count in r.log_messages.most_common(6):
                print(f"  {count:6d}  {text}")
    print()
    text, all_met = report_targets(args, results, summaries)
    print("Targets")
    print(text)
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
