"""Load articles from YAML and Markdown files, reporting every problem as FILE:LINE: message."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from pathlib import Path

from knowledge_base.articles import INTERNAL, PUBLIC, Article, KnowledgeBase
from knowledge_base.yaml_lines import KbProblem, KnowledgeBaseError, LineMap, parse_yaml

ARTICLE_FIELDS = (
    "id",
    "title",
    "answer",
    "questions",
    "locale",
    "stages",
    "tags",
    "audience",
    "agent_notes",
)
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}$")
YAML_SUFFIXES = {".yaml", ".yml"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
# Control characters (C0, DEL, C1) but tab and newline, and lone surrogates: Slack shows none
# of them, PostgreSQL refuses NUL and UTF-8 cannot carry a surrogate. Breaks become newlines.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]+")
_BREAKS = re.compile("[\r\x0b\x0c\x85]")


def without_controls(text: str) -> str:
    """Text without the control characters Slack would not show; tabs and newlines stay."""
    return _CONTROLS.sub("", _BREAKS.sub("\n", text.replace("\r\n", "\n")))


def load_knowledge_base(
    path: Path, known_stages: Collection[str] | None = None, default_locale: str = "en"
) -> KnowledgeBase:
    """Load every article under `path`; raise KnowledgeBaseError listing all problems."""
    articles, problems = check_knowledge_base(path, known_stages)
    if problems:
        raise KnowledgeBaseError(problems)
    return KnowledgeBase.of(articles, default_locale)


def check_knowledge_base(
    path: Path, known_stages: Collection[str] | None = None
) -> tuple[list[Article], list[KbProblem]]:
    """Parse and validate; return the good articles and every problem found."""
    problems: list[KbProblem] = []
    articles: list[Article] = []
    files = list(article_files(path))
    if not files:
        return [], [KbProblem(str(path), 0, "no article files (*.yaml, *.yml, *.md) found")]
    for file in files:
        for raw in _read_file(file, problems):
            article = _validate(raw, str(file), known_stages, problems)
            if article is not None:
                articles.append(article)
    seen: dict[tuple[str, str], Article] = {}
    for article in articles:
        key = (article.id, article.locale)
        if key in seen:
            file, _, line = article.source.rpartition(":")
            problems.append(
                KbProblem(
                    file,
                    int(line),
                    f"duplicate id {article.id!r} in locale {article.locale!r} "
                    f"(first at {seen[key].source})",
                )
            )
        else:
            seen[key] = article
    if not problems and not articles:
        problems.append(KbProblem(str(path), 0, "the knowledge base has no articles"))
    return list(seen.values()), sorted(problems)


def article_files(path: Path) -> Iterable[Path]:
    """The files the loader reads under `path`, in its order (also what the index cache hashes):
    YAML and Markdown, skipping READMEs and hidden files and folders."""
    if path.is_file():
        yield path
        return
    for file in sorted(path.rglob("*")):
        if not file.is_file() or file.name.lower().startswith("readme"):
            continue
        if any(part.startswith(".") for part in file.relative_to(path).parts):
            continue
        if file.suffix.lower() in YAML_SUFFIXES | MARKDOWN_SUFFIXES:
            yield file


def check_article_text(
    text: str, name: str, known_stages: Collection[str] | None = None
) -> tuple[list[Article], list[KbProblem]]:
    """Validate one article file's text by the very rules the loader applies, as if it were
    the file `name` (its suffix says YAML or Markdown): for articles written by the app."""
    problems: list[KbProblem] = []
    checked = [_validate(raw, name, known_stages, problems)
               for raw in _read_text(Path(name), text, problems)]
    articles = [article for article in checked if article is not None]
    return articles, sorted(problems)


def _read_file(file: Path, problems: list[KbProblem]) -> list[LineMap]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(KbProblem(str(file), 1, f"cannot read file: {exc}"))
        return []
    return _read_text(file, text, problems)


def _read_text(file: Path, text: str, problems: list[KbProblem]) -> list[LineMap]:
    # Cleaned, not refused: the characters are invisible in an editor, so a writer could not
    # see what to fix, and what was meant is plain once they are gone. Removed, not turned
    # into line breaks, so every FILE:LINE still points where the writer's editor does.
    text = _CONTROLS.sub("", text)
    if file.suffix.lower() in MARKDOWN_SUFFIXES:
        article = _read_markdown(file, text, problems)
        return [article] if article is not None else []
    data = parse_yaml(file, text, 0, problems)
    if data is None:
        return []
    if isinstance(data, LineMap) and "articles" in data:
        extra = sorted(set(data) - {"articles"})
        for key in extra:
            problems.append(
                KbProblem(str(file), data.key_lines[key], f"unknown top-level field {key!r}")
            )
        line = data.key_lines["articles"]
        data = data["articles"]
    else:
        line = 1
    if isinstance(data, LineMap):
        return [data]  # a file holding a single article
    if not isinstance(data, list):
        problems.append(
            KbProblem(str(file), line, "expected a list of articles or a mapping with 'articles:'")
        )
        return []
    good: list[LineMap] = []
    for item in data:
        if isinstance(item, LineMap):
            good.append(item)
        else:
            problems.append(
                KbProblem(str(file), line, f"expected an article mapping, got {item!r}")
            )
    return good


def _read_markdown(file: Path, text: str, problems: list[KbProblem]) -> LineMap | None:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(KbProblem(str(file), 1, "expected YAML front matter starting with '---'"))
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(KbProblem(str(file), 1, "front matter is not closed with '---'"))
        return None
    meta = parse_yaml(file, "\n".join(lines[1:end]), 1, problems)
    if meta is None:
        meta = LineMap()
        meta.line, meta.key_lines, meta.duplicate_keys = 1, {}, []
        if problems and problems[-1].file == str(file):
            return None
    if not isinstance(meta, LineMap):
        problems.append(KbProblem(str(file), 2, "front matter must be a mapping of fields"))
        return None
    for key in list(meta.key_lines):
        meta.key_lines[key] += 1
    for index, (key, line) in enumerate(meta.duplicate_keys):
        meta.duplicate_keys[index] = (key, line + 1)
    meta.line = 1
    body = lines[end + 1 :]
    heading = next((i for i, line in enumerate(body) if line.startswith("# ")), None)
    if heading is not None and "title" not in meta:
        meta["title"] = body[heading][2:].strip()
        meta.key_lines["title"] = end + 2 + heading
        body = body[:heading] + body[heading + 1 :]
    if "answer" not in meta:
        meta["answer"] = "\n".join(body).strip()
        meta.key_lines["answer"] = end + 2
    return meta


def _validate(
    raw: LineMap, file: str, known_stages: Collection[str] | None, problems: list[KbProblem]
) -> Article | None:
    before = len(problems)

    def problem(key: str | None, message: str) -> None:
        line = raw.key_lines.get(key, raw.line) if key else raw.line
        problems.append(KbProblem(file, line, message))

    for key, _line in raw.duplicate_keys:
        problem(key, f"field {key!r} appears twice")
    for key in raw:
        if key not in ARTICLE_FIELDS:
            problem(str(key), f"unknown field {key!r} (allowed: {', '.join(ARTICLE_FIELDS)})")

    def text(key: str, required: bool) -> str:
        value = raw.get(key)
        if value is None:
            if required:
                problem(None, f"missing required field {key!r}")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            problem(key, f"{key!r} must be text")
            return ""
        value = without_controls(str(value)).strip()  # YAML escapes: "\0", "\e", "\x07"
        if required and not value:
            problem(key, f"{key!r} is empty")
        return value

    def text_list(key: str) -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            cleaned = tuple(without_controls(v).strip() for v in value)
            if all(cleaned):
                return cleaned
        problem(key, f"{key!r} must be a list of non-empty texts")
        return ()

    article_id = text("id", required=True)
    if article_id and not ID_PATTERN.match(article_id):
        problem("id", f"bad id {article_id!r}: use lowercase letters, digits and hyphens")
    title = text("title", required=True)
    answer = text("answer", required=True)
    locale = text("locale", required=False) or "en"
    if not LOCALE_PATTERN.match(locale):
        problem("locale", f"bad locale {locale!r}: use a language code such as en, it, de, pl")
    audience = text("audience", required=False) or PUBLIC
    if audience not in (PUBLIC, INTERNAL):
        problem("audience", f"audience must be {PUBLIC!r} or {INTERNAL!r}, got {audience!r}")
    stages = text_list("stages")
    if known_stages is not None:
        for stage in stages:
            if stage not in known_stages:
                problem(
                    "stages",
                    f"unknown stage {stage!r} (the stage model has: {', '.join(known_stages)})",
                )
    article = Article(
        id=article_id,
        title=title,
        answer=answer,
        locale=locale,
        questions=text_list("questions"),
        stages=stages,
        tags=text_list("tags"),
        audience=audience,
        agent_notes=text("agent_notes", required=False),
        source=f"{file}:{raw.line}",
    )
    return article if len(problems) == before else None
