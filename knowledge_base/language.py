"""Which language a short customer message is in (en, it, de, pl), or None when unsure.

Two signals, combined by `LanguageGuesser`:
- py3langid, a character n-gram classifier (langid.py's model), restricted to the languages we
  serve so its probabilities compare only those; good on a sentence, unsure on one word;
- function words and letters that only one language uses ("come", "ich", "ą"), which decide
  many short messages the classifier is unsure of, and say nothing about "paypal" or "12345".
When neither is sure, the customer's known language is kept, so one word never switches it.
"""

from __future__ import annotations

import logging
import threading
from functools import cache

from knowledge_base.text import fold

log = logging.getLogger(__name__)

# py3langid's probability (over our languages only) from which it decides alone.
CLASSIFIER_SURE = 0.9
# Below this, its vote does not count at all; between the two, it decides with the words.
CLASSIFIER_HINT = 0.6

_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the a an is are was were do does did can could i my me you your we our it this that what "
        "how where when why which who to of for with and or not have has will would please there "
        "any from on in at be been".split()
    ),
    "it": frozenset(
        "il lo la i gli le un una uno di da del della dei delle che come dove quando perche non "
        "sono sei e ho ha hanno posso puoi voglio vorrei mio mia miei mie per con su nel nella "
        "alla al ma anche ancora grazie ciao buongiorno se cosa qual quale quanto".split()
    ),
    "de": frozenset(
        "der die das den dem des ein eine einen einem einer ich du sie wir ihr ist sind war kann "
        "konnen mochte will wie wo wann warum was welche mein meine meinen mit fur und oder nicht "
        "kein keine auf bei zu von noch bitte danke hallo habe hat haben mir mich ihnen es".split()
    ),
    "pl": frozenset(
        "jak czy nie jest sa mam ma moge mozna chce chcialbym chcialabym moj moja moje mojego "
        "dla przez na do od za po w z ze i a to ten ta tego co gdzie kiedy dlaczego prosze "
        "dziekuje dzien dobry sie juz jeszcze moze mnie mi jaki jakie ktory".split()
    ),
}

# Letters that, before folding, point to one language only.
_LETTERS: dict[str, str] = {
    **dict.fromkeys("ąćęłńśźż", "pl"),
    **dict.fromkeys("äöüß", "de"),
    **dict.fromkeys("àèìòù", "it"),
}

LANGUAGES = tuple(_FUNCTION_WORDS)


def detect_language(text: str) -> str | None:
    """The most likely language of `text`, or None when the text gives no clear sign."""
    scores = dict.fromkeys(_FUNCTION_WORDS, 0.0)
    for char in text.casefold():
        language = _LETTERS.get(char)
        if language:
            scores[language] += 1.5
    for word in fold(text).split():
        for language, vocabulary in _FUNCTION_WORDS.items():
            if word in vocabulary:
                scores[language] += 1.0
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 1.0 or top == second:
        return None
    return best


@cache
def _classifier() -> object | None:
    """py3langid's identifier over LANGUAGES, loaded once per process (about 1 s: the model is
    xz-compressed); None, logged once, if the package is missing."""
    try:
        from py3langid.langid import _load_identifier
    except ImportError:
        log.warning("py3langid is not installed: languages are told by function words alone")
        return None
    # The public set_languages changes a process-wide identifier; this one is ours alone.
    return _load_identifier(norm_probs=True, langs=list(LANGUAGES))


def warm_up() -> None:
    """Load the classifier in the background, so the first message does not wait for it."""
    threading.Thread(target=_classifier, name="language-model", daemon=True).start()


def classify(text: str) -> tuple[str, float] | None:
    """py3langid's language of `text` among LANGUAGES and its probability, if it has any letters."""
    identifier = _classifier()
    if identifier is None or not any(c.isalpha() for c in text):
        return None
    language, probability = identifier.classify(text)  # type: ignore[attr-defined]
    return str(language), float(probability)


class LanguageGuesser:
    """The language a message is in, among those we serve, from both signals and what is
    known of the customer."""

    def __reduce__(self) -> tuple[type, tuple[()]]:
        return (LanguageGuesser, ())

    def guess(self, text: str, known: str | None = None) -> str | None:
        words = detect_language(text)
        found = classify(text)
        if found is not None:
            language, probability = found
            if probability >= CLASSIFIER_SURE or (
                probability >= CLASSIFIER_HINT and words in (None, language)
            ):
                return language
        return words or known
