"""Start-up: loading and indexing the knowledge base, without the index cache and with it.

    .venv/bin/python benchmarks/startup.py [--articles 10000] [--runs 5] [--data ../shared/data]

Writes N synthetic articles shaped like the sample's (title, 5 questions, a 5-sentence answer;
benchmarks/kb_retrieval.py's generator, seed 1) to YAML files of 100 articles in a temporary
folder, then times three kinds of start, each in fresh subprocesses so nothing is warm in memory:
cold (no cache: load and index, as before the cache), first (an empty cache folder: load, index
and write the cache) and warm (the cache hit). Each row is the median of --runs processes, run
round-robin so a busy moment hits every row alike. Two times per start: from just before the
process is spawned to a ready Searcher (interpreter start and imports included), and inside the
`load_indexed` call alone. Prints a markdown table; BENCHMARKS.md keeps the results.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("how do I pay with my card", "where is my refund", "I want to cancel my order")
# What a child runs: exactly the start-up path of the app's knowledge base, and nothing else.
CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from knowledge_base import load_indexed
from pathlib import Path
cache = Path(sys.argv[3]) if sys.argv[3] != "off" else None
started = time.perf_counter()
kb, searcher = load_indexed(Path(sys.argv[2]), None, "en", cache)
inside = time.perf_counter() - started
ready = time.monotonic()
queries = json.loads(sys.argv[4])
hits = [[h.article.id for h in searcher.search(q).hits] for q in queries]
print(json.dumps({"ready": ready, "inside": inside, "articles": len(kb), "hits": hits}))
"""
# Nothing here computes with threads, but a library that does would otherwise use every core.
THREADS = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def write_knowledge_base(folder: Path, count: int, data: Path) -> int:
    """kb_retrieval.py's start-up articles, 100 to a YAML file; returns the bytes written."""
    import yaml

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from kb_retrieval import SEED, synthetic, utterances

    articles = synthetic(utterances(data), count, 5, SEED + 1)
    size = 0
    for n in range(0, len(articles), 100):
        chunk = [
            {"id": a.id, "title": a.title, "questions": list(a.questions), "answer": a.answer}
            for a in articles[n : n + 100]
        ]
        text = yaml.safe_dump({"articles": chunk}, allow_unicode=True, sort_keys=False)
        size += Path(folder, f"part-{n // 100:03d}.yaml").write_text(text, encoding="utf-8")
    return size


def child_environment(pycache: Path) -> dict[str, str]:
    """The children compile to bytecode once, in a folder of their own, as an installed app has
    its .pyc files; the project tree stays untouched."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(THREADS, PYTHONPYCACHEPREFIX=str(pycache))
    return env


def start(kb: Path, cache: Path | None, env: dict[str, str]) -> dict:
    """One fresh process: its times and what it found."""
    argv = [sys.executable, "-c", CHILD, str(ROOT), str(kb), str(cache or "off")]
    spawned = time.monotonic()  # CLOCK_MONOTONIC, the same clock the child reads
    done = subprocess.run(
        [*argv, json.dumps(QUERIES)], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the child failed:\n{done.stderr}")
    result = json.loads(done.stdout)
    result["total"] = result["ready"] - spawned
    return result


def hashing_ms(kb: Path) -> float:
    from knowledge_base.cache import cache_key, code_version

    code_version()
    times = []
    for _ in range(5):
        started = time.perf_counter()
        cache_key(kb, None, "en")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def machine() -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from kb_retrieval import machine as describe

    return describe()[0]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="how many (default 10000)")
    parser.add_argument("--runs", type=int, default=5, help="processes per kind of start")
    parser.add_argument(
        "--data",
        type=Path,
        default=ROOT.parent / "shared" / "data",
        help="folder with bitext/ and banking77/ (default ../shared/data)",
    )
    args = parser.parse_args(argv)
    if not (args.data / "bitext").is_dir() or not (args.data / "banking77").is_dir():
        parser.error(f"{args.data} has no bitext/ and banking77/ folders (see --data)")
    with tempfile.TemporaryDirectory(prefix="supportbot-startup-") as scratch:
        folder = Path(scratch)
        kb, warm = folder / "kb", folder / "warm-cache"
        kb.mkdir()
        size = write_knowledge_base(kb, args.articles, args.data)
        env = child_environment(folder / "pycache")
        start(kb, warm, env)  # compiles the bytecode and fills the warm cache; not timed
        cache_size = sum(f.stat().st_size for f in warm.glob("*.pickle"))
        runs: dict[str, list[dict]] = {"cold": [], "first": [], "warm": []}
        for round_ in range(args.runs):
            runs["cold"].append(start(kb, None, env))
            runs["first"].append(start(kb, folder / f"empty-{round_}", env))
            runs["warm"].append(start(kb, warm, env))
        hashed = hashing_ms(kb)
    answers = {json.dumps(r["hits"]) for rows in runs.values() for r in rows}
    if len(answers) != 1 or any(r["articles"] != args.articles for v in runs.values() for r in v):
        raise SystemExit("the starts disagree on what the knowledge base finds")
    print(f"Start-up with {args.articles:,} articles (title, 5 questions, a 5-sentence answer) in")
    print(f"{-(-args.articles // 100)} YAML files, {size / 2**20:.1f} MiB; cache file")
    print(f"{cache_size / 2**20:.1f} MiB; hashing the files for the key {hashed:.0f} ms.")
    print(f"{machine()}; median of {args.runs} fresh processes each.\n")
    print("| start | what runs | process start to ready searcher, s | inside the load call, s |")
    print("|---|---|---|---|")
    what = {
        "cold": "no cache: load the YAML and build the index (as before)",
        "first": "empty cache folder: load, build, write the cache",
        "warm": "cache hit: hash the files, unpickle",
    }
    for name, rows in runs.items():
        total = statistics.median(r["total"] for r in rows)
        inside = statistics.median(r["inside"] for r in rows)
        spread = f"{min(r['total'] for r in rows):.2f}-{max(r['total'] for r in rows):.2f}"
        print(f"| {name} | {what[name]} | {total:.2f} ({spread}) | {inside:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
