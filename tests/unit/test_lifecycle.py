"""Stage model loading, stage rules and stuck detection on small inline models."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lifecycle import (
    StageModelError,
    StageTagger,
    StuckDetector,
    Turn,
    load_rules,
    load_stage_model,
)
from lifecycle.phrases import PhraseMatcher
from lifecycle.stuck import FEEDBACK, HUMAN, QUESTION

MODEL = """id: test
name: Test model
default_stage: awareness
purchase_stage: purchase
stages:
  - id: awareness
    names: {en: Awareness}
    phrases: {en: [what is, who are you]}
  - id: evaluation
    names: {en: Evaluation}
    phrases: {en: [compare, how much does]}
  - id: purchase
    names: {en: Purchase}
    phrases: {en: [pay, checkout, place an order, buy again], pl: [zapłaci]}
    escalation: {threshold: 2.0, action: escalate}
  - id: support
    names: {en: Support}
    phrases: {en: [where is my order, refund]}
  - id: bonding
    names: {en: Bonding}
    phrases: {en: [write a review]}
  - id: dissolution
    names: {en: Dissolution}
    phrases: {en: [cancel my subscription]}
    escalation: {threshold: 2.0, action: offer}
"""
RULES = """signals:
  asked_for_human: {weight: 10, phrases: {en: [talk to a person], it: [parlare con una persona]}}
  frustration: {weight: 1.5, phrases: {en: [ridiculous]}}
  payment_failure: {weight: 2, phrases: {en: [card declined]}}
  not_helpful: {weight: 1.5, phrases: {en: [did not help]}}
  repeated_question: {weight: 1}
  no_answer: {weight: 1}
  idle_after_question: {weight: 2, minutes: 5}
