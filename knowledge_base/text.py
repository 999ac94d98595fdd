"""Text normalisation shared by search, language detection and phrase matching."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+")
# Letters that NFKD does not decompose but that readers treat as plain ones.
_FOLD = str.maketrans({"ł": "l", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d"})


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'Zapłacić?' -> 'zaplacic'."""
    text = text.casefold().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("_", " ")
    return " ".join(_NON_WORD.sub(" ", text).split())


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return fold(text).split()
