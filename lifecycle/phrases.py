"""Find configured phrases in a message, tolerant of case, accents and inflected endings.

Each phrase word matches a message word that starts with it, so a stem such as `zamówi` covers
`zamówienie` and `zamówić`, and `bestell` covers `Bestellung`: writers of the YAML files handle
inflection without a stemmer per language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge_base.text import fold

_KEY = 3  # phrases are bucketed by the first letters of their first word


@dataclass(frozen=True)
class PhraseHit:
    """A phrase found in a message, with what it stands for."""

    label: str  # a stage id or a signal id
    phrase: str  # as written in the YAML file
    words: int  # longer phrases are stronger evidence


class PhraseMatcher:
    """All phrases of all labels, indexed for matching one short message quickly."""

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        self._buckets: dict[str, list[tuple[tuple[str, ...], str, str]]] = defaultdict(list)
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for label, phrase in phrases:
            folded = tuple(fold(phrase).split())
            if not folded or (label, folded) in seen:
                continue
            seen.add((label, folded))
            self._buckets[folded[0][:_KEY]].append((folded, label, phrase))

    def find(self, text: str) -> list[PhraseHit]:
        """Every phrase that occurs in `text`; a phrase counts once however often it occurs."""
        message = fold(text).split()
        hits: dict[tuple[str, str], PhraseHit] = {}
        for start, word in enumerate(message):
            for size in range(1, _KEY + 1):
                if size > len(word):
                    break
                for folded, label, phrase in self._buckets.get(word[:size], ()):
                    if _matches_at(message, start, folded):
                        hits.setdefault((label, phrase), PhraseHit(label, phrase, len(folded)))
        return list(hits.values())


def _matches_at(message: list[str], start: int, phrase: tuple[str, ...]) -> bool:
    if start + len(phrase) > len(message):
        return False
    return all(message[start + i].startswith(word) for i, word in enumerate(phrase))
