"""Find configured phrases in a message, tolerant of case, accents and inflected endings.

Each phrase word matches a message word that starts with it, so a stem such as `zamówi` covers
`zamówienie` and `zamówić`, and `bestell` covers `Bestellung`: writers of the YAML files handle
inflection without a stemmer per language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from knowledge_base.text import fold

_KEY = 3  # phrases are bucketed by the first letters of their first word
_MIN_GAPPED_WORD = 3
# A message is matched several times while it is answered (stage tagging, stuck signals, the
# assessment over the conversation so far, the timers' idle check): the hits are kept.
_TEXTS_KEPT = 4096


@dataclass(frozen=True)
class PhraseHit:
    """A phrase found in a message, with what it stands for."""

    label: str  # a stage id or a signal id
    phrase: str  # as written in the YAML file
    words: int  # longer phrases are stronger evidence
    exact: bool = True  # False when other words came between the phrase's words


class PhraseMatcher:
    """All phrases of all labels, indexed for matching one short message quickly."""

    def __init__(
        self, phrases: Iterable[tuple[str, str]], gap: int = 0, *, whole: bool = False
    ) -> None:
        self.gap = gap  # words allowed between a phrase's words (0: consecutive only)
        # Whole words only: "if i order" must not find "if I ordered", nor Polish "zamówię"
        # ("I will order") the noun "zamówienie" ("the order").
        self._same = str.__eq__ if whole else str.startswith
        self._buckets: dict[str, list[tuple[tuple[str, ...], str, str]]] = defaultdict(list)
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for label, phrase in phrases:
            folded = tuple(fold(phrase).split())
            if not folded or (label, folded) in seen:
                continue
            seen.add((label, folded))
            self._buckets[folded[0][:_KEY]].append((folded, label, phrase))
        self._found = lru_cache(maxsize=_TEXTS_KEPT)(self._find)

    def find(self, text: str) -> list[PhraseHit]:
        """Every phrase that occurs in `text`; a phrase counts once however often it occurs."""
        return list(self._found(text))

    def _find(self, text: str) -> tuple[PhraseHit, ...]:
        message = fold(text).split()
        hits: dict[tuple[str, str], PhraseHit] = {}
        for start, word in enumerate(message):
            for size in range(1, _KEY + 1):
                if size > len(word):
                    break
                for folded, label, phrase in self._buckets.get(word[:size], ()):
                    if _matches_at(message, start, folded, 0, self._same):
                        hit = PhraseHit(label, phrase, len(folded))
                    elif (
                        self.gap
                        and len(folded) > 1
                        # "can't pay" folds to "can t pay": a one-letter word matched far
                        # away ("can I split the payment") would be noise, not evidence.
                        and min(len(w) for w in folded) >= _MIN_GAPPED_WORD
                        and _matches_at(message, start, folded, self.gap, self._same)
                    ):
                        hit = PhraseHit(label, phrase, len(folded), exact=False)
                    else:
                        continue
                    kept = hits.get((label, phrase))
                    if kept is None or (hit.exact and not kept.exact):
                        hits[(label, phrase)] = hit
        return tuple(hits.values())


def _matches_at(
    message: list[str],
    start: int,
    phrase: tuple[str, ...],
    gap: int,
    same: Callable[[str, str], bool] = str.startswith,
) -> bool:
    """Phrase words in order from `start`, each within `gap` words of the one before, so
    with a gap "open account" also finds "opening a new premium account". `same` says
    whether a message word is the phrase word (by default: starts with it)."""
    if not same(message[start], phrase[0]):
        return False
    position = start
    for word in phrase[1:]:
        for step in range(1, gap + 2):
            candidate = position + step
            if candidate >= len(message):
                return False
            if same(message[candidate], word):
                position = candidate
                break
        else:
            return False
    return True
