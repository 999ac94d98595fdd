"""Every language the app speaks has every phrase, with the same placeholders as English."""

from __future__ import annotations

from string import Formatter

import pytest

from bot.service.phrasebook import LOCALES, phrases, say
from bot.service.vocabulary import Phrase


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_every_phrase_and_no_unknown_key(locale: str) -> None:
    assert set(Phrase) - phrases(locale) == set(), "missing"
    assert phrases(locale) - set(Phrase) == set(), "not a Phrase"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_phrase_has_the_placeholders_english_has(locale: str) -> None:
    for phrase in Phrase:
        assert placeholders(say(phrase, locale)) == placeholders(say(phrase, "en")), phrase


def test_a_locale_without_a_phrasebook_falls_back_to_english() -> None:
    assert say(Phrase.GREETING, "xx") == say(Phrase.GREETING, "en")
    assert phrases("xx") == frozenset()
