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
    (re.compile(r"\bcan['’]t\b"), "can not"),
    (re.compile(r"\bwon['’]t\b"), "will not"),
    (re.compile(r"n['’]t\b"), " not"),
)
# Snowball stemmer objects keep state between calls, and Bolt calls us from several threads.
_LOCK = threading.Lock()
_STEMMERS: dict[str, object] = {}


@lru_cache(maxsize=200_000)
def word_terms(word: str, locale: str) -> tuple[str, str]:
    """The folded form and the folded stem of one lower-case word.

    Stemmed before folding, since the Polish and German stemmers need their 'ć' and 'ü'.
    """
    folded = fold(word).replace(" ", "")
    name = SNOWBALL_NAMES.get(locale)
    if name is None or len(word) < 3 or word.isdigit():
        return folded, folded
    with _LOCK:
        stemmer = _STEMMERS.get(name)
        if stemmer is None:
            stemmer = _STEMMERS[name] = snowballstemmer.stemmer(name)
        stemmed = stemmer.stemWord(word)  # type: ignore[attr-defined]
    return folded, fold(stemmed).replace(" ", "") or folded


def tokens(text: str) -> list[str]:
    """Lower-case words of `text`, accents kept, without long numbers."""
    text = text.casefold()
    if "'" in text or "’" in text:
        for pattern, replacement in _CONTRACTIONS:
            text = pattern.sub(replacement, text)
    return [
        word
        for word in _TOKEN.findall(text)
        if not (word.isdigit() and len(word) > _LONGEST_NUMBER)
    ]


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
    """Character n-grams of the words of a text, counted."""
    grams: list[str] = []
    for word in folded_words:
        grams.extend(word_ngrams(word))
    return Counter(grams)


class Analyzer:
    """Turns text into the index's terms for one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        """The folded words and the stems of `text`."""
        pairs = [word_terms(word, self.locale) for word in tokens(text)]
        return [folded for folded, _ in pairs], [stem for _, stem in pairs]
