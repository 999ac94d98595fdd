"""Fault script: the real app (`supportbot run --http`) through four faults, each after a
baseline of the same traffic, counting duplicated and lost replies and hangs.

    .venv/bin/python benchmarks/faults.py            # 10 messages/s for 20 s per phase
    .venv/bin/python benchmarks/faults.py --quick    # 4 messages/s for 8 s per phase
    .venv/bin/python benchmarks/faults.py --only slow,sighup --keep-logs

One PostgreSQL database for the run (CREATE DATABASE supportbot_faults_<random> on the server of
--database-url, `supportbot db upgrade`, dropped at the end) and one fake Slack Web API on
127.0.0.1 (tests/scenario/fake_slack.py, 20-80 ms a call). Per fault, a fresh worker; two
phases of the same traffic on it, a baseline and then the fault; then SIGTERM. The traffic
(benchmarks/loadbench/simulator.py): customers in their own DMs, one message each, sent at a
steady rate, signed as Slack signs them, and resent like Slack (same event_id, X-Slack-Retry-Num)
when no 200 comes back within 3 s, 1, 5 and 15 s later. A quarter into the fault phase:

  slow Slack      the next 8 chat.postMessage calls (quick: 3) are posted at once but answered
                  16.5 s later, past the sender's 15 s client timeout (bot/slack/app.py; no
                  setting changes it, so this phase takes about half a minute)
  429 storm       the next 40 chat.postMessage calls get 429, Retry-After: 1
  SIGHUP storm    50 SIGHUPs to the worker within 1 s
  read-only db    ALTER DATABASE .. SET default_transaction_read_only = on and the database's
                  sessions ended; 5 s later RESET, and the sessions ended again (a session
                  keeps the setting it started with: pooled ones would stay read-only)

Counted per phase, from what the fake Slack holds once the worker has exited: replied (the
customer's DM has a reply: a post tagged with a `reply:`/`feedback:` outbox key, or untagged),
duplicates (replies beyond the first to one message; the notes say when not all of them repeat
the first one's outbox key), lost (no reply once the phase drained or --drain ran out), hangs
(stretches of over 5 s in which /healthz, probed every 0.5 s, got no HTTP answer at all; and a
worker still running 10 s after SIGTERM), drain (seconds from the last message until every
message has its reply and nothing of the phase is left in the inbox or the outbox), slowest
reply (first delivery of a message to Slack accepting its reply, the longest of the phase).
The exit status is 1 when any phase has a duplicate, a lost message or a hang, else 0.
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

from benchmarks.faultbench.faults import (  # noqa: E402
    Fault,
    RateLimitStorm,
    ReadOnlyDatabase,
    SighupStorm,
    SlowSlack,
)
from benchmarks.faultbench.report import failures, table  # noqa: E402
from benchmarks.faultbench.run import run_all  # noqa: E402

FAULTS = ("slow", "429", "sighup", "readonly")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with the defaults that depend on --quick filled in."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="4 messages/s for 8 s per phase")
    parser.add_argument("--rate", type=float, help="messages per second (default 10; quick 4)")
    parser.add_argument("--duration", type=float, help="seconds per phase (default 20; quick 8)")
    parser.add_argument(
        "--drain",
        type=float,
        default=90.0,
        help="seconds to wait for a phase's last replies (default 90)",
    )
    parser.add_argument(
        "--only",
        default=",".join(FAULTS),
        help="faults to run, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server where the script may create a database",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-logs", action="store_true", help="keep the workers' logs")
    args = parser.parse_args(argv)  # fmt: skip
    args.rate = args.rate or (4.0 if args.quick else 10.0)
    args.duration = args.duration or (8.0 if args.quick else 20.0)
    args.faults = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.faults) - set(FAULTS)
    if unknown or not args.faults:
        parser.error(f"--only: expected some of {', '.join(FAULTS)}")
    if urlsplit(args.database_url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--database-url: only a server on 127.0.0.1 is used")
    if args.rate <= 0 or args.duration < 6 or args.drain <= 0:
        parser.error("--rate and --drain must be > 0, --duration at least 6 s")
    return args


def build_faults(args: argparse.Namespace) -> list[Fault]:
    """The faults chosen by --only, sized by --quick."""
    made: dict[str, Fault] = {
        "slow": SlowSlack(3 if args.quick else 8),
        "429": RateLimitStorm(40),
        "sighup": SighupStorm(50, 1.0),
        "readonly": ReadOnlyDatabase(5.0),
    }
    return [made[name] for name in args.faults]


def main(argv: list[str] | None = None) -> int:
    """Run the faults and print the table; 1 when any phase duplicated, lost or hung."""
    args = parse_args(argv)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"{args.rate:g} messages/s for {args.duration:g} s per phase", flush=True)
    started = time.monotonic()
    try:
        rows, logs = run_all(build_faults(args), args)
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped and the database dropped",
              file=sys.stderr)  # fmt: skip
        return 130
    except RuntimeError as exc:  # a worker or `db upgrade` that would not start
        print(f"faults: {exc}", file=sys.stderr)
        return 2
    print(f"\nResults ({time.monotonic() - started:.0f} s in all)\n")
    print(table(rows))
    print()
    print("\n".join(logs))
    bad = failures(rows)
    if bad:
        print("\nFAILED\n" + "\n".join(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
