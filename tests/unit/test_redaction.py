"""Card numbers never kept in the clear; control characters removed; long messages trimmed."""

import sys
import unicodedata

import pytest

from bot.service.redaction import (
    MAX_TEXT,
    SEPARATORS,
    TRIMMED,
    clean_incoming,
    luhn_valid,
    redact,
    scrub,
)

VISA_13 = "4222222222222"
DINERS_14 = "30569309025904"
AMEX_15 = "378282246310005"
VISA_16 = "4111111111111111"
LUHN_17 = "41111111111111113"
LUHN_18 = "411111111111111118"
VISA_19 = "4000000000000000006"
LUHN_12 = "411111111117"  # valid, but too short to be a card
LUHN_20 = "41111111111111111115"  # valid, but too long to be a card


def test_card_numbers_are_redacted_with_or_without_separators() -> None:
    text = "card 4111 1111 1111 1111, or 4111-1111-1111-1111, or 5555555555554444"
    redacted = redact(text)
    assert "4111 1111" not in redacted and "5555555555554444" not in redacted
    assert redacted.count("[card number redacted") == 3


# One test per length, so a pattern shortened or lengthened by one digit is caught.
def test_a_13_digit_card_is_redacted() -> None:
    assert redact(f"visa {VISA_13} ok") == "visa [card number redacted …2222] ok"


def test_a_15_digit_card_is_redacted() -> None:
    assert redact(f"amex {AMEX_15} ok") == "amex [card number redacted …0005] ok"
    assert redact("amex 3782 822463 10005 ok") == "amex [card number redacted …0005] ok"


def test_a_16_digit_card_is_redacted() -> None:
    assert redact(f"visa {VISA_16} ok") == "visa [card number redacted …1111] ok"
    assert redact("visa 4111 1111 1111 1111 ok") == "visa [card number redacted …1111] ok"


def test_a_19_digit_card_is_redacted() -> None:
    assert redact(f"card {VISA_19} ok") == "card [card number redacted …0006] ok"
    assert redact("card 4000 0000 0000 0000 006 ok") == "card [card number redacted …0006] ok"


@pytest.mark.parametrize("number", [DINERS_14, LUHN_17, LUHN_18])
def test_cards_of_the_lengths_between_are_redacted(number: str) -> None:
    assert luhn_valid(number)
    assert redact(f"x {number} y") == f"x [card number redacted …{number[-4:]}] y"


def test_a_luhn_valid_12_digit_run_is_kept() -> None:
    assert luhn_valid(LUHN_12)
    assert redact(f"order {LUHN_12} ok") == f"order {LUHN_12} ok"
    assert redact("order 4111 1111 1117 ok") == "order 4111 1111 1117 ok"


def test_a_luhn_valid_20_digit_run_is_kept() -> None:
    assert luhn_valid(LUHN_20)
    assert redact(f"tracking {LUHN_20} ok") == f"tracking {LUHN_20} ok"


@pytest.mark.parametrize(
    "spelling",
    [
        "4111  1111  1111  1111",  # double spaces
        "4111   1111   1111   1111",  # three spaces
        "4111.1111.1111.1111",
        "4111 - 1111 - 1111 - 1111",  # spaced dashes
        "4111/1111/1111/1111",
        "4111 / 1111 / 1111 / 1111",
        "4111\u00a01111\u00a01111\u00a01111",  # no-break space (phones, word processors)
        "4111\u20091111\u20091111\u20091111",  # thin space
        "4111\u202f1111\u202f1111\u202f1111",  # narrow no-break space (iOS, French locales)
        "4111\u30001111\u30001111\u30001111",  # ideographic space
        "4111\t1111\t1111\t1111",
        "4111\u20131111\u20131111\u20131111",  # en dash
        "4111\u20111111\u20111111\u20111111",  # non-breaking hyphen
        "4111\u200b1111\u200b1111\u200b1111",  # zero-width space
        "4111\u00ad1111\u00ad1111\u00ad1111",  # soft hyphen
        "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",  # read out digit by digit
        "4111. 1111 -1111/ 1111",  # a mixture
    ],
)
def test_cards_written_with_other_separators_are_redacted(spelling: str) -> None:
    assert redact(f"my card: {spelling}!") == "my card: [card number redacted …1111]!"


def test_every_space_and_dash_unicode_knows_is_a_separator() -> None:
    missing = [f"U+{ord(c):04X}" for c in map(chr, range(sys.maxunicode + 1))
               if unicodedata.category(c) in ("Zs", "Pd") and c not in SEPARATORS]  # fmt: skip
    assert missing == [], "add these to SEPARATORS in bot/service/redaction.py"


def test_full_width_digits_are_redacted_and_the_marker_uses_ascii_digits() -> None:
    wide = "４１１１ １１１１ １１１１ １１１１"
    assert redact(f"card {wide}") == "card [card number redacted …1111]"


def test_four_separators_in_a_row_end_a_number() -> None:
    text = "codes 4111    1111 1111 1111"  # 4 + 12 digits: neither part is a card
    assert redact(text) == text