"""
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    model, rules = tmp_path / "model.yaml", tmp_path / "rules.yaml"
    model.write_text(MODEL, encoding="utf-8")
    rules.write_text(RULES, encoding="utf-8")
    return model, rules


@pytest.fixture
def tagger(paths: tuple[Path, Path]) -> StageTagger:
    return StageTagger(load_stage_model(paths[0]))


@pytest.fixture
def detector(paths: tuple[Path, Path]) -> StuckDetector:
    return StuckDetector(load_stage_model(paths[0]), load_rules(paths[1]))


def test_phrase_words_match_inflected_endings_and_accents() -> None:
    matcher = PhraseMatcher([("purchase", "zapłaci"), ("support", "where is my order")])
    assert [h.label for h in matcher.find("Jak mogę ZAPLACIC?")] == ["purchase"]
    assert [h.label for h in matcher.find("Where is my order #123?")] == ["support"]
    assert matcher.find("is my order where") == []


def test_a_new_customer_moves_on_first_evidence(tagger: StageTagger) -> None:
    decision = tagger.decide("awareness", tagger.evidence("can I pay by card?"), established=False)
    assert decision.changed and decision.stage == "purchase"
    assert '"pay"' in decision.reason


def test_weak_evidence_does_not_move_an_established_stage(tagger: StageTagger) -> None:
    decision = tagger.decide("evaluation", tagger.evidence("can I pay by card?"))
    assert not decision.changed and decision.stage == "evaluation"


def test_a_customer_who_bought_is_not_sent_back_to_awareness(tagger: StageTagger) -> None:
    evidence = tagger.evidence("what is the grinder, who are you, what is this", ["awareness"])
    decision = tagger.decide("support", evidence)
    assert decision.stage == "support" and not decision.changed


def test_buying_again_moves_a_loyal_customer_back_into_purchase(tagger: StageTagger) -> None:
    evidence = tagger.evidence("I want to buy again and place an order", ["purchase"])
    decision = tagger.decide("bonding", evidence)
    assert decision.changed and decision.stage == "purchase"


def test_an_invalid_stage_model_lists_located_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "default_stage: nowhere\npurchase_stage: buy\nstages:\n"
        "  - id: buy\n    colour: red\n  - id: Bad Id\n  - id: buy\n"
        "    escalation: {threshold: -1}\n",
        encoding="utf-8",
    )
    with pytest.raises(StageModelError) as error:
        load_stage_model(path)
    lines = [str(p) for p in error.value.problems]
    assert f"{path}:1: default_stage 'nowhere' is not one of the stages: buy" in lines
    assert any(line.startswith(f"{path}:5: unknown stage field 'colour'") for line in lines)
    assert any(line.startswith(f"{path}:6: stage id must be") for line in lines)
    assert any(line.startswith(f"{path}:8: threshold must be greater than 0") for line in lines)


def q(minutes: float, text: str, decision: str = "answer", article: str | None = None) -> Turn:
    return Turn(T0 + timedelta(minutes=minutes), QUESTION, text=text, decision=decision,
                article_id=article, topic=article or "")  # fmt: skip


def feedback(minutes: float, helpful: bool) -> Turn:
    return Turn(T0 + timedelta(minutes=minutes), FEEDBACK, helpful=helpful)


def test_a_stuck_buyer_escalates_with_reasons_in_words(detector: StuckDetector) -> None:
    turns = [
        q(0, "how do I pay at checkout", article="payment-methods"),
        feedback(1, False),
        q(2, "checkout payment options?", article="payment-methods"),
    ]
    result = detector.assess(turns, "purchase", T0 + timedelta(minutes=2))
    assert result.action == "escalate"
    assert result.signal_ids == ["not_helpful", "repeated_question"]
    assert 'asked about "payment-methods" 2 times' in result.reasons
    assert "an answer was marked not helpful" in result.reasons


def test_the_same_trouble_outside_purchase_does_not_escalate(detector: StuckDetector) -> None:
    turns = [q(0, "where is my order", article="track"), feedback(1, False),
             q(2, "where is my order now", article="track")]  # fmt: skip
    assert detector.assess(turns, "support", T0 + timedelta(minutes=2)).action is None


def test_asking_for_a_person_escalates_in_every_stage(detector: StuckDetector) -> None:
    said = detector.assess([q(0, "vorrei parlare con una persona", "none")], "support", T0)
    assert said.action == "escalate" and "asked_for_human" in said.signal_ids
    pressed = detector.assess([Turn(T0, HUMAN)], "awareness", T0)
    assert pressed.action == "escalate"


def test_a_helpful_answer_resets_the_score(detector: StuckDetector) -> None:
    turns = [q(0, "xyz", "none"), q(1, "abc", "none"), feedback(2, True)]
    assert detector.assess(turns[:2], "purchase", T0).action == "escalate"
    assert detector.assess(turns, "purchase", T0).score == 0


def test_silence_after_an_unanswered_question_escalates_later(detector: StuckDetector) -> None:
    turns = [q(0, "do you ship gift wrapped", "suggest")]
    assert detector.assess(turns, "purchase", T0 + timedelta(minutes=2)).action is None
    later = detector.assess(turns, "purchase", T0 + timedelta(minutes=6))
    assert later.action == "escalate"
    assert "waiting 6 minutes since the last question" in later.reasons


def test_dissolution_offers_a_person_instead_of_escalating(detector: StuckDetector) -> None:
    turns = [q(0, "this is ridiculous, cancel my subscription", "none")]
    result = detector.assess(turns, "dissolution", T0)
    assert result.action == "offer"
    assert 'sounds frustrated ("ridiculous")' in result.reasons


def test_presets_take_articles_tagged_for_the_seven_stage_model() -> None:
    from bot.config import PACKAGE_ROOT

    models = PACKAGE_ROOT / "lifecycle" / "models"
    five = load_stage_model(models / "five-stage.yaml")
    assert five.ids == ("awareness", "engagement", "conversion", "retention", "loyalty")
    assert five.resolve("purchase") == "conversion" and five.resolve("bonding") == "loyalty"
    assert five.leaving_stage is None  # retention is not all leaving
    tagger = StageTagger(five)
    evidence = tagger.evidence("hello", ["purchase"], "payment-methods")
    assert [e.stage for e in evidence] == ["conversion"]
    explore = load_stage_model(models / "exploration.yaml")
    assert explore.purchase_stage == "commitment" and explore.leaving_stage == "dissolution"
