"""Lead temperature cools with time; contact spacing out and talk of leaving raise risk."""

from datetime import UTC, datetime, timedelta

from bot.config import DEFAULT_STAGE_MODEL
from lifecycle.scores import (
    COLD,
    HOT,
    contact_weight,
    dissolution_risk,
    engage,
    temperature,
    usual_gap,
)
from lifecycle.stages import load_stage_model

MODEL = load_stage_model(DEFAULT_STAGE_MODEL)
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def test_a_busy_buyer_is_hot_and_cools_down_without_contact() -> None:
    score, at = 0.0, None
    for minute in range(3):
        now = T0 + timedelta(minutes=minute)
        score = engage(score, at, now, contact_weight("purchase", MODEL))
        at = now
    assert temperature(score, at, T0 + timedelta(hours=1)).label == HOT
    assert temperature(score, at, T0 + timedelta(days=30)).label == COLD


def test_after_the_purchase_messages_barely_count_as_lead_engagement() -> None:
    assert contact_weight("support", MODEL) < contact_weight("awareness", MODEL)
    assert contact_weight("purchase", MODEL) > contact_weight("awareness", MODEL)


def test_contact_spacing_out_is_a_risk_and_talk_of_leaving_more_so() -> None:
    gap = usual_gap(None, T0, T0 + timedelta(days=3))
    gap = usual_gap(gap, T0 + timedelta(days=3), T0 + timedelta(days=6))
    assert gap is not None and abs(gap - 3) < 1e-9
    last = T0 + timedelta(days=6)
    assert not dissolution_risk(last, gap, "support", MODEL, last + timedelta(days=5)).reasons
    quiet = dissolution_risk(last, gap, "support", MODEL, last + timedelta(days=20))
    assert "no contact for 20 days; usually every 3" in quiet.reasons
    leaving = dissolution_risk(last, gap, "dissolution", MODEL, last + timedelta(days=20))
    assert leaving.at_risk and leaving.score == 1.0
