"""Which triage channel a card goes to (TRIAGE_ROUTES): parsed with errors that name the
setting, matched first rule first, checked against the stage model at start-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.config import DEFAULT_STAGE_MODEL, Route, Settings, SettingsError, load_settings
from bot.service.outcomes import Card
from bot.slack.routing import check_routes, triage_channel
from lifecycle.stages import load_stage_model

RULES = "stage:purchase=C0SALES, language:de=C0DACH, channel:C0VIP=C0KEYACCT"


def card(stage: str = "support", language: str | None = "en", channel: str = "D1") -> Card:
    return Card(
        escalation_id=1, status="open", customer_user="U1", customer_team="T1", stage=stage,
        stage_name=stage, reasons=(), signals=(), recent=(), articles_tried=(),
        assigned_agent=None, customer_channel=channel, customer_thread="", agent_channel=None,
        agent_thread_ts=None, created_at=datetime(2026, 12, 1, tzinfo=UTC), language=language,
    )  # fmt: skip


def test_routes_are_read_in_order_and_the_first_match_wins() -> None:
    settings = load_settings({"TRIAGE_ROUTES": RULES, "SUPPORT_AGENT_CHANNEL": "C0AGENTS"},
                             dotenv=None)  # fmt: skip
    assert settings.triage_routes == (
        Route("stage", "purchase", "C0SALES"), Route("language", "de", "C0DACH"),
        Route("channel", "C0VIP", "C0KEYACCT"),
    )  # fmt: skip
    assert triage_channel(card("purchase", "de"), settings) == "C0SALES"
    assert triage_channel(card("support", "de"), settings) == "C0DACH"
    assert triage_channel(card(channel="C0VIP"), settings) == "C0KEYACCT"
    assert triage_channel(card(), settings) == "C0AGENTS"
    assert settings.triage_channels == ("C0AGENTS", "C0SALES", "C0DACH", "C0KEYACCT")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("purchase=C0SALES", "expected kind:value=CHANNEL"),
        ("tier:gold=C0SALES", "the kind must be one of stage, language, channel"),
        ("stage:purchase=#sales", "the target must be a channel id"),
        ("language:fr=C0FR", "the language must be one of en, it, de, pl"),
        ("channel:general=C0X1", "a customer channel must be a channel id"),
    ],
)
def test_a_wrong_route_names_the_setting_and_the_rule(raw: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"TRIAGE_ROUTES": raw}, dotenv=None)
    assert str(refused.value).startswith("TRIAGE_ROUTES: ") and says in str(refused.value)
    assert repr(raw) in str(refused.value)


def test_a_route_to_a_stage_the_model_lacks_stops_start_up() -> None:
    model = load_stage_model(DEFAULT_STAGE_MODEL)
    check_routes(replace(Settings(), triage_routes=(Route("stage", "purchase", "C0S1"),)), model)
    with pytest.raises(SettingsError, match="TRIAGE_ROUTES: no stage 'checkout'"):
        check_routes(replace(Settings(), triage_routes=(Route("stage", "checkout", "C0S1"),)),
                     model)  # fmt: skip
