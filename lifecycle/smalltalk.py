"""Courtesy messages ("thanks!", "hallo", "dziękuję") are not questions.

Searching the knowledge base for "thanks" finds nothing, and counting that as an unanswered
question would make a satisfied buyer look stuck.
"""

from __future__ import annotations

from knowledge_base.text import fold

THANKS = "thanks"
GREETING = "greeting"

_WORDS: dict[str, frozenset[str]] = {
    THANKS: frozenset(
        "thanks thank thx ty cheers great perfect awesome ok okay cool brilliant super "
        "grazie mille perfetto ottimo va bene danke vielen dank perfekt prima alles klar "
        "dziekuje dzieki bardzo super swietnie wszystko jasne you so much much a lot "
        "that worked it works worked fine all good solved sorted got it "
        "ha funzionato funziona risolto tutto chiaro hat geklappt klappt funktioniert "
        "erledigt gelost dziala zadzialalo juz dziala".split()
    ),
    GREETING: frozenset(
        "hi hello hey good morning afternoon evening there ciao buongiorno buonasera salve "
        "hallo guten tag morgen abend servus moin czesc dzien dobry witam hej".split()
    ),
}


_THANKS_FIRST = frozenset("thanks thank thx ty cheers grazie danke dziekuje dzieki".split())
_SUCCESS = frozenset(
    "worked works working done placed solved sorted funziona funzionato fatto risolto "
    "geklappt klappt funktioniert erledigt dziala zadzialalo zrobione przeszlo poszlo".split()
)


# "trovato", "hab's gefunden", "znalazłam", "works now": the need is met. The success words
# but those that also end other things ("I'm done with you guys" is someone leaving).
_FOUND = (_SUCCESS - {"done", "placed", "fatto", "erledigt", "zrobione"}) | frozenset(
    "found trovato trovata trovati gefunden znalazlem znalazlam".split()
)
# A clause with one of these is not good news: "still not working", "non funziona",
# "geht noch nicht", "nadal nie działa"; nor is a card that "works everywhere else" ("sonst
# überall", "altrove", "wszędzie"): it does not work here.
_NOT = frozenset(
    "not no never doesnt didnt dont cant wont isnt hasnt still non mai ancora nicht kein keine "
    "nie nigdy nadal wciaz jeszcze else elsewhere everywhere sonst uberall altrove ovunque "
    "wszedzie".split()
)
# Thanks in advance waits for an answer: "Z góry dziękuję", "Besten Dank im Voraus".
_IN_ADVANCE = ("in advance", "in anticipo", "anticipatamente", "im voraus", "vorab", "z gory")
FOUND_WORDS = 8


def courtesy(text: str) -> str | None:
    """THANKS or GREETING when the message is only that, else None."""
    words = fold(text).split()
    if not words or len(words) > 10:
        return None
    if words[0] in _THANKS_FIRST and "?" not in text and any(w in _SUCCESS for w in words):
        return THANKS  # "thanks, that worked, order placed": a closing, not a question
    for kind, vocabulary in _WORDS.items():
        if all(word in vocabulary for word in words):
            return kind
    return None


def thanks_word(text: str) -> bool:
    """Whether the text says thanks in so many words ("dzięki wielkie", "grazie e buona sera")."""
    return any(w in _THANKS_FIRST for w in fold(text).split())


def negated(text: str) -> bool:
    """Whether the text has a word that says something is not (yet) right."""
    return any(w in _NOT for w in fold(text).split())


def in_advance(text: str) -> bool:
    """Whether the message thanks in advance, which is asking, not closing."""
    folded = f" {' '.join(fold(text).split())} "
    return any(f" {words} " in folded for words in _IN_ADVANCE)


def resolves(text: str) -> bool:
    """Whether a short clause says the need is met in so many words ("sorted", "hat geklappt",
    "ha funzionato"), not only thanks."""
    words = fold(text).split()
    return (
        0 < len(words) <= 4
        and all(w in _WORDS[THANKS] for w in words)
        and any(w in _SUCCESS for w in words)
    )


def found_it(text: str) -> bool:
    """Whether a clause of a few words reports that the need is met ("is im warenkorb ganz
    unten, hat geklappt", "trovato", "works now"), with no word of a problem left."""
    words = fold(text).split()
    return (
        0 < len(words) <= FOUND_WORDS
        and any(w in _FOUND for w in words)
        and not any(w in _NOT for w in words)
    )
