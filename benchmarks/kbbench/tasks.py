"""The data sets of the decision benchmark, each with dev and test halves and out-of-scope
queries, built so that nothing tuned on dev is reported on test.

- Bitext: one article per intent from 10 train utterances; the dev split tunes, the test split
  reports. A fifth of the intents (chosen by seed) are left out of the knowledge base and their
  dev/test utterances are the out-of-scope queries of each half.
- Banking77 (train split only here): per intent 10 utterances become the article's questions
  and the rest are queries, alternately dev and test after a seeded shuffle, so the halves share
  no utterance. A fifth of the intents are left out for out-of-scope queries, as for Bitext.
  `full` keeps every intent in the knowledge base, for top-1 comparable with earlier figures.
- Multilingual (benchmarks/data/multilingual, written for this project, en/it/de/pl): its own
  knowledge base in four locales, FAQ-style articles included, and a fixed dev/test split.
- Multilingual, fresh questions (benchmarks/data/multilingual-fresh): 240 later queries for the
  same articles; its test half is reported, and its "dev" is its dev half plus every query of
  the first set (both halves of which had been read): the labelled questions a company would
  calibrate on.
- Multilingual, second fresh questions (benchmarks/data/multilingual-fresh2): 240 more, held
  out whole: all of them are reported, and "dev" is every query of the two earlier sets.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from knowledge_base import Article, KnowledgeBase, load_knowledge_base

SEED = 0
SHOTS = 10
OUT_OF_SCOPE_SHARE = 0.2
MULTILINGUAL = Path(__file__).resolve().parent.parent / "data" / "multilingual"
MULTILINGUAL_FRESH = MULTILINGUAL.parent / "multilingual-fresh"
MULTILINGUAL_FRESH2 = MULTILINGUAL.parent / "multilingual-fresh2"


@dataclass
class Query:
    text: str
    expected_id: str | None
    language: str = "en"
    style: str = ""


@dataclass
class DecisionTask:
    name: str
    kb: KnowledgeBase
    dev: list[Query]
    test: list[Query]
    note: str
    missing: dict[str, set[str]] = field(default_factory=dict)  # locale -> ids it lacks


def readable(intent: str) -> str:
    words = intent.replace("_", " ").strip(" ?")
    return words[:1].upper() + words[1:]


def article_id(intent: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", intent.lower()).strip("-")


def articles_of(by_intent: dict[str, list[str]]) -> list[Article]:
    """One article per intent: its readable name as title, a generic answer naming it (so the
    answer adds little), its utterances as questions."""
    return [
        Article(
            id=article_id(intent),
            title=readable(intent),
            questions=tuple(questions),
            answer=f"This article answers questions about: {readable(intent).lower()}.",
        )
        for intent, questions in sorted(by_intent.items())
    ]


def _left_out(intents: list[str], seed: int) -> set[str]:
    rng = random.Random(seed)
    return set(rng.sample(sorted(intents), round(len(intents) * OUT_OF_SCOPE_SHARE)))


def _queries(pairs: list[tuple[str, str]], left_out: set[str], known: set[str]) -> list[Query]:
    """Queries of kept intents expect their article; of left-out intents, no answer. Exact
    copies of an article question are dropped."""
    return [
        Query(text, None if intent in left_out else article_id(intent))
        for text, intent in pairs
        if text.strip().casefold() not in known
    ]


def bitext(data: Path, seed: int = SEED) -> DecisionTask:
    folder = data / "bitext"
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in csv.DictReader((folder / "train.csv").open(encoding="utf-8")):
        by_intent[row["intent"]].append(row["utterance"])
    rng = random.Random(seed)
    chosen = {i: rng.sample(sorted(u), SHOTS) for i, u in sorted(by_intent.items())}
    left_out = _left_out(list(chosen), seed)
    kept = {i: q for i, q in chosen.items() if i not in left_out}
    known = {q.strip().casefold() for qs in chosen.values() for q in qs}

    def split(name: str) -> list[Query]:
        rows = csv.DictReader((folder / f"{name}.csv").open(encoding="utf-8"))
        return _queries([(r["utterance"], r["intent"]) for r in rows], left_out, known)

    note = (
        f"{len(kept)} intents as articles ({SHOTS} train utterances each, seed {seed}); "
        f"{len(left_out)} left out for out-of-scope queries; dev split tunes, test reports"
    )
    return DecisionTask("Bitext", KnowledgeBase.of(articles_of(kept)), split("dev"), split("test"),
                        note)  # fmt: skip


def banking(data: Path, seed: int = SEED, full: bool = False) -> DecisionTask:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in csv.DictReader((data / "banking77" / "train.csv").open(encoding="utf-8")):
        by_intent[row["category"]].append(row["text"])
    rng = random.Random(seed)
    chosen: dict[str, list[str]] = {}
    dev: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    for intent, texts in sorted(by_intent.items()):
        texts = sorted(texts)
        rng.shuffle(texts)
        chosen[intent] = texts[:SHOTS]
        for n, text in enumerate(texts[SHOTS:]):
            (dev if n % 2 == 0 else test).append((text, intent))
    left_out = set() if full else _left_out(list(chosen), seed)
    kept = {i: q for i, q in chosen.items() if i not in left_out}
    known = {q.strip().casefold() for qs in chosen.values() for q in qs}
    note = (
        f"{len(kept)} intents as articles ({SHOTS} utterances each), the rest of each intent's "
        f"utterances alternately dev and test (seeded shuffle {seed})"
        + (f"; {len(left_out)} intents left out for out-of-scope queries" if left_out else "")
    )
    name = "Banking77 (all 77 intents)" if full else "Banking77"
    return DecisionTask(
        name,
        KnowledgeBase.of(articles_of(kept)),
        _queries(dev, left_out, known),
        _queries(test, left_out, known),
        note,
    )


def _queries(lines: list[str]) -> list[tuple[str, Query]]:
    found = []
    for line in lines:
        if line.strip():
            row = json.loads(line)
            query = Query(row["query"], row["expected_id"], row["language"], row.get("style", ""))
            found.append((row["split"], query))
    return found


def _missing(kb: KnowledgeBase) -> dict[str, set[str]]:
    ids = {a.id for a in kb}
    return {
        locale: ids - {a.id for a in kb if a.locale == locale}
        for locale in ("en", "it", "de", "pl")
    }


def multilingual(folder: Path = MULTILINGUAL) -> DecisionTask:
    kb = load_knowledge_base(folder / "kb")
    halves: dict[str, list[Query]] = {"dev": [], "test": []}
    for split, query in _queries((folder / "queries.jsonl").read_text("utf-8").splitlines()):
        halves[split].append(query)
    ids = {a.id for a in kb}
    public = sum(a.is_public for a in kb if a.locale == "en")
    note = (
        f"{len(ids)} articles ({public} public) in {', '.join(sorted(kb.locales()))}; fixed "
        "dev/test split from queries.jsonl"
    )
    return DecisionTask("Multilingual en/it/de/pl", kb, halves["dev"], halves["test"], note,
                        _missing(kb))  # fmt: skip


def multilingual_fresh(folder: Path = MULTILINGUAL_FRESH) -> DecisionTask:
    """The first set's knowledge base; test: the fresh test half; dev: every first-set query
    and the fresh dev half (all the labelled questions there are, but the reported ones)."""
    first = multilingual()
    halves = _fresh_halves(folder)
    note = (
        f"{first.note.split(';')[0]}; test: the {folder.name} test half, dev: its dev half and "
        "every query of the first set"
    )
    return DecisionTask("Multilingual, fresh questions", first.kb,
                        first.dev + first.test + halves["dev"], halves["test"], note,
                        first.missing)  # fmt: skip


def _fresh_halves(folder: Path) -> dict[str, list[Query]]:
    halves: dict[str, list[Query]] = {"dev": [], "test": []}
    for path in sorted(folder.glob("queries-*.jsonl")):
        for split, query in _queries(path.read_text("utf-8").splitlines()):
            halves[split].append(query)
    return halves


def multilingual_fresh2(folder: Path = MULTILINGUAL_FRESH2) -> DecisionTask:
    """The first set's knowledge base; test: every query of the second fresh set; dev: every
    query of the first set and of the first fresh set."""
    first = multilingual()
    earlier = _fresh_halves(MULTILINGUAL_FRESH)
    later = _fresh_halves(folder)
    note = (
        f"{first.note.split(';')[0]}; test: all of {folder.name} (held out whole), dev: every "
        "query of the first set and of multilingual-fresh"
    )
    return DecisionTask("Multilingual, second fresh questions", first.kb,
                        first.dev + first.test + earlier["dev"] + earlier["test"],
                        later["dev"] + later["test"], note, first.missing)  # fmt: skip