def test_a_line_break_ends_a_number() -> None:
    text = "orders:\n41111111\n11111111"  # two order numbers, one a line, not one card
    assert redact(text) == text


def test_digits_glued_to_letters_are_still_checked() -> None:
    # "card4111..." and "ORD4111..." cannot be told apart; the digits decide, as elsewhere.
    assert redact(f"card{VISA_16}") == "card[card number redacted …1111]"
    assert redact(f"ORD{VISA_16}X") == "ORD[card number redacted …1111]X"
    assert redact("ORD4111111111111112") == "ORD4111111111111112"  # fails Luhn: an order id
    assert redact("ORD1234567890") == "ORD1234567890"  # too short


def test_a_card_followed_by_its_expiry_and_code_is_redacted() -> None:
    redacted = redact("4111 1111 1111 1111 12/27 123 thanks")
    assert redacted == "[card number redacted …1111] 12/27 123 thanks"
    assert redact("exp 12/27 4111-1111-1111-1111") == "exp 12/27 [card number redacted …1111]"


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112 arrived",  # fails Luhn
        "order 4111 1111 1111 1112 arrived",
        "call +31 20 123 4567",
        "call +1 (555) 123-4567 or +44 7911 123456",
        "on 2026-01-05, or 05/01/2026, or 05.01.2026",
        "from 05/01/2026 - 07/01/2026",  # 16 digits, fails Luhn
        "I paid €1.234.567,89 and $12,345.67",
        "ip 192.168.100.200",
        "version 1.2.3, ticket #123456, zip 10115",
    ],
)
def test_numbers_that_fail_the_luhn_check_or_are_too_short_are_kept(text: str) -> None:
    assert redact(text) == text


def test_redacting_twice_changes_nothing_more() -> None:
    once = redact(f"a {VISA_16} b {AMEX_15}-{VISA_13} c 4111 1111 1111 1111 1234")
    assert redact(once) == once
    assert "…1111]" in once and "…0005]" in once


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_nul_and_other_control_characters_are_removed_but_newlines_and_tabs_kept() -> None:
    text = "hello\x00 wor\x07ld\x1b[31m\tred\nnext\x7f li\x9bne\x85last"
    assert clean_incoming(text) == "hello world[31m\tred\nnext line\nlast"


def test_carriage_returns_become_newlines() -> None:
    assert clean_incoming("one\r\ntwo\rthree") == "one\ntwo\nthree"


def test_lone_surrogates_are_removed() -> None:
    assert clean_incoming("bad \ud800half") == "bad half"


def test_a_card_split_by_control_characters_is_still_redacted() -> None:
    assert clean_incoming("4111\x001111\x001111\x001111") == "[card number redacted …1111]"


def test_a_long_message_keeps_its_beginning_and_says_it_was_trimmed() -> None:
    original = " ".join(f"word{i:05d}" for i in range(2000))  # 20000 characters, all distinct
    trimmed = clean_incoming(original)
    assert trimmed.endswith(TRIMMED)
    kept = trimmed.removesuffix(TRIMMED)
    assert original.startswith(kept)
    assert len(kept) >= MAX_TEXT - len(TRIMMED) - len("word00000 ")
    assert len(trimmed) <= MAX_TEXT


def test_a_message_at_the_limit_is_kept_whole() -> None:
    original = "x" * MAX_TEXT
    assert clean_incoming(original) == original


def test_trimming_never_leaves_part_of_a_card_in_the_clear() -> None:
    for shift in range(0, 40):
        original = "y" * (MAX_TEXT - len(TRIMMED) - shift) + " 4111 1111 1111 1111 and more"
        trimmed = clean_incoming(original)
        assert "4111 1111" not in trimmed and "1111 1111" not in trimmed, shift


def test_a_cut_through_a_number_never_makes_a_new_card_number() -> None:
    # 4111 1111 1111 9234 is no card, but its first 13 digits are: a cut after the 9 must not
    # leave them standing.
    assert luhn_valid("4111111111119") and not luhn_valid("4111111111119234")
    before_cut = "y" * (MAX_TEXT - len(TRIMMED) - len("4111 1111 1111 9"))
    trimmed = clean_incoming(before_cut + "4111 1111 1111 9234 and more")
    assert trimmed == before_cut + "4111 1111 1111 " + TRIMMED
    assert redact(trimmed) == trimmed


def test_cleaning_twice_changes_nothing_more() -> None:
    for text in ("a" * (MAX_TEXT + 50), f"{VISA_16}\x00 hi\r\n", "1 " * MAX_TEXT):
        once = clean_incoming(text)
        assert clean_incoming(once) == once


def test_scrub_caps_at_any_limit_after_redacting() -> None:
    assert scrub(f"{VISA_16} tail", 40) == "[card number redacted …1111] tail"
    capped = scrub("z" * 100 + f" {VISA_16}", 50)
    assert capped == "z" * (50 - len(TRIMMED)) + TRIMMED
