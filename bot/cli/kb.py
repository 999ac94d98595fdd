"""`supportbot kb ...`: validate, import, search and calibrate a knowledge base from the command
line."""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path

import yaml

from bot.bootstrap import load_indexed_knowledge_base
from bot.cli.chat import stdin_lines
from bot.config import Settings
from knowledge_base import KnowledgeBase, Searcher
from knowledge_base.calibration import (
    CalibrationError,
    Point,
    evaluate,
    outcomes,
    read_questions,
    sweep,
    top1,
)
from knowledge_base.loader import ID_PATTERN, LOCALE_PATTERN, check_knowledge_base
from knowledge_base.search import AGENT_AUDIENCE, PUBLIC_AUDIENCE, SearchResult
from knowledge_base.text import fold
from lifecycle import load_stage_model

CSV_COLUMNS = ("id", "question", "title", "answer", "questions", "stages", "tags", "locale")


def register(commands: argparse._SubParsersAction) -> None:
    """Add `kb validate`, `kb import` and `kb search` to the command line."""
    kb = commands.add_parser(
        "kb",
        help="knowledge base: validate, import, search",
        description="Check, import and search a knowledge base.",
    )
    actions = kb.add_subparsers(dest="kb_command", metavar="ACTION")

    validate = actions.add_parser(
        "validate",
        help="check every article; print FILE:LINE: problems",
        description="Check every article under PATH (default: KB_PATH). Prints each problem as "
        "FILE:LINE: message and exits 1, or a one-line summary and exits 0.",
    )
    validate.add_argument("path", nargs="?", type=Path, help="folder or file (default: KB_PATH)")
    validate.set_defaults(handler=cmd_validate)

    importer = actions.add_parser(
        "import",
        help="turn a CSV of questions and answers into YAML articles",
        description="Columns: question (or title), answer; optional: id, questions (one per "
        "line or separated by |), stages and tags (comma-separated), locale. Bad rows are "
        "reported with their row number and nothing is written.",
    )
    importer.add_argument("csv_file", type=Path, metavar="FILE.csv")
    importer.add_argument(
        "--out", type=Path, help="YAML file to write (default: FILE.yaml beside the CSV)"
    )
    importer.add_argument("--force", action="store_true", help="overwrite an existing --out")
    importer.set_defaults(handler=cmd_import)

    search = actions.add_parser(
        "search",
        help="search as a customer or an agent would; --json for measuring",
        description="Search the knowledge base for each query (arguments, or one per line on "
        "standard input). With --json, prints one JSON object per query: query, language, "
        "decision (answer|suggest|none) and the best three hits. This is how a company "
        "measures its own knowledge base before going live.",
    )
    search.add_argument("queries", nargs="*", help="queries (default: read standard input)")
    search.add_argument("--kb", type=Path, help="knowledge base folder (default: KB_PATH)")
    search.add_argument(
        "--audience", choices=(PUBLIC_AUDIENCE, AGENT_AUDIENCE), default=PUBLIC_AUDIENCE
    )
    search.add_argument("--lang", help="the customer's known language, used when unsure")
    search.add_argument("--json", action="store_true", help="one JSON object per query")
    search.set_defaults(handler=cmd_search)

    calibrate = actions.add_parser(
        "calibrate",
        help="thresholds that hold a precision, from your own labelled questions",
        description="Search each question of QUESTIONS.jsonl (one JSON object per line: "
        '{"query": "...", "expected_id": "article-id"}, or "expected_id": null for a question '
        "the knowledge base should not answer) and print, for a sweep of answer thresholds, "
        "how many answerable questions get an answer (coverage), how many answers are right "
        "(precision) and how many unanswerable ones are answered; then the thresholds with the "
        "most coverage at --precision, as lines for .env.",
    )
    calibrate.add_argument("questions", type=Path, metavar="QUESTIONS.jsonl")
    calibrate.add_argument("--kb", type=Path, help="knowledge base folder (default: KB_PATH)")
    calibrate.add_argument(
        "--precision",
        type=_precision,
        default=0.95,
        help="the share of answers that must be right (default 0.95)",
    )
    calibrate.set_defaults(handler=cmd_calibrate)
    kb.set_defaults(handler=lambda args, settings: _usage(kb))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.path or settings.kb_path
    if not path.exists():
        print(f"supportbot: {path} does not exist", file=sys.stderr)
        return 2
    model = load_stage_model(settings.stage_model)
    articles, problems = check_knowledge_base(path, model.known_ids)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    locales: dict[str, int] = {}
    stages = dict.fromkeys(model.ids, 0)
    for article in articles:
        locales[article.locale] = locales.get(article.locale, 0) + 1
        for stage in {model.resolve(s) for s in article.stages} - {None}:
            stages[stage] += 1  # type: ignore[index]
    per_locale = ", ".join(f"{locale} {count}" for locale, count in sorted(locales.items()))
    per_stage = ", ".join(f"{stage} {count}" for stage, count in stages.items())
    print(f"OK: {len(articles)} articles ({per_locale}); per stage: {per_stage}")
    return 0


