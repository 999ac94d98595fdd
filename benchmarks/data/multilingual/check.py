"""Validate the multilingual answer-retrieval benchmark and print its counts.

Run from the project folder:  python benchmarks/data/multilingual/check.py
Needs only the standard library and PyYAML. Exits 1 and lists every problem if any check fails.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
KB_DIR = HERE / "kb"
QUERIES = HERE / "queries.jsonl"
LOCALES = ("en", "it", "de", "pl")
STAGES = {"awareness", "engagement", "evaluation", "purchase", "support", "bonding", "dissolution"}
AUDIENCES = {"public", "internal"}
SPLITS = ("dev", "test")
STYLES = ("colloquial", "typo", "no-accents", "formal", "short")
QUERY_FIELDS = {"query", "expected_id", "language", "split", "style"}
ARTICLE_FIELDS = {"id", "locale", "title", "questions", "stages", "tags", "audience", "answer"}
REQUIRED_ARTICLE_FIELDS = {"id", "locale", "title", "stages", "tags", "audience", "answer"}
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MIN_PER_ARTICLE_AND_LANGUAGE = 2


def load_kb(problems: list[str]) -> dict[str, dict[str, dict]]:
    """{locale: {id: article}} for every kb/<locale>.yaml."""
    kb: dict[str, dict[str, dict]] = {}
    for locale in LOCALES:
        path = KB_DIR / f"{locale}.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path.name}: cannot load: {exc}")
            continue
        if (
            not isinstance(data, dict)
            or set(data) != {"articles"}
            or not isinstance(data["articles"], list)
        ):
            problems.append(f"{path.name}: expected a mapping with only 'articles:' holding a list")
            continue
        articles: dict[str, dict] = {}
        for n, art in enumerate(data["articles"], 1):
            where = f"{path.name} article #{n}"
            if not isinstance(art, dict):
                problems.append(f"{where}: not a mapping")
                continue
            where = f"{path.name} {art.get('id', f'#{n}')!s}"
            if missing := REQUIRED_ARTICLE_FIELDS - set(art):
                problems.append(f"{where}: missing {sorted(missing)}")
            if extra := set(art) - ARTICLE_FIELDS:
                problems.append(f"{where}: unknown fields {sorted(extra)}")
            aid = art.get("id")
            if not isinstance(aid, str) or not ID_PATTERN.match(aid):
                problems.append(f"{where}: bad id {aid!r}")
                continue
            if aid in articles:
                problems.append(f"{where}: duplicate id")
            if art.get("locale") != locale:
                problems.append(f"{where}: locale {art.get('locale')!r}, file is {locale}")
            if art.get("audience") not in AUDIENCES:
                problems.append(f"{where}: audience {art.get('audience')!r}")
            stages = art.get("stages") or []
            if not stages or not set(stages) <= STAGES:
                problems.append(f"{where}: stages {stages!r} not from {sorted(STAGES)}")
            for key in ("title", "answer"):
                if not isinstance(art.get(key), str) or not art[key].strip():
                    problems.append(f"{where}: empty {key}")
            questions = art.get("questions", [])
            if not isinstance(questions, list) or not all(
                isinstance(q, str) and q for q in questions
            ):
                problems.append(f"{where}: questions must be a list of texts")
            articles[aid] = art
        kb[locale] = articles
    en = set(kb.get("en", {}))
    for locale, articles in kb.items():
        for aid, art in articles.items():
            if aid not in en:
                problems.append(f"{locale}.yaml {aid}: no English article with this id")
            elif art.get("audience") != kb["en"][aid].get("audience"):
                problems.append(f"{locale}.yaml {aid}: audience differs from the English article")
    return kb


def load_queries(problems: list[str]) -> list[dict]:
    rows: list[dict] = []
    for n, line in enumerate(QUERIES.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            problems.append(f"queries.jsonl:{n}: empty line")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"queries.jsonl:{n}: not JSON: {exc}")
            continue
        if not isinstance(row, dict) or set(row) != QUERY_FIELDS:
            problems.append(f"queries.jsonl:{n}: fields must be exactly {sorted(QUERY_FIELDS)}")
            continue
        row["_line"] = n
        rows.append(row)
    return rows


def check_queries(rows: list[dict], kb: dict[str, dict[str, dict]], problems: list[str]) -> None:
    en = kb.get("en", {})
    public = {aid for aid, art in en.items() if art.get("audience") == "public"}
    known_texts = {
        text.casefold().strip()
        for articles in kb.values()
        for art in articles.values()
        for text in [art.get("title", ""), *(art.get("questions") or [])]
    }
    seen: dict[str, int] = {}
    for row in rows:
        where = f"queries.jsonl:{row['_line']}"
        query = row["query"]
        if not isinstance(query, str) or not query.strip():
            problems.append(f"{where}: empty query")
            continue
        if row["language"] not in LOCALES:
            problems.append(f"{where}: language {row['language']!r}")
        if row["split"] not in SPLITS:
            problems.append(f"{where}: split {row['split']!r}")
        if row["style"] not in STYLES:
            problems.append(f"{where}: style {row['style']!r}")
        expected = row["expected_id"]
        if expected is not None and expected not in public:
            problems.append(f"{where}: expected_id {expected!r} is not a public English article")
        if row["style"] == "no-accents" and not query.isascii():
            problems.append(f"{where}: style no-accents but the query has accented letters")
        key = query.casefold().strip()
        if key in seen:
            problems.append(f"{where}: duplicate of line {seen[key]}")
        seen.setdefault(key, row["_line"])
        if key.rstrip("?!. ") in {t.rstrip("?!. ") for t in known_texts}:
            problems.append(f"{where}: equals an article title or question")
    per = Counter((r["expected_id"], r["language"]) for r in rows if r["expected_id"])
    for aid in sorted(public):
        for lang in LOCALES:
            if per[(aid, lang)] < MIN_PER_ARTICLE_AND_LANGUAGE:
                problems.append(
                    f"{aid}: {per[(aid, lang)]} {lang} queries, need {MIN_PER_ARTICLE_AND_LANGUAGE}"
                )
    for (aid, lang), _n in per.items():
        splits = Counter(
            r["split"] for r in rows if r["expected_id"] == aid and r["language"] == lang
        )
        if abs(splits["dev"] - splits["test"]) > 1:
            problems.append(f"{aid}/{lang}: split not half/half ({dict(splits)})")


def table(title: str, header: list[str], body: list[list[object]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    print(title)
    for line in [header, *body]:
        print(
            "  "
            + "  ".join(
                str(x).rjust(w) if i else str(x).ljust(w)
                for i, (x, w) in enumerate(zip(line, widths, strict=False))
            )
        )
    print()


def report(kb: dict[str, dict[str, dict]], rows: list[dict]) -> None:
    en = kb.get("en", {})
    body = []
    for locale in LOCALES:
        arts = kb.get(locale, {}).values()
        body.append(
            [
                locale,
                len(arts),
                sum(a.get("audience") == "public" for a in arts),
                sum(a.get("audience") == "internal" for a in arts),
                sum(not a.get("questions") for a in arts),
                ", ".join(sorted(set(en) - set(kb.get(locale, {})))) or "-",
            ]
        )
    table(
        "Articles", ["locale", "total", "public", "internal", "no questions", "missing ids"], body
    )

    def row_for(label: str, subset: list[dict]) -> list[object]:
        c = Counter(r["split"] for r in subset)
        return [label, len(subset), c["dev"], c["test"]]

    body = []
    for lang in LOCALES:
        mine = [r for r in rows if r["language"] == lang]
        body.append(row_for(f"{lang} in-scope", [r for r in mine if r["expected_id"]]))
        body.append(row_for(f"{lang} out-of-scope", [r for r in mine if not r["expected_id"]]))
    body.append(row_for("all in-scope", [r for r in rows if r["expected_id"]]))
    body.append(row_for("all out-of-scope", [r for r in rows if not r["expected_id"]]))
    body.append(row_for("all", rows))
    table("Queries", ["", "total", "dev", "test"], body)

    body = []
    for style in STYLES:
        counts = [
            sum(1 for r in rows if r["style"] == style and r["language"] == lang)
            for lang in LOCALES
        ]
        body.append([style, *counts, sum(counts), f"{100 * sum(counts) / max(len(rows), 1):.0f}%"])
    table("Query styles", ["style", *LOCALES, "all", "share"], body)


def main() -> int:
    problems: list[str] = []
    kb = load_kb(problems)
    rows = load_queries(problems)
    check_queries(rows, kb, problems)
    report(kb, rows)
    if problems:
        print(f"{len(problems)} problem(s):")
        for p in problems:
            print("  " + p)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
