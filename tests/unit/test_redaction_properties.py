"""Redaction and cleaning hold for any input, checked against a definition written out here.

The definition, independent of the module's regular expressions: digits (any script) joined by
gaps of one to MAX_GAP recognised separators form a run; any stretch of whole groups of a run
with 13 to 19 digits that passes the Luhn check is a card number. Redacted text has none.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from hypothesis import assume, given
from hypothesis import strategies as st

from bot.service.redaction import (
    MAX_GAP,
    MAX_TEXT,
    SEPARATORS,
    TRIMMED,
    clean_incoming,
    redact,
    scrub,
)

SHOWN_CONTROLS = "\t\n"
# ASCII, full-width, Arabic-Indic and Devanagari zero: `\d` and isdecimal() match them all.
ZEROS = ("0", "\uff10", "\u0660", "\u0966")


def luhn(digits: str) -> bool:
    values = [unicodedata.decimal(d) for d in reversed(digits)]
    odd = sum(values[0::2])
    even = sum(v * 2 - 9 if v > 4 else v * 2 for v in values[1::2])
    return (odd + even) % 10 == 0


def runs(text: str) -> list[list[str]]:
    """The digit groups of each run, scanning one character at a time."""
    found: list[list[str]] = []
    current: list[str] = []
    gap, in_digits = 0, False
    for char in text:
        if char.isdecimal():
            if in_digits:
                current[-1] += char
            elif current and gap <= MAX_GAP:
                current.append(char)
            else:
                if current:
                    found.append(current)
                current = [char]
            gap, in_digits = 0, True
        elif char in SEPARATORS and current:
            gap, in_digits = gap + 1, False
        else:
            if current:
                found.append(current)
            current, gap, in_digits = [], 0, False
    if current:
        found.append(current)
    return found


def has_card(text: str) -> bool:
    """True when some stretch of whole groups is a 13-19 digit Luhn-valid number."""
    for groups in runs(text):
        for start in range(len(groups)):
            for end in range(start + 1, len(groups) + 1):
                digits = "".join(groups[start:end])
                if 13 <= len(digits) <= 19 and luhn(digits):
                    return True
    return False


def ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdecimal())


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid number of 13 to 19 ASCII digits."""
    length = draw(st.integers(13, 19))
    body = draw(st.text("0123456789", min_size=length - 1, max_size=length - 1))
    return next(body + d for d in "0123456789" if luhn(body + d))


gaps = st.text(st.sampled_from(SEPARATORS), min_size=1, max_size=MAX_GAP)
no_digits = st.text(st.characters(exclude_categories=("Nd",)), max_size=30)


@st.composite
def written(draw: st.DrawFn, number: str) -> str:
    """`number` as someone might write it: in some script, with separators anywhere."""
    zero = ord(draw(st.sampled_from(ZEROS)))
    out = []
    for index, digit in enumerate(number):
        if index and draw(st.booleans()):
            out.append(draw(gaps))
        out.append(chr(zero + int(digit)))
    return "".join(out)


@given(st.data(), card_numbers(), no_digits, no_digits)
def test_a_card_however_separated_never_survives_redaction(
    data: st.DataObject, card: str, before: str, after: str
) -> None:
    text = before + data.draw(written(card)) + after
    redacted = redact(text)
    assert not has_card(redacted)
    assert card not in ascii_digits(redacted)
    assert f"…{card[-4:]}]" in redacted  # the last four, for reference
    assert redact(redacted) == redacted


soup = st.text(
    st.one_of(
        st.sampled_from("0123456789"), st.sampled_from(SEPARATORS), st.sampled_from("ab,:\n")
    ),
    max_size=80,
)


@given(soup)
def test_redaction_removes_exactly_the_card_numbers_of_any_text(text: str) -> None:
    redacted = redact(text)
    assert not has_card(redacted)
    if not has_card(text):
        assert redacted == text
    assert redact(redacted) == redacted


