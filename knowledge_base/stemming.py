"""Words, stems and character n-grams of a text, per language, for the search index.

Stems (Snowball, via the pure-Python `snowballstemmer` wheel) join inflected forms such as
"pagare"/"pagamento" or "zamówienie"/"zamówienia"; character n-grams inside each word catch
what stemming misses: typos ("pya"), unknown inflections and text typed without accents.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from functools import lru_cache

import snowballstemmer

from knowledge_base.language import _FUNCTION_WORDS
from knowledge_base.text import fold

# Snowball algorithm per locale; a locale without one is searched on unstemmed words.
SNOWBALL_NAMES = {
    "en": "english",
    "it": "italian",
    "de": "german",
    "pl": "polish",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "nl": "dutch",
    "sv": "swedish",
    "da": "danish",
    "no": "norwegian",
    "fi": "finnish",
    "cs": "czech",
    "ro": "romanian",
    "hu": "hungarian",
    "ru": "russian",
    "tr": "turkish",
}
# One size is enough: 3- to 5-grams together scored no better on Banking77 or Bitext, and
# each extra size adds as many postings again.
NGRAM_SIZES = (4,)
# Order, phone and card numbers name a case, not a topic: matching them only adds noise.
_LONGEST_NUMBER = 4
_TOKEN = re.compile(r"[^\W_]+")
# "hasn't" is "has not": without this, "hasn" and "t" match nothing that "has not" would.
_CONTRACTIONS = (
    *((f"can{q}t", "can not") for q in "'’"),
    *((f"won{q}t", "will not") for q in "'’"),
    *((f"n{q}t", " not") for q in "'’"),
)
# The function words of every language that language.py detects.
FUNCTION_WORDS = frozenset().union(*_FUNCTION_WORDS.values())
# Snowball stemmer objects keep state between calls, and Bolt calls us from several threads.
_LOCK = threading.Lock()
_CACHE_SIZE = 200_000
_DROPPED = ("", "")  # what a dropped word (a long number) analyses to
_STEMMERS: dict[str, object] = {}


def word_terms(word: str, locale: str) -> tuple[str, str] | None:
    """The folded form and the folded stem of one lower-case word; None for a long number.

    Stemmed before folding, since the Polish and German stemmers need their 'ć' and 'ü'.
    """
    if word.isdigit():
        return None if len(word) > _LONGEST_NUMBER else (word, word)
    folded = fold(word).replace(" ", "")
    name = SNOWBALL_NAMES.get(locale)
    if name is None or len(word) < 3:
        return folded, folded
    with _LOCK:
        stemmer = _STEMMERS.get(name)
        if stemmer is None:
            stemmer = _STEMMERS[name] = snowballstemmer.stemmer(name)
        stemmed = stemmer.stemWord(word)  # type: ignore[attr-defined]
    return folded, fold(stemmed).replace(" ", "") or folded


def tokens(text: str) -> list[str]:
    """Lower-case words of `text`, accents kept."""
    text = text.casefold()
    if "'" in text or "’" in text:
        for contraction, replacement in _CONTRACTIONS:
            text = text.replace(contraction, replacement)
    return _TOKEN.findall(text)


@lru_cache(maxsize=200_000)
def word_ngrams(word: str) -> tuple[str, ...]:
    """Character n-grams of one folded word padded with spaces, so its start and end count."""
    padded = f" {word} "
    return tuple(
        padded[start : start + size]
        for size in NGRAM_SIZES
        for start in range(len(padded) - size + 1)
    )


def char_ngrams(folded_words: list[str]) -> Counter[str]:
    """Character n-grams of the content words of a text, counted.

    Function words are left out: stems already match them, their n-grams are in nearly every
    article (noise, and the longest posting lists), and leaving them out scored as well or better.
    """
    grams: list[str] = []
    for word in folded_words:
        if word not in FUNCTION_WORDS:
            grams.extend(word_ngrams(word))
    return Counter(grams)


class Analyzer:
    """Turns text into the index's terms for one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        # Building an index analyses a million words but only thousands of different ones.
        self._cache: dict[str, tuple[str, str]] = {}

    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        """The folded words and the stems of `text`."""
        get = self._cache.get
        pairs = [get(word) or self._learn(word) for word in tokens(text)]
        return [p[0] for p in pairs if p[0]], [p[1] for p in pairs if p[0]]

    def surfaces(self) -> dict[str, str | None]:
        """How the words learnt so far are written, where that is not their folded form:
        folded -> the one way it is written, or None where it is written several ways
        (Italian "e" and "è"). A word not in the map is written as it folds."""
        forms: dict[str, set[str]] = {}
        for word, (folded, _) in self._cache.items():
            if folded:
                forms.setdefault(folded, set()).add(word)
        return {
            folded: next(iter(words)) if len(words) == 1 else None
            for folded, words in forms.items()
            if words != {folded}
        }

    def _learn(self, word: str) -> tuple[str, str]:
        if len(self._cache) > _CACHE_SIZE:  # misspellings would otherwise pile up forever
            self._cache.clear()
        terms = self._cache[word] = word_terms(word, self.locale) or _DROPPED
        return terms
