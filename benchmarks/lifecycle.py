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
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.bootstrap import (  # noqa: E402
    load_domain,
    load_indexed_knowledge_base,
    load_lifecycle,
    throwaway_services,
)
from bot.config import Settings  # noqa: E402
from bot.service.replay import read_scripts, replay  # noqa: E402
from knowledge_base import Searcher  # noqa: E402
from knowledge_base.search import ANSWER  # noqa: E402
from knowledge_base.semantic import forget_queries  # noqa: E402
from knowledge_base.text import fold  # noqa: E402
from lifecycle import StageTagger  # noqa: E402
from lifecycle.rules import ASKED_FOR_HUMAN  # noqa: E402

SCENARIOS = ROOT / "benchmarks" / "data" / "escalation_scenarios.jsonl"
CONVERSATIONS = ROOT / "benchmarks" / "data" / "lifecycle"
HORIZON = timedelta(minutes=30)

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


def stage_accuracy(
    data: Path, tagger: StageTagger, searcher: Searcher, split: str, name: str
) -> None:
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
          f"with a stage (stage-neutral intents left out); tagger: {name}")  # fmt: skip
    print(f"{'method':<34}{'accuracy':>9}{'tagged':>9}")
    labels = {
        "project": f"project tagger ({name} + KB)",
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


@dataclass(frozen=True)
class Labelled:
    """A conversation's labels, written before it was ever replayed."""

    escalate: bool
    kind: str
    stage: str | None
    split: str
    language: str
    variant: str = ""


def read_labels(files: list[Path]) -> dict[str, Labelled]:
    labels = {}
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                label = data["label"]
                labels[data["id"]] = Labelled(
                    bool(label["escalate"]),
                    label["kind"],
                    label.get("stage"),
                    label.get("split", "all"),
                    data.get("locale") or "en",
                    label.get("variant", ""),
                )
    return labels


def replayed(
    settings: Settings, files: list[Path], meaning: bool, ids: set[str]
) -> tuple[dict, dict, float]:
    """Each conversation's replay result (through the real desk and the production searcher),
    its script, and the seconds the replay took."""
    chosen = settings if meaning else replace(settings, semantic_model="off")
    model, detector = load_lifecycle(chosen)
    kb, searcher = load_indexed_knowledge_base(settings, model)
    scripts = [s for file in files for s in read_scripts(file, model) if s.id in ids]
    forget_queries()  # each run embeds its messages itself: the timings compare
    started = time.perf_counter()
    with throwaway_services(kb, model, detector, searcher) as services:
        results = {row["id"]: row for row in replay(services.desk, scripts, HORIZON)}
    return results, {s.id: s for s in scripts}, time.perf_counter() - started


def metrics(predicted: dict[str, bool], labels: dict[str, Labelled], ids: list[str]) -> dict:
    def share(hits: list[bool]) -> float | None:
        return sum(hits) / len(hits) if hits else None

    tp = sum(predicted[i] and labels[i].escalate for i in ids)
    fp = sum(predicted[i] and not labels[i].escalate for i in ids)
    return {
        "precision": tp / (tp + fp) if tp + fp else None,
        "stuck": share([predicted[i] for i in ids if labels[i].kind == "stuck_buyer"]),
        "person": share([predicted[i] for i in ids if labels[i].kind == "human_request"]),
        "right": share([predicted[i] == labels[i].escalate for i in ids]),
        "false": fp,
        "n": len(ids),
    }


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def escalation_quality(
    settings: Settings, files: list[Path], title: str, show: str = "all"
) -> None:
    """Escalation and stage accuracy on labelled conversations, per split, language and kind,
    against words-only judgement and two simple policies, all in this run."""
    labels = read_labels(files)
    if show != "all":  # tuning looks at the dev half only
        labels = {i: label for i, label in labels.items() if label.split == show}
    ours, scripts, seconds = replayed(settings, files, meaning=True, ids=set(labels))
    words, _, words_seconds = replayed(settings, files, meaning=False, ids=set(labels))
    _, detector = load_lifecycle(replace(settings, semantic_model="off"))

    def human_only(script_id: str) -> bool:
        return any(
            step.action == "talk_to_human"
            or any(s.id == ASKED_FOR_HUMAN for s in detector.text_signals(step.text or ""))
            for step in scripts[script_id].steps
        )

    def any_trouble(script_id: str) -> bool:
        return human_only(script_id) or any(
            s.action == "not_helpful" for s in scripts[script_id].steps
        )

    policies = {
        "project (meaning + words)": {i: ours[i]["escalated"] for i in labels},
        "project, words only": {i: words[i]["escalated"] for i in labels},
        "baseline: explicit requests only": {i: human_only(i) for i in labels},
        "baseline: requests or not-helpful": {i: any_trouble(i) for i in labels},
    }
    staged = {"project (meaning + words)": ours, "project, words only": words}
    languages = Counter(label.language for label in labels.values())
    print()
    print(f"{title}: {len(labels)} conversations "
          f"({', '.join(f'{k} {v}' for k, v in sorted(languages.items()))}), "
          f"{sum(label.escalate for label in labels.values())} should escalate")  # fmt: skip
    splits = sorted({label.split for label in labels.values()})
    header = (f"{'split':<6}{'policy':<36}{'precision':>10}{'stuck rec':>10}{'person rec':>11}"
              f"{'right':>7}{'false':>6}{'stage acc':>10}")  # fmt: skip
    print(header)
    for split in splits:
        ids = [i for i, label in labels.items() if label.split == split]
        for name, predicted in policies.items():
            m = metrics(predicted, labels, ids)
            stage = ""
            if name in staged:
                graded = [i for i in ids if labels[i].stage]
                right = sum(staged[name][i]["stage"] == labels[i].stage for i in graded)
                stage = _f(right / len(graded)) if graded else "-"
            cells = f"{_f(m['person']):>11}{_f(m['right']):>7}{m['false']:>6}{stage:>10}"
            print(f"{split:<6}{name:<36}{_f(m['precision']):>10}{_f(m['stuck']):>10}{cells}")
    for split in splits:
        ids = [i for i, label in labels.items() if label.split == split]
        print(f"per language ({split}), project: escalation right / stage right")
        for language in sorted(languages):
            mine = [i for i in ids if labels[i].language == language]
            if not mine:
                continue
            right = sum(ours[i]["escalated"] == labels[i].escalate for i in mine)
            stage = sum(ours[i]["stage"] == labels[i].stage for i in mine if labels[i].stage)
            graded = sum(1 for i in mine if labels[i].stage)
            print(f"  {language}: {right}/{len(mine)} = {right / len(mine):.2f}; "
                  f"stage {stage}/{graded} = {stage / graded if graded else 0:.2f}")  # fmt: skip
        print(f"per kind ({split}), project: escalation right / stage right")
        for kind in sorted({labels[i].kind for i in ids}):
            mine = [i for i in ids if labels[i].kind == kind]
            right = sum(ours[i]["escalated"] == labels[i].escalate for i in mine)
            stage = sum(ours[i]["stage"] == labels[i].stage for i in mine if labels[i].stage)
            graded = sum(1 for i in mine if labels[i].stage)
            print(f"  {kind:<26} {right}/{len(mine)}; stage {stage}/{graded}")
        misses = [i for i in ids if ours[i]["escalated"] != labels[i].escalate]
        wrong_stage = [i for i in ids if labels[i].stage and ours[i]["stage"] != labels[i].stage]
        said = [
            f"{i} (missed)"
            if labels[i].escalate
            else f"{i} (false alarm: {'+'.join(ours[i]['reasons'])})"
            for i in misses
        ]
        print(f"misses ({split}): " + (", ".join(said) or "none"))
        said = [f"{i} ({ours[i]['stage']}, not {labels[i].stage})" for i in wrong_stage]
        print(f"wrong stage ({split}): " + (", ".join(said) or "none"))
    count = len(labels)
    print(f"replay time: {seconds / count * 1000:.0f} ms per conversation with meaning, "
          f"{words_seconds / count * 1000:.0f} ms words only ({count} conversations)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="folder with bitext/ (default: ../shared/data)")  # fmt: skip
    parser.add_argument(
        "--scenarios",
        type=Path,
        default=SCENARIOS,
        help="the old hand-written scenarios (the rules were tuned on them)",
    )
    parser.add_argument(
        "--conversations",
        type=Path,
        default=CONVERSATIONS,
        help="folder of held-out labelled conversations (*.jsonl, dev/test)",
    )
    parser.add_argument("--part", choices=("all", "stages", "escalation"), default="all")
    parser.add_argument(
        "--show",
        choices=("all", "dev", "test"),
        default="all",
        help="which half of the held-out conversations to run (tune on dev)",
    )
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
    if args.part in ("all", "stages"):
        kb, model, detector = load_domain(settings)
        stage_accuracy(args.data, StageTagger(model), Searcher(kb), args.split, "words only")
        model, detector = load_lifecycle(settings)
        kb, searcher = load_indexed_knowledge_base(settings, model)
        tagger = StageTagger(model, detector.meaning)
        stage_accuracy(args.data, tagger, searcher, args.split, "meaning + words")
    if args.part in ("all", "escalation"):
        held_out = sorted(args.conversations.glob("*.jsonl"))
        if not held_out:
            print(f"benchmark: no *.jsonl in {args.conversations}", file=sys.stderr)
            return 2
        title = f"(b) Held-out conversations in {args.conversations}"
        escalation_quality(settings, held_out, title, args.show)
        escalation_quality(
            settings, [args.scenarios], f"(c) The old scenarios {args.scenarios.name}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
