"""YAML that remembers line numbers, so every problem can be reported as FILE:LINE: message."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, order=True)
class KbProblem:
    """One thing wrong in the knowledge base, located for the person who must fix it."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class KnowledgeBaseError(Exception):
    """A YAML file (articles, stage model, rules) has problems; `problems` lists them all."""

    def __init__(self, problems: list[KbProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LineMap(dict):
    """A YAML mapping that remembers where it and each of its keys start."""

    line: int = 0
    key_lines: dict[str, int]
    duplicate_keys: list[tuple[str, int]]


# The C parser (libyaml, in PyYAML's wheels) reads large knowledge bases about 8x faster and
# reports the same marks; the pure-Python one is the fallback where libyaml is missing.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    pass


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineMap:
    mapping = LineMap(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    mapping.duplicate_keys = []
    for key_node, _ in node.value:
        key, line = str(key_node.value), key_node.start_mark.line + 1
        if key in mapping.key_lines:
            mapping.duplicate_keys.append((key, line))
        mapping.key_lines.setdefault(key, line)
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(file: Path, text: str, offset: int, problems: list[KbProblem]) -> Any:
    try:
        return yaml.load(text, Loader=LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = (mark.line + 1 if mark else 1) + offset
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(KbProblem(str(file), line, f"YAML syntax error: {reason}"))
        return None


def load_yaml_file(file: Path, problems: list[KbProblem]) -> Any:
    """Read and parse one YAML file, adding a located problem when it cannot be read or parsed."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(KbProblem(str(file), 1, f"cannot read file: {exc}"))
        return None
    return parse_yaml(file, text, 0, problems)
