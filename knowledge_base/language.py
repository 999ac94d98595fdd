"""Which language a short customer message is in (en, it, de, pl), or None when unsure.

Support messages are short ("come posso pagare?"), where statistical detectors trained on prose
guess badly and add a dependency. Function words and letters that only one language uses are
enough for the four languages we serve, and the caller falls back to the customer's known
language when the message gives no sign.
"""

from __future__ import annotations

from knowledge_base.text import fold

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
