"""Customer button values: the reply id and article id survive the round trip; old values
still parse; nothing a client sends makes parsing fail."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.ids import LEGACY_VALUE, ROW_ID_MAX, parse_reply_value, reply_value, row_id

ARTICLE_IDS = st.from_regex(r"\A[a-z0-9]+(-[a-z0-9]+)*\Z")


@given(st.integers(min_value=1, max_value=ROW_ID_MAX), ARTICLE_IDS | st.just(""))
def test_reply_and_article_ids_round_trip(message_id: int, article_id: str) -> None:
    assert parse_reply_value(reply_value(message_id, article_id)) == (message_id, article_id)


def test_buttons_from_before_reply_ids_still_parse() -> None:
    assert parse_reply_value(LEGACY_VALUE) == (None, "")
    assert parse_reply_value("payment-methods") == (None, "payment-methods")
    assert reply_value(None) == LEGACY_VALUE and reply_value(None, "refunds") == "refunds"


@given(st.text(max_size=200))
def test_any_value_parses_to_something_harmless(value: str) -> None:
    message_id, article_id = parse_reply_value(value)
    assert message_id is None or 0 <= message_id <= ROW_ID_MAX
    assert isinstance(article_id, str)


def test_numbers_beyond_a_row_id_point_to_nothing() -> None:
    assert row_id(str(ROW_ID_MAX + 1)) is None and row_id("²") is None and row_id("-1") is None
    assert parse_reply_value("99999999999999999999:refunds") == (0, "")
