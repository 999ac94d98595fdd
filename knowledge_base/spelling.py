"""Read a misspelt query word as the knowledge-base word it most likely means ("pya" -> "pay"),
and two words as the one the knowledge base writes ("check out" -> "checkout").

Character n-grams already soften typos, but a short word loses most of its n-grams to one
swapped letter. A word the index has never seen is replaced by a known word at edit distance 1
(2 for long words; a swap of two letters counts as one edit), the most frequent one if several
are. Only unknown words are touched, and the first letter must match: typos rarely hit it, and
it keeps unrelated words ("rome") from turning into known ones as often.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LENGTH = 3
LONG_WORD = 9


class Vocabulary:
    """The folded words of one index, with their stems and how often they occur."""

    def __init__(self, texts: Iterable[tuple[list[str], list[str]]]) -> None:
        words: list[str] = []
        self._stems: dict[str, str] = {}
        for folded, stems in texts:
            words += folded
            self._stems.update(zip(folded, stems, strict=True))
        self._counts = Counter(words)
        self._by_initial: dict[str, list[str]] = {}
        for word in self._counts:
            if len(word) >= MIN_LENGTH - 1 and not word.isdigit():
                self._by_initial.setdefault(word[0], []).append(word)

    def __contains__(self, word: str) -> bool:
        return word in self._counts

    def compounds(self, words: list[str]) -> list[tuple[str, str]]:
        """Known words (and stems) that two neighbours make together: "check out" -> "checkout"."""
        found = []
        for first, second in zip(words, words[1:], strict=False):
            joined = first + second
            if joined in self._counts and not joined.isdigit():
                found.append((joined, self._stems[joined]))
        return found

    def correct(self, word: str) -> tuple[str, str] | None:
        """The known word (and its stem) that `word` misspells, or None."""
        if len(word) < MIN_LENGTH or word.isdigit() or word in self._counts:
            return None
        choices = self._by_initial.get(word[0])
        if not choices:
            return None
        limit = 2 if len(word) >= LONG_WORD else 1
        found = process.extract(word, choices, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return None
        best = min(found, key=lambda match: (match[1], -self._counts[match[0]], match[0]))[0]
        return best, self._stems[best]
