"""Knowledge-base retrieval: quality and speed of knowledge_base.search against baselines.

    .venv/bin/python benchmarks/kb_retrieval.py [--data ../shared/data] [--quick]
        [--part all|decisions|legacy|speed] [--model e5|use|off] [--tune] [--only SET ...]

Decisions (benchmarks/kbbench): Bitext, Banking77 and the project's own multilingual set
(en/it/de/pl), each with a dev half for tuning and a test half for reporting, and out-of-scope
queries (intents left out of the knowledge base). For words alone, meaning alone and both fused:
top-1/top-3, and coverage, precision and out-of-scope answers of `answer` with the shipped
thresholds and with thresholds calibrated on dev. `--tune` prints the dev-only table the shipped
fusion constants and thresholds were chosen from. `--only multilingual-fresh` reports the later
held-out questions for the same articles (benchmarks/data/multilingual-fresh), calibrating on
every earlier labelled query; `--only multilingual-fresh2` a second such set, held out whole.
Legacy: the earlier top-1 tables (Bitext test, Banking77 10-shot over five seeds).
Speed: synthetic knowledge bases of 1k, 10k and 50k questions spliced from both data sets.
Baselines, measured in the same run: rapidfuzz `token_set_ratio` over all questions, and a
plain BM25 over the questions. Prints plain-text tables; BENCHMARKS.md keeps the results.
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from rapidfuzz import fuzz, process, utils  # noqa: E402

from benchmarks.kbbench import decisions, tasks  # noqa: E402
from benchmarks.kbbench.tasks import article_id, articles_of  # noqa: E402
from knowledge_base import Article, KnowledgeBase, Searcher, load_knowledge_base  # noqa: E402
from knowledge_base.embedding import MODELS, Embedder, load_embedder  # noqa: E402
from knowledge_base.search import ANSWER, NONE, SUGGEST, SearchResult  # noqa: E402
from knowledge_base.semantic import VectorMemo, forget_queries  # noqa: E402

SEED = 0
SHOTS = 10
SOURCES = (
    "Bitext customer-support intent data set (GitHub bitext/customer-support-intent-detection-"
    "training-dataset, commit e970229, CDLA-Sharing-1.0): 27 intents, train/dev/test splits.",
    "Banking77 (GitHub PolyAI-LDN/task-specific-datasets, commit 57ec275, banking_data/, "
    "CC BY 4.0): train split only, 10,003 queries, 77 intents.",
)
Ranker = Callable[[str], list[str]]  # a query -> article ids, best first


@dataclass
class Task:
    name: str
    articles: list[Article]
    queries: list[tuple[str, str]]  # (text, expected article id)
    note: str
    typos: list[tuple[str, str]] = field(default_factory=list)  # the queries tagged as typos


def build_task(
    name: str, by_intent: dict[str, list[str]], queries: list[tuple[str, str]], note: str
) -> Task:
    """One article per intent; queries that repeat an article question exactly are dropped."""
    articles = articles_of(by_intent)
    known = {q.strip().casefold() for a in articles for q in a.questions}
    kept = [(q, article_id(i)) for q, i in queries if q.strip().casefold() not in known]
    removed = len(queries) - len(kept)
    return Task(name, articles, kept, f"{note}; {removed} exact duplicates of questions removed")


def bitext_task(data: Path, split: str = "test") -> Task:
    rows = list(csv.DictReader((data / "bitext" / "train.csv").open(encoding="utf-8")))
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_intent[row["intent"]].append(row["utterance"])
    rng = random.Random(SEED)
    chosen = {i: rng.sample(sorted(u), SHOTS) for i, u in sorted(by_intent.items())}
    test = list(csv.DictReader((data / "bitext" / f"{split}.csv").open(encoding="utf-8")))
    queries = [(r["utterance"], r["intent"]) for r in test]
    note = f"{SHOTS} train utterances per intent (seed {SEED}), {split} split as queries"
    task = build_task(f"Bitext {split}", chosen, queries, note)
    typos = {r["utterance"] for r in test if "Z" in r["tags"]}
    task.typos = [(q, i) for q, i in task.queries if q in typos]
    return task


def banking_task(data: Path, seed: int = SEED) -> Task:
    rows = list(csv.DictReader((data / "banking77" / "train.csv").open(encoding="utf-8")))
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_intent[row["category"]].append(row["text"])
    rng = random.Random(seed)
    chosen, queries = {}, []
    for intent, texts in sorted(by_intent.items()):
        texts = sorted(texts)
        rng.shuffle(texts)
        chosen[intent] = texts[:SHOTS]
        queries += [(t, intent) for t in texts[SHOTS:]]
    note = (
        f"train split, per intent {SHOTS} utterances as questions and the rest as queries "
        f"(sorted, then shuffled with random.Random({seed}))"
    )
    return build_task("Banking77 10-shot", chosen, queries, note)


# --- baselines --------------------------------------------------------------------------------


def phrasings(articles: Sequence[Article]) -> tuple[list[str], list[str]]:
    """Every title and question (the baselines see what the project sees, minus answers)."""
    texts, owners = [], []
    for article in articles:
        for text in (article.title, *article.questions):
            texts.append(text)
            owners.append(article.id)
    return texts, owners


def unique(ids: list[str], limit: int = 3) -> list[str]:
    return list(dict.fromkeys(ids))[:limit]


class FuzzyBaseline:
    """rapidfuzz token_set_ratio over all phrasings, lower-cased by rapidfuzz's default_process."""

    def __init__(self, articles: Sequence[Article]) -> None:
        texts, self.owners = phrasings(articles)
        self.choices = [utils.default_process(t) for t in texts]  # processed once, not per query

    def top1(self, query: str) -> list[str]:
        best = process.extractOne(
            utils.default_process(query), self.choices, scorer=fuzz.token_set_ratio
        )
        return [self.owners[best[2]]] if best else []

    def rank(self, query: str) -> list[str]:
        found = process.extract(
            utils.default_process(query), self.choices, scorer=fuzz.token_set_ratio, limit=40
        )
        return unique([self.owners[i] for _, _, i in found])