@given(st.integers(13, 19).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_a_number_that_fails_the_luhn_check_is_kept(digits: str) -> None:
    assume(not luhn(digits))
    assert redact(f"order {digits}.") == f"order {digits}."


@given(st.integers(1, 12).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_a_number_of_at_most_12_digits_is_kept(digits: str) -> None:
    assert redact(f"#{digits}") == f"#{digits}"


@given(st.integers(20, 40).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_an_unbroken_run_of_20_digits_or_more_is_kept(digits: str) -> None:
    assert redact(f"ref {digits} ok") == f"ref {digits} ok"


date_formats = st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%m/%d/%y", "%d %m %Y"])


@given(st.dates(), st.dates(), date_formats, st.sampled_from([" - ", " to ", "–", ", "]))
def test_dates_and_date_ranges_that_fail_the_luhn_check_are_kept(
    first: date, second: date, form: str, between: str
) -> None:
    text = f"from {first:{form}}{between}{second:{form}}"
    assume(not has_card(text))
    assert redact(text) == text


phone_groups = st.lists(st.text("0123456789", min_size=2, max_size=4), min_size=2, max_size=4)


@given(st.text("0123456789", min_size=1, max_size=3), phone_groups, st.sampled_from(" -."))
def test_phone_numbers_that_fail_the_luhn_check_or_are_short_are_kept(
    country: str, groups: list[str], sep: str
) -> None:
    text = f"call +{country} {sep.join(groups)} please"
    if len(country + "".join(groups)) >= 13:
        assume(not has_card(text))
    assert redact(text) == text


@given(st.integers(0, 10**9), st.integers(0, 99), st.sampled_from(["€", "$", "£", "CHF "]))
def test_amounts_are_kept(units: int, cents: int, currency: str) -> None:
    for text in (f"{currency}{units:,}.{cents:02d}", f"{currency}{units:_}.{cents:02d}"):
        assert redact(text) == text


anything = st.text(st.characters(exclude_categories=()), max_size=60)


@given(anything, st.integers(MAX_TEXT - 80, MAX_TEXT + 80), anything, st.data())
def test_clean_incoming_keeps_only_shown_text_within_the_limit(
    head: str, padding: int, tail: str, data: st.DataObject
) -> None:
    card = data.draw(written(data.draw(card_numbers())))
    original = head + "w" * padding + " " + card + tail
    cleaned = clean_incoming(original)
    for char in cleaned:
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cs") or char in SHOWN_CONTROLS, repr(char)
    assert not has_card(cleaned)
    assert len(cleaned) <= MAX_TEXT
    whole = scrub(original).strip()
    if len(whole) > MAX_TEXT:
        assert cleaned.endswith(TRIMMED)
        kept = cleaned.removesuffix(TRIMMED)
        assert whole.startswith(kept)  # the beginning of what was said, not a stand-in
        assert len(kept) >= MAX_TEXT - len(TRIMMED) - 19  # at most a cut group of digits dropped
    else:
        assert cleaned == whole
    assert clean_incoming(cleaned) == cleaned


@given(st.data(), card_numbers(), st.text("0123456789", min_size=1, max_size=3))
def test_a_cut_through_a_number_leaves_no_card_number(
    data: st.DataObject, card: str, more: str
) -> None:
    # The number is `card` with more digits after it, cut just after `card`: the part kept
    # must not be the card the whole never was.
    number = data.draw(written(card))
    original = "w" * (MAX_TEXT - len(TRIMMED) - len(number)) + number + more + " and" * 40
    assert not has_card(clean_incoming(original))


@given(anything)
def test_scrubbed_text_has_no_card_and_no_hidden_control_characters(text: str) -> None:
    scrubbed = scrub(text)
    assert not has_card(scrubbed)
    assert all(unicodedata.category(c) not in ("Cc", "Cs") or c in SHOWN_CONTROLS for c in scrubbed)
    assert scrub(scrubbed) == scrubbed
