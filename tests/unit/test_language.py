import pytest

from knowledge_base.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("how can I pay?", "en"),
        ("come posso pagare?", "it"),
        ("vorrei parlare con una persona", "it"),
        ("wie kann ich bezahlen?", "de"),
        ("Kann ich mit PayPal zahlen", "de"),
        ("jak mogę zapłacić?", "pl"),
        ("czy mogę zapłacić PayPal?", "pl"),
    ],
)
def test_short_support_questions_are_recognised(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_a_message_with_no_sign_of_a_language_gives_none() -> None:
    assert detect_language("paypal") is None
    assert detect_language("12345") is None
