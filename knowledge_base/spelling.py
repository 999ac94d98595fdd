"""Read a misspelt query word as the knowledge-base word it most likely means ("pya" -> "pay"),
and two words as the one the knowledge base writes ("check out" -> "checkout").

Character n-grams already soften typos, but a short word loses most of its n-grams to one
swapped letter. A word the index has never seen is replaced by a known word at edit distance 1
(2 for long words; a swap of two letters counts as one edit), the most frequent one if several
are. Only unknown words are touched, and the first letter must match: typos rarely hit it, and
it keeps unrelated words ("rome") from turning into known ones as often.

The sentence model reads the query as the customer typed it, and it reads "nakladki sa za duze"
or "wie schliese ich" less well than the words the knowledge base writes. `Respeller` gives it
the query in the knowledge base's spelling: accents put back on words typed without them, where
the knowledge base writes the word one way only, and long misspelt words corrected as above.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge_base.text import fold

MIN_LENGTH = 3
LONG_WORD = 9
# The model is given corrections of words this long only: a shorter word unknown to the
# knowledge base is too often a real word it happens not to use ("like" is not "line", German
# "mir" not "mit"). Multilingual dev top-1: 0.817 from 5 letters, 0.822 from 6.
RESPELL_LENGTH = 6
_WORD = re.compile(r"[^\W_]+")


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


class Respeller:
    """A query rewritten in the knowledge base's spelling, for the sentence model."""

    def __init__(self, vocabulary: Vocabulary, surfaces: Mapping[str, str | None]) -> None:
        self._vocabulary = vocabulary
        # Folded word -> how the knowledge base writes it (None: several ways); a word not in
        # it is written as it folds. Only the exceptions are kept: the map is in every cache.
        self._surfaces = surfaces

    def respell(self, text: str) -> str:
        """`text` with accents put back and long misspelt words corrected; the rest as typed."""
        return _WORD.sub(self._word, text)

    def _written(self, folded: str) -> str | None:
        return self._surfaces.get(folded, folded)

    def _word(self, match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.casefold()
        folded = fold(lower).replace(" ", "")
        if not folded or folded.isdigit():
            return word
        if folded in self._vocabulary:
            # Typed with accents of its own: the customer knows how it is written.
            new = self._written(folded) if lower == folded else None
        elif len(folded) >= RESPELL_LENGTH:
            correction = self._vocabulary.correct(folded)
            new = self._written(correction[0]) if correction else None
        else:
            new = None
        if new is None or new == lower:
            return word
        if word.isupper() and len(word) > 1:
            return new.upper()
        return new[:1].upper() + new[1:] if word[:1].isupper() else new