class Bm25Baseline:
    """Okapi BM25 (k1 1.5, b 0.75) over lower-cased word tokens, each phrasing a document."""

    def __init__(self, articles: Sequence[Article], k1: float = 1.5, b: float = 0.75) -> None:
        texts, self.owners = phrasings(articles)
        docs = [Counter(re.findall(r"\w+", t.lower())) for t in texts]
        lengths = [sum(d.values()) for d in docs]
        average = sum(lengths) / len(docs)
        df = Counter(t for d in docs for t in d)
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, (doc, length) in enumerate(zip(docs, lengths, strict=True)):
            for term, tf in doc.items():
                idf = math.log(1 + (len(docs) - df[term] + 0.5) / (df[term] + 0.5))
                norm = tf + k1 * (1 - b + b * length / average)
                self.postings[term].append((i, idf * tf * (k1 + 1) / norm))

    def rank(self, query: str) -> list[str]:
        scores: dict[int, float] = defaultdict(float)
        for term in set(re.findall(r"\w+", query.lower())):
            for i, weight in self.postings.get(term, ()):
                scores[i] += weight
        ordered = sorted(scores, key=scores.__getitem__, reverse=True)[:40]
        return unique([self.owners[i] for i in ordered])


# --- quality ----------------------------------------------------------------------------------


def accuracy(rank: Ranker, queries: list[tuple[str, str]]) -> tuple[float, float]:
    top1 = top3 = 0
    for query, expected in queries:
        found = rank(query)
        top1 += bool(found) and found[0] == expected
        top3 += expected in found[:3]
    return top1 / len(queries), top3 / len(queries)


