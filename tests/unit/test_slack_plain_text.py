"""Slack's incoming text turned back into what the sender typed (bot/slack/text.plain)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.text import escape, plain


@given(st.text())
def test_escaped_text_comes_back_exactly_as_typed(typed: str) -> None:
    # Slack escapes &, < and > in what people type; plain undoes exactly that, once.
    assert plain(escape(typed)) == typed


def test_markup_becomes_readable_text_that_pings_nobody() -> None:
    names = {"U1": "Anna"}.get
    text = (
        "<@U1> <@U2|bob> <#C1|general> <#C2> <!here> <!channel> <!everyone> "
        "<!subteam^S1|@leads> <!subteam^S2> <!date^1392734382^{date}|Feb 18> "
        "<https://a.example/x?y=1&amp;z=2> <https://b.example|the docs> <mailto:x@y.z|x@y.z>"
    )
    assert plain(text, name_of=names) == (
        "@Anna @bob #general #C2 @here @channel @everyone @leads @S2 Feb 18 "
        "https://a.example/x?y=1&z=2 the docs (https://b.example) x@y.z"
    )
    assert "<" not in escape(plain(text)) and ">" not in escape(plain(text))


def test_the_apps_own_mention_is_left_out() -> None:
    assert plain("<@UBOT> how do I pay?", bot_user_id="UBOT") == "how do I pay?"
    assert plain("so <@UBOT|support>   can I pay", bot_user_id="UBOT") == "so can I pay"
    assert plain("<@UOTHER> helps", bot_user_id="UBOT") == "@UOTHER helps"
