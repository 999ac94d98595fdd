"""The desk's cost: a message costs little more than its search, timers cost what is due.

    .venv/bin/python benchmarks/desk.py            # N 500, 2,000, 10,000; open 1k, 10k, 100k
    .venv/bin/python benchmarks/desk.py --quick    # N 200, 1,000; open 1k, 10k (about a minute)
    .venv/bin/python benchmarks/desk.py --profile --part messages   # where a message's time goes
    .venv/bin/python benchmarks/desk.py --postgres postgresql://postgres@127.0.0.1:5432/test

Part 1, per-message CPU of the desk: N two-message conversations (en/it/de/pl questions on
the sample knowledge base, some it cannot answer; the second message a follow-up question,
thanks, "still not working" or a request for a person), seeded, started over one simulated day
so hundreds are open at once, are replayed with `bot.service.replay.replay` (timers at each
message and 30 min after the last, as `supportbot replay` does) on a fresh SQLite file
(`throwaway_services`). Measured: `time.process_time()` of the whole replay per message, and
the marginal cost between sizes. Baseline in the same run: `Searcher.search` alone over exactly
the same texts (after one untimed pass over the distinct texts, so both start with warm word
caches). Targets: desk marginal CPU per message <= 4x the search's per query; 10,000
conversations replayed in < 60 s on SQLite.

Part 2, a sweeper tick with many open conversations: 1k, 10k and 100k open conversations, 1%
due, bulk-inserted with Core (customers, conversations with last_activity_at and due_at, two
messages each, and a few unclaimed escalations due for a reminder), plus 100k open with as many
due as the 1k row (the same due conversations). Timed: `desk.run_timers(now)` and then
`handoff.due_reminders(now, 10 min)`, wall and process time, the median of 5 ticks (--repeat),
each on a fresh copy of the database over an open connection, after one untimed tick (so
SQLAlchemy's compiled statements are cached, as in a running worker). Baseline in the same run:
the old way, every open conversation quiet for 15 min to 24 h assessed with
`desk.escalator.assess` in one unit of work (rolled back), at 1k and 10k; estimated beyond.
Target: tick time flat within 2x from 1k to 100k open at the same number due. `--postgres URL`
runs part 2 on PostgreSQL too, in databases created on that server and dropped at the end.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one core per process, like the search benchmarks

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.deskbench import messages, sweeper  # noqa: E402
from benchmarks.deskbench.databases import server_version  # noqa: E402
from benchmarks.deskbench.report import load, machine  # noqa: E402
from bot.bootstrap import load_domain  # noqa: E402
from bot.config import Settings  # noqa: E402

SIZES, QUICK_SIZES = [500, 2_000, 10_000], [200, 1_000]
OPENS, QUICK_OPENS = [1_000, 10_000, 100_000], [1_000, 10_000]


def counts(value: str) -> list[int]:
    """Counts such as 500,2000,10k as sorted integers."""
    found = []
    for part in value.split(","):
        part = part.strip().lower().replace("_", "")
        scale = 1_000 if part.endswith("k") else 1
        try:
            number = int(float(part.rstrip("k")) * scale)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a count: {part!r}") from None
        if number < 1:
            raise argparse.ArgumentTypeError(f"counts must be positive: {part!r}")
        found.append(number)
    return sorted(set(found))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with the defaults that depend on --quick filled in."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=counts, help="conversations replayed in part 1 "
                        "(default 500,2000,10000; --quick 200,1000)")  # fmt: skip
    parser.add_argument("--open", type=counts, help="open conversations in part 2 "
                        "(default 1k,10k,100k; --quick 1k,10k)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    parser.add_argument("--part", choices=("messages", "sweeper", "both"), default="both")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile the smallest replay: top functions, SQL statements per message",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run part 2 on PostgreSQL, in databases made (and dropped) on this server",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=sweeper.REPEAT,
        help="timed ticks per size in part 2; the median is reported (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    args.open = args.open or (QUICK_OPENS if args.quick else OPENS)
    return args


def progress(message: str) -> None:
    """A line on stderr while the run goes on, so stdout keeps only the report."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables."""
    args = parse_args(argv)
    started = time.perf_counter()
    settings = Settings()
    domain = load_domain(settings)
    print("# Desk benchmark" + (" (--quick)" if args.quick else ""))
    print()
    print(machine())
    if args.postgres and args.part != "messages":
        print(f"PostgreSQL server: {server_version(args.postgres)}")
    print(f"Knowledge base: {settings.kb_path} ({len(list(domain[0]))} articles); seed {args.seed}")
    if args.part != "sweeper":
        print()
        print("## Part 1: desk CPU per message (SQLite, process time)")
        print()
        results = []
        for size in args.sizes:
            progress(f"replaying {size:,} conversations")
            results.append(messages.measure(*domain, size, args.seed))
        print("\n".join(messages.report(results)))
        if args.profile:
            progress(f"profiling the replay of {args.sizes[0]:,} conversations")
            print()
            print("\n".join(messages.profile(*domain, args.sizes[0], args.seed)))
    if args.part != "messages":
        print()
        print("## Part 2: one sweeper tick (run_timers + due_reminders)")
        print()
        rows = sweeper.run(args.open, args.postgres, domain, args.seed, progress, args.repeat)
        print("\n".join(sweeper.report(rows)))
    print()
    print(f"Finished in {time.perf_counter() - started:.0f} s; {load()} at the end.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