def quality(task: Task, quick: bool) -> list[str]:
    queries = task.queries
    if quick:
        queries = random.Random(SEED).sample(queries, min(1000, len(queries)))
    searcher = Searcher(KnowledgeBase.of(task.articles))
    results: dict[str, SearchResult] = {}

    def project(query: str) -> list[str]:
        if query not in results:
            results[query] = searcher.search(query)
        return [hit.article.id for hit in results[query].hits]

    methods: list[tuple[str, Ranker]] = [
        ("knowledge_base.search (this project)", project),
        ("rapidfuzz extractOne token_set_ratio", FuzzyBaseline(task.articles).rank),
        ("plain BM25 over questions", Bm25Baseline(task.articles).rank),
    ]
    lines = [
        f"{task.name}: {len(task.articles)} articles, {len(queries)} queries ({task.note})",
        f"  {'method':<40} {'top-1':>6} {'top-3':>6}",
    ]
    subsets = [("", queries)]
    if task.typos and not quick:
        subsets.append((f"  (typo queries, tag Z: {len(task.typos)})", task.typos))
    for label, subset in subsets:
        if label:
            lines.append(label)
        for name, rank in methods:
            top1, top3 = accuracy(rank, subset)
            lines.append(f"  {name:<40} {top1:>6.3f} {top3:>6.3f}")
    decided = [(results[q], expected) for q, expected in queries]
    shares = Counter(result.decision for result, _ in decided)
    answered = [(r, e) for r, e in decided if r.decision == ANSWER]
    right = sum(r.hits[0].article.id == e for r, e in answered)
    precision = right / len(answered) if answered else 0.0
    lines.append(
        f"  this project's decisions: answer {shares[ANSWER] / len(queries):.1%} "
        f"(precision {precision:.3f}), suggest {shares[SUGGEST] / len(queries):.1%}, "
        f"none {shares[NONE] / len(queries):.1%}"
    )
    return lines


def ranker(searcher: Searcher) -> Ranker:
    return lambda query: [hit.article.id for hit in searcher.search(query).hits]


def seeds(data: Path, count: int = 5) -> list[str]:
    """Banking77 top-1 over several splits, to show how much one split's figure can move."""
    scores: dict[str, list[float]] = defaultdict(list)
    for seed in range(count):
        task = banking_task(data, seed)
        searcher = Searcher(KnowledgeBase.of(task.articles))
        rankers: list[tuple[str, Ranker]] = [
            ("knowledge_base.search (this project)", ranker(searcher)),
            ("rapidfuzz extractOne token_set_ratio", FuzzyBaseline(task.articles).rank),
            ("plain BM25 over questions", Bm25Baseline(task.articles).rank),
        ]
        for name, rank in rankers:
            scores[name].append(accuracy(rank, task.queries)[0])
    lines = [
        f"Banking77 10-shot top-1 over seeds 0-{count - 1} (same split recipe):",
        f"  {'method':<40} {'mean':>6} {'min':>6} {'max':>6}",
    ]
    for name, values in scores.items():
        mean = sum(values) / len(values)
        lines.append(f"  {name:<40} {mean:>6.3f} {min(values):>6.3f} {max(values):>6.3f}")
    return lines


# --- speed ------------------------------------------------------------------------------------


def utterances(data: Path) -> list[str]:
    bitext = csv.DictReader((data / "bitext" / "train.csv").open(encoding="utf-8"))
    banking = csv.DictReader((data / "banking77" / "train.csv").open(encoding="utf-8"))
    return [r["utterance"] for r in bitext] + [r["text"] for r in banking]