def _precision(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share above 0 and at most 1, got {raw!r}")
    return value


def _searcher(args: argparse.Namespace, settings: Settings) -> tuple[KnowledgeBase, Searcher]:
    """The searcher the desk would use (meaning included, the configured thresholds)."""
    if args.kb:
        settings = replace(settings, kb_path=args.kb)
    return load_indexed_knowledge_base(settings, load_stage_model(settings.stage_model))


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    _, searcher = _searcher(args, settings)
    queries: Iterable[str] = args.queries or (
        line.rstrip("\n") for line in stdin_lines("kb search")
    )
    for query in queries:
        if not query.strip():
            continue
        result = searcher.search(query, language=args.lang, audience=args.audience)
        print(json.dumps(_as_json(result), ensure_ascii=False) if args.json else _as_text(result))
    return 0


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    if not args.questions.is_file():
        print(f"supportbot: {args.questions} is not a file", file=sys.stderr)
        return 2
    try:
        read_questions(args.questions)  # a malformed file is told before the index is built
        kb, searcher = _searcher(args, settings)
        questions = read_questions(args.questions, {a.id for a in kb if a.is_public})
    except CalibrationError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    found = outcomes(searcher.search, questions)
    answerable = sum(o.expected_id is not None for o in found)
    mode = f"words and meaning ({searcher.semantic_id})" if searcher.semantic else "words only"
    print(
        f"{len(found)} questions ({answerable} answerable, {len(found) - answerable} out of "
        f"scope); search: {mode}; right article first: {top1(found):.1%}"
    )
    now = evaluate(found, searcher.thresholds)
    t = searcher.thresholds
    print(
        f"current thresholds (answer >= {t.answer_score:.2f}, margin >= {t.answer_margin:.2f}): "
        f"coverage {now.coverage:.1%}, precision {now.precision:.3f}, out of scope answered "
        f"{now.out_of_scope_answered:.1%}"
    )
    points, best = sweep(found, args.precision)
    print(f"{'answer >=':>9} {'margin >=':>9} {'coverage':>9} {'precision':>9} "
          f"{'OOS answered':>12}")  # fmt: skip
    for point in _frontier(points):
        p = point.thresholds
        print(
            f"{p.answer_score:>9.2f} {p.answer_margin:>9.2f} {point.coverage:>9.1%} "
            f"{point.precision:>9.3f} {point.out_of_scope_answered:>12.1%}"
        )
    if best is None:
        print(f"no thresholds reach precision {args.precision}: improve the articles the "
              "wrong answers came from, or lower --precision")  # fmt: skip
        return 1
    b = best.thresholds
    print(
        f"most coverage at precision >= {args.precision}: {best.coverage:.1%} answered at "
        f"precision {best.precision:.3f}. Put in .env:"
    )
    print(f"KB_ANSWER_SCORE={b.answer_score:.2f}")
    print(f"KB_ANSWER_MARGIN={b.answer_margin:.2f}")
    print(f"KB_SUGGEST_SCORE={b.suggest_score:.2f}")
    return 0


def _frontier(points: list[Point]) -> list[Point]:
    """The points no other beats on both coverage and precision, best precision first: the
    trade-off worth reading, not the whole grid."""
    ordered = sorted(points, key=lambda p: (-p.precision, -p.coverage))
    kept: list[Point] = []
    for point in ordered:
        if point.answered and (not kept or point.coverage > kept[-1].coverage):
            kept.append(point)
    return kept


def _as_json(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "language": result.language,
        "decision": result.decision,
        "hits": [
            {
                "id": hit.article.id,
                "locale": hit.article.locale,
                "title": hit.article.title,
                "score": round(hit.score, 3),
            }
            for hit in result.hits[:3]
        ],
    }


def _as_text(result: SearchResult) -> str:
    lines = [f"{result.query}  [{result.language}, {result.decision}]"]
    for hit in result.hits[:3]:
        article = hit.article
        lines.append(f"  {hit.score:.2f}  {article.id} ({article.locale}): {article.title}")
        if article.agent_notes:
            lines.append(f"        agent notes: {article.agent_notes}")
    return "\n".join(lines)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    source: Path = args.csv_file
    out: Path = args.out or source.with_suffix(".yaml")
    if out.is_dir():
        print(f"supportbot: {out} is a folder; give --out a file name", file=sys.stderr)
        return 2
    if out.exists() and not args.force:
        print(f"supportbot: {out} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    model = load_stage_model(settings.stage_model)
    try:
        articles, problems = read_csv_articles(source, model.known_ids)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        print(f"supportbot: cannot read {source}: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s); nothing was written", file=sys.stderr)
        return 1
    text = yaml.safe_dump({"articles": articles}, allow_unicode=True, sort_keys=False, width=100)
    try:
        _write_checked(out, text, model.known_ids)
    except OSError as exc:
        print(f"supportbot: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Wrote {len(articles)} article(s) to {out}")
    return 0


def _write_checked(out: Path, text: str, stages: Collection[str]) -> None:
    """Write `text` to `out` only if it reads back as a valid knowledge base."""
    # Write beside the target and rename, so a crash never leaves half a file.
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        _, written_problems = check_knowledge_base(Path(temporary), stages)
        if written_problems:  # a bug here must not produce an invalid knowledge base
            raise RuntimeError("; ".join(str(p) for p in written_problems))
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def read_csv_articles(source: Path, stages: Iterable[str]) -> tuple[list[dict], list[str]]:
    """Articles from CSV rows, and `FILE:ROW: message` for every bad row (row 1 is the header)."""
    known = set(stages)
    articles: list[dict] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    with source.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        header = [name.strip().lower() for name in reader.fieldnames or []]
        unknown = [name for name in header if name not in CSV_COLUMNS]
        if unknown or not ({"question", "title"} & set(header)) or "answer" not in header:
            return [], [
                f"{source}:1: columns must include question (or title) and answer; "
                f"optional: id, questions, stages, tags, locale"
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            ]
        reader.fieldnames = header
        for row_number, row in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            before = len(problems)

            def bad(message: str, row_number: int = row_number) -> None:
                problems.append(f"{source}:{row_number}: {message}")

            title = row.get("title") or row.get("question", "")
            answer = row.get("answer", "")
            if not title:
                bad("missing question/title")
            if not answer:
                bad("missing answer")
            article_id = row.get("id") or _slug(title)
            if article_id and not ID_PATTERN.match(article_id):
                bad(f"bad id {article_id!r}: use lowercase letters, digits and hyphens")
            locale = row.get("locale") or "en"
            if not LOCALE_PATTERN.match(locale):
                bad(f"bad locale {locale!r}")
            row_stages = _split(row.get("stages", ""), ",")
            for stage in row_stages:
                if stage not in known:
                    bad(f"unknown stage {stage!r} (the stage model has: {', '.join(known)})")
            key = (article_id, locale)
            if article_id and key in seen:
                bad(f"duplicate id {article_id!r} in locale {locale!r} (first at row {seen[key]})")
            if len(problems) != before:
                continue
            seen[key] = row_number
            article: dict = {"id": article_id, "locale": locale, "title": title}
            questions = _split(row.get("questions", ""), "|\n")
            if row.get("title") and row.get("question"):
                questions.insert(0, row["question"])
            if questions:
                article["questions"] = questions
            if row_stages:
                article["stages"] = row_stages
            tags = _split(row.get("tags", ""), ",")
            if tags:
                article["tags"] = tags
            article["answer"] = answer
            articles.append(article)
    if not articles and not problems:
        problems.append(f"{source}:1: no rows")
    return articles, problems


def _split(value: str, separators: str) -> list[str]:
    parts = re.split("[" + re.escape(separators) + "]", value) if value else []
    return [part.strip() for part in parts if part.strip()]


def _slug(text: str) -> str:
    return "-".join(fold(text).split()[:8])
