"""Articles written by the app (an agent's answer approved by a lead): the YAML the loader
reads, laid out the way a person would write it, so the file can be edited by hand later."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import yaml

ID_LENGTH = 60  # characters of an id made from a title


class _ArticleDumper(yaml.SafeDumper):
    """Multi-line text as a literal block (`|`), as the bundled articles are written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ArticleDumper.add_representer(str, _text)


def article_yaml(
    *,
    article_id: str,
    locale: str,
    title: str,
    questions: Sequence[str],
    stages: Sequence[str],
    answer: str,
    tags: Sequence[str] = (),
) -> str:
    """One article as a YAML file's text (`articles:` with one entry)."""
    article: dict = {"id": article_id, "locale": locale, "title": title}
    if questions:
        article["questions"] = list(questions)
    if stages:
        article["stages"] = list(stages)
    if tags:
        article["tags"] = list(tags)
    article["audience"] = "public"
    # Trailing spaces on a line would force YAML out of the literal style.
    article["answer"] = "\n".join(line.rstrip() for line in answer.strip().splitlines())
    return yaml.dump({"articles": [article]}, Dumper=_ArticleDumper, allow_unicode=True,
                     sort_keys=False, width=100)  # fmt: skip


def slug(text: str) -> str:
    """An article id from a title: lowercase ASCII letters, digits and hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    made = "-".join(words)[:ID_LENGTH].strip("-")
    return made or "article"