def synthetic(pool: list[str], articles: int, questions: int, seed: int) -> list[Article]:
    """Articles whose questions splice the first half of one utterance to the second of another."""
    rng = random.Random(seed)

    def splice() -> str:
        a, b = rng.choice(pool).split(), rng.choice(pool).split()
        return " ".join(a[: max(1, len(a) // 2)] + b[len(b) // 2 :])

    return [
        Article(
            id=f"article-{n}",
            title=" ".join(rng.choice(pool).split()[:8]),
            questions=tuple(splice() for _ in range(questions)),
            answer=" ".join(rng.choice(pool) for _ in range(5)),
        )
        for n in range(articles)
    ]


def timed(build: Callable[[], object]) -> tuple[object, float, float]:
    """What `build` returns, its wall time in seconds, and its tracemalloc peak in MiB."""
    gc.collect()
    start = time.perf_counter()
    built = build()
    seconds = time.perf_counter() - start
    del built
    gc.collect()
    tracemalloc.start()  # a second build, since tracing slows it several times
    built = build()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return built, seconds, peak


def latencies(search: Callable[[str], object], queries: list[str]) -> tuple[float, float]:
    # Every size runs the same queries: without this, the second size would find their
    # vectors remembered from the first (knowledge_base/semantic.py, QUERY_MEMORY).
    forget_queries()
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def speed(data: Path, quick: bool, embedder: Embedder | None = None) -> list[str]:
    pool = utterances(data)
    test = csv.DictReader((data / "bitext" / "test.csv").open(encoding="utf-8"))
    dev = csv.DictReader((data / "bitext" / "dev.csv").open(encoding="utf-8"))
    queries = [r["utterance"] for r in test] + [r["utterance"] for r in dev]
    queries = random.Random(SEED).sample(queries, 200 if quick else 1000)
    lines = [
        f"Synthetic knowledge bases, 10 questions per article, spliced from {len(pool)} Bitext "
        f"train and Banking77 utterances (seed {SEED}); {len(queries)} Bitext dev/test queries.",
        f"  {'questions':>9} {'method':<24} {'build s':>8} {'peak MiB':>9} "
        f"{'p50 ms':>7} {'p99 ms':>7}",
    ]
    for size in (1_000, 10_000) if quick else (1_000, 10_000, 50_000):
        articles = synthetic(pool, size // 10, 10, SEED)
        kb = KnowledgeBase.of(articles)
        searcher, seconds, peak = timed(lambda kb=kb: Searcher(kb))
        p50, p99 = latencies(searcher.search, queries)  # type: ignore[attr-defined]
        lines.append(
            f"  {size:>9,} {'this project':<24} {seconds:>8.2f} {peak:>9.1f} "
            f"{p50:>7.2f} {p99:>7.2f}"
        )
        del searcher
        if embedder is not None and size <= 10_000:
            memo = VectorMemo(embedder)
            searcher, seconds, peak = timed(lambda kb=kb, m=memo: Searcher(kb, m))
            p50, p99 = latencies(searcher.search, queries)  # type: ignore[attr-defined]
            lines.append(
                f"  {'':>9} {'fused (e5, 1 thread)':<24} {seconds:>8.2f} {peak:>9.1f} "
                f"{p50:>7.2f} {p99:>7.2f}"
            )
            del searcher
        fuzzy, seconds, peak = timed(lambda a=articles: FuzzyBaseline(a))
        p50, p99 = latencies(fuzzy.top1, queries)  # type: ignore[attr-defined]
        lines.append(
            f"  {'':>9} {'rapidfuzz extractOne':<24} {seconds:>8.2f} {peak:>9.1f} "
            f"{p50:>7.2f} {p99:>7.2f}"
        )
    return lines + startup(pool, quick)


def startup(pool: list[str], quick: bool) -> list[str]:
    """10,000 articles shaped like the sample's (title, 5 questions, an answer of 5 sentences)."""
    articles = synthetic(pool, 2_000 if quick else 10_000, 5, SEED + 1)
    gc.collect()
    start = time.perf_counter()
    Searcher(KnowledgeBase.of(articles))
    index = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        for n in range(0, len(articles), 100):
            chunk = [
                {"id": a.id, "title": a.title, "questions": list(a.questions), "answer": a.answer}
                for a in articles[n : n + 100]
            ]
            text = yaml.safe_dump({"articles": chunk}, allow_unicode=True, sort_keys=False)
            Path(folder, f"part-{n // 100:03d}.yaml").write_text(text, encoding="utf-8")
        start = time.perf_counter()
        load_knowledge_base(Path(folder))
        load = time.perf_counter() - start
    return [
        f"Start-up with {len(articles):,} articles (title, 5 questions, a 5-sentence answer): "
        f"index {index:.2f} s; loading the YAML with knowledge_base.loader {load:.2f} s; "
        f"total {index + load:.2f} s."
    ]


def machine() -> list[str]:
    model = platform.processor() or "unknown"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in lscpu.splitlines()
                if line.startswith("Model name")
            ),
            model,
        )
    except OSError:
        pass
    return [f"Machine: {os.cpu_count()} cores (nproc), {model}, Python {platform.python_version()}"]


TASKS = {
    "bitext": tasks.bitext,
    "banking77": tasks.banking,
    "multilingual": lambda _data: tasks.multilingual(),
    "multilingual-fresh": lambda _data: tasks.multilingual_fresh(),
    "multilingual-fresh2": lambda _data: tasks.multilingual_fresh2(),
}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=ROOT.parent / "shared" / "data",
        help="folder with bitext/ and banking77/ (default ../shared/data)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 queries per data set, smaller speed runs"
    )
    parser.add_argument(
        "--model", choices=MODELS, default="e5", help="embedding model of the semantic methods"
    )
    parser.add_argument(
        "--tune", action="store_true", help="only the tuning table on the dev halves"
    )
    parser.add_argument(
        "--part",
        choices=("all", "decisions", "legacy", "speed"),
        default="all",
        help="decisions: held-out decisions per data set; legacy: the earlier top-1 tables",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=TASKS,
        help="decisions of these data sets only (repeatable; default: all but the fresh sets)",
    )
    args = parser.parse_args(argv)
    if not (args.data / "bitext").is_dir() or not (args.data / "banking77").is_dir():
        parser.error(f"{args.data} has no bitext/ and banking77/ folders (see --data)")
    started = time.perf_counter()
    print("Knowledge-base retrieval benchmark" + (" (--quick)" if args.quick else ""))
    print("\n".join(["Data:", *(f"  {s}" for s in SOURCES), *machine()]))
    embedder = load_embedder(args.model, threads=1)
    memo = decisions.QueryMemo(embedder) if embedder else None
    chosen = args.only or ["bitext", "banking77", "multilingual"]
    if args.tune:
        chosen = ["bitext", "banking77", "multilingual"]  # the dev halves the constants came from
    held_out = [TASKS[name](args.data) for name in chosen]
    if args.quick:
        for task in held_out:
            rng = random.Random(SEED)
            task.dev = rng.sample(task.dev, min(500, len(task.dev)))
            task.test = rng.sample(task.test, min(500, len(task.test)))
    if args.tune:
        assert memo is not None, "tuning needs the embedding model"
        print("\n".join(decisions.tune(held_out, memo)))
        return 0
    if args.part in ("all", "decisions"):
        extra = []
        if "banking77" in chosen:
            full = tasks.banking(args.data, full=True)
            full.dev = []
            if args.quick:
                full.test = random.Random(SEED).sample(full.test, 500)
            extra.append(full)
        for task in [*held_out, *extra]:
            articles = list(task.kb)
            baselines = [
                ("rapidfuzz extractOne token_set_ratio", FuzzyBaseline(articles).rank),
                ("plain BM25 over questions", Bm25Baseline(articles).rank),
            ]
            print()
            print("\n".join(decisions.report(task, memo, baselines)))
    if args.part in ("all", "legacy"):
        for task in (bitext_task(args.data), banking_task(args.data)):
            print()
            print("\n".join(quality(task, args.quick)))
        if not args.quick:
            print()
            print("\n".join(seeds(args.data)))
    if args.part in ("all", "speed"):
        print()
        print("\n".join(speed(args.data, args.quick, embedder)))
    print(f"\nFinished in {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
