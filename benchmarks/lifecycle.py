"""Lifecycle benchmark: stage accuracy per message, and escalation precision and recall.

Run from the project root:

    .venv/bin/python benchmarks/lifecycle.py [--data ../shared/data]

(a) Stage accuracy on the Bitext test split (bitext/test.csv), each utterance labelled with its
    intent's stage from bitext/intent_stages.csv; stage-neutral intents are left out. The
    project's tagger (text evidence from the stage model) against two baselines in the same run:
    the majority stage, and plain keyword matching with a handful of words per stage.
(b) Escalation on benchmarks/data/escalation_scenarios.jsonl (conversations labelled by hand:
    stuck buyers, happy buyers, complaints outside purchase, requests for a person), replayed
    through the real desk with simulated time; against two simple policies in the same run.

Data: Bitext customer-support intent dataset (CDLA-Sharing-1.0), see ../shared/data/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.bootstrap import load_domain, throwaway_services  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.service.replay import read_scripts, replay  # noqa: E402
from knowledge_base import Searcher  # noqa: E402
from knowledge_base.search import ANSWER  # noqa: E402
from knowledge_base.text import fold  # noqa: E402
from lifecycle import StageTagger  # noqa: E402
from lifecycle.rules import ASKED_FOR_HUMAN  # noqa: E402

SCENARIOS = ROOT / "benchmarks" / "data" / "escalation_scenarios.jsonl"

# The keyword baseline: the first words anyone would think of, nothing tuned.
KEYWORDS = {
    "awareness": ["what is", "who are"],
    "engagement": ["account", "sign up", "register", "newsletter"],
    "evaluation": ["price", "cost", "policy", "options", "compare", "fee"],
    "purchase": ["buy", "order", "pay", "checkout", "purchase"],
    "support": ["track", "invoice", "refund", "password", "complaint", "delivery"],
    "bonding": ["review", "recommend", "again"],
    "dissolution": ["cancel", "delete", "close", "unsubscribe"],
}


def keyword_stage(text: str) -> str | None:
    """The first stage one of whose keywords occurs in the text."""
    folded = f" {fold(text)} "
    for stage, words in KEYWORDS.items():
        if any(f" {w}" in folded for w in words):
            return stage
    return None


def load_stage_labels(data: Path, split: str = "test") -> list[tuple[str, str]]:
    stages = {}
    with (data / "bitext" / "intent_stages.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["stage"]:
                stages[row["intent"]] = row["stage"]
    rows = []
    with (data / "bitext" / f"{split}.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["intent"] in stages:
                rows.append((row["utterance"], stages[row["intent"]]))
    return rows


def stage_accuracy(data: Path, tagger: StageTagger, searcher: Searcher, split: str) -> None:
    rows = load_stage_labels(data, split)
    majority = Counter(stage for _, stage in rows).most_common(1)[0][0]
    results: dict[str, list[bool]] = defaultdict(list)
    covered: dict[str, int] = Counter()
    per_stage: dict[str, list[bool]] = defaultdict(list)
    started = time.perf_counter()
    for text, gold in rows:
        # As in the desk: text evidence, plus the stages of the article search answered with.
        found = searcher.search(text)
        article = found.best.article if found.best and found.decision == ANSWER else None
        scores = tagger.scores(tagger.evidence(text, article.stages if article else ()))
        ours = max(scores.items(), key=lambda item: item[1])[0] if scores else None
        covered["project"] += ours is not None
        results["project"].append(ours == gold)
        per_stage[gold].append(ours == gold)
        keyword = keyword_stage(text)
        covered["keywords"] += keyword is not None
        results["keywords"].append(keyword == gold)
        results["majority"].append(majority == gold)
        covered["majority"] += 1
    elapsed = (time.perf_counter() - started) / len(rows) * 1000
    print(f"(a) Stage accuracy per message, Bitext {split} split: {len(rows)} utterances "
          f"with a stage (stage-neutral intents left out)")  # fmt: skip
    print(f"{'method':<34}{'accuracy':>9}{'tagged':>9}")
    labels = {
        "project": "project tagger (phrases + KB)",
        "keywords": "baseline: plain keywords",
        "majority": f"baseline: majority ({majority})",
    }
    for key, label in labels.items():
        hits = results[key]
        print(f"{label:<34}{sum(hits) / len(hits):>9.3f}{covered[key] / len(hits):>9.3f}")
    print("project accuracy per gold stage: " + ", ".join(
        f"{stage} {sum(v) / len(v):.2f} (n={len(v)})" for stage, v in sorted(per_stage.items())
    ))  # fmt: skip
    print(f"tagging time: {elapsed:.3f} ms per message")


def escalation_quality(settings: Settings, scenarios: Path) -> None:
    kb, model, detector = load_domain(settings)
    scripts = read_scripts(scenarios, model)
    labels = {}
    kinds = {}
    for line in scenarios.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            labels[data["id"]] = bool(data["label"]["escalate"])
            kinds[data["id"]] = data["label"]["kind"]
    started = time.perf_counter()
    horizon = timedelta(minutes=30)
    with throwaway_services(kb, model, detector) as services:
        results = {row["id"]: row for row in replay(services.desk, scripts, horizon)}
    elapsed = time.perf_counter() - started
    by_script = {s.id: s for s in scripts}

    def human_only(script_id: str) -> bool:
        return any(
            step.action == "talk_to_human"
            or any(s.id == ASKED_FOR_HUMAN for s in detector.text_signals(step.text or ""))
            for step in by_script[script_id].steps
        )

    def any_trouble(script_id: str) -> bool:
        script = by_script[script_id]
        return human_only(script_id) or any(s.action == "not_helpful" for s in script.steps)

    policies = {
        "project (replay through the desk)": lambda i: results[i]["escalated"],
        "baseline: only explicit requests": human_only,
        "baseline: requests or any not-helpful": any_trouble,
    }
    print()
    languages = Counter(s.locale or "en" for s in scripts)
    print(f"(b) Escalation on {scenarios.name}: {len(scripts)} conversations "
          f"({', '.join(f'{k} {v}' for k, v in sorted(languages.items()))}), "
          f"{sum(labels.values())} should escalate")  # fmt: skip
    print(f"{'policy':<40}{'precision':>10}{'recall':>8}{'stuck-buyer recall':>20}")
    for name, policy in policies.items():
        predicted = {i: bool(policy(i)) for i in labels}
        tp = sum(predicted[i] and labels[i] for i in labels)
        fp = sum(predicted[i] and not labels[i] for i in labels)
        fn = sum(not predicted[i] and labels[i] for i in labels)
        stuck = [i for i in labels if kinds[i] == "stuck_buyer"]
        stuck_recall = sum(predicted[i] for i in stuck) / len(stuck)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        print(f"{name:<40}{precision:>10.3f}{recall:>8.3f}{stuck_recall:>20.3f}")
    wrong = [i for i in labels if results[i]["escalated"] != labels[i]]
    if wrong:
        print("project mistakes: " + ", ".join(
            f"{i} ({'missed' if labels[i] else 'false alarm'})" for i in wrong
        ))  # fmt: skip
    print(f"replay time: {elapsed:.1f} s for {len(scripts)} conversations")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="folder with bitext/ (default: ../shared/data)")  # fmt: skip
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS)
    parser.add_argument(
        "--split",
        choices=("dev", "test"),
        default="test",  # fmt: skip
        help="Bitext split for stage accuracy: tune on dev, report test",
    )
    args = parser.parse_args()
    if not (args.data / "bitext" / "test.csv").is_file():
        print(f"benchmark: {args.data}/bitext/test.csv not found; pass --data", file=sys.stderr)
        return 2
    settings = Settings()
    kb, model, _ = load_domain(settings)
    stage_accuracy(args.data, StageTagger(model), Searcher(kb), args.split)
    escalation_quality(settings, args.scenarios)
    return 0


if __name__ == "__main__":
    sys.exit(main())
