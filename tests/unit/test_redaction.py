from bot.service.redaction import MAX_TEXT, clean_incoming, luhn_valid, redact


def test_card_numbers_are_redacted_with_or_without_separators() -> None:
    text = "card 4111 1111 1111 1111, or 4111-1111-1111-1111, or 5555555555554444"
    redacted = redact(text)
    assert "4111 1111" not in redacted and "5555555555554444" not in redacted
    assert redacted.count("[card number redacted") == 3


def test_numbers_that_fail_the_luhn_check_are_kept() -> None:
    assert redact("order 4111111111111112 arrived") == "order 4111111111111112 arrived"
    assert redact("call +31 20 123 4567") == "call +31 20 123 4567"


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_very_long_messages_are_trimmed() -> None:
    assert len(clean_incoming("a" * (MAX_TEXT + 500))) < MAX_TEXT + 20
