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
from lifecycle.stuck import CLOSING, FEEDBACK, HUMAN, QUESTION

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
buying: {en: [cart, checkout]}
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


def test_a_closing_after_trouble_resets_the_assessment(detector: StuckDetector) -> None:
    turns = [q(0, "xyz", "none"), feedback(1, False)]
    assert detector.assess(turns, "purchase", T0 + timedelta(minutes=9)).action == "escalate"
    closed = [*turns, Turn(T0 + timedelta(minutes=2), CLOSING, text="found it, thanks")]
    result = detector.assess(closed, "purchase", T0 + timedelta(minutes=9))
    assert (result.score, result.action) == (0, None)


def test_an_unanswered_question_counts_no_more_once_the_customer_moved_on(
    detector: StuckDetector,
) -> None:
    turns = [q(0, "do you sell decaf", "none"), q(1, "how do I pay with paypal", "answer", "pay")]
    result = detector.assess(turns, "purchase", T0 + timedelta(minutes=9))
    assert "no_answer" not in result.signal_ids and result.action is None
    # Asking something else that is not answered either is not moving on.
    stuck = [turns[0], q(1, "is there a student discount", "none")]
    signals = detector.assess(stuck, "purchase", T0 + timedelta(minutes=1)).signals
    assert [s.id for s in signals] == ["no_answer", "no_answer"]


def test_asking_again_what_was_answered_then_silence_is_waiting(detector: StuckDetector) -> None:
    turns = [q(0, "where do I enter the gift message", "answer", "gift"),
             q(2, "where do I put the gift message", "answer", "gift")]  # fmt: skip
    result = detector.assess(turns, "purchase", T0 + timedelta(minutes=9))
    assert result.signal_ids == ["repeated_question", "idle_after_question"]
    assert result.action == "escalate"


def test_a_buyer_still_tagged_evaluation_is_judged_as_a_buyer(detector: StuckDetector) -> None:
    turns = [q(0, "the total in my cart looks wrong", "none")]
    result = detector.assess(turns, "evaluation", T0 + timedelta(minutes=9))
    assert result.action == "escalate"
    assert 'judged as a buyer: said "cart"' in result.reasons
    # Without a buying word the same trouble in evaluation is nobody's emergency.
    browsing = [q(0, "is the total with shipping", "none")]
    assert detector.assess(browsing, "evaluation", T0 + timedelta(minutes=9)).action is None


def test_a_customer_who_has_bought_is_not_judged_by_their_old_purchase_stage(
    detector: StuckDetector,
) -> None:
    turns = [q(0, "my order from monday is late, ridiculous", "none")]
    now = T0 + timedelta(minutes=9)
    assert detector.assess(turns, "support", now, earlier_stages=["purchase"]).action is None
    paying = [q(0, "card declined at checkout again, ridiculous", "none")]
    assert detector.assess(paying, "evaluation", now, ["awareness"]).action == "escalate"


def test_an_invalid_rules_file_names_each_problem_with_its_line(tmp_path: Path) -> None:
    from lifecycle.rules import RulesError

    rules = tmp_path / "rules.yaml"
    rules.write_text(
        RULES.replace("buying: {en: [cart, checkout]}", "buying: [cart]")
        + "closings: {en: found it}\nthresholds: 3\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError) as raised:
        load_rules(rules)
    text = str(raised.value)
    assert f"{rules}:9: buying must map language codes to lists of texts" in text
    assert f"{rules}:10: closings must map language codes to lists of texts" in text
    assert f"{rules}:11: unknown field 'thresholds'" in text


def test_the_bundled_rules_carry_examples_closings_and_buying_words() -> None:
    from bot.config import PACKAGE_ROOT

    rules = load_rules(PACKAGE_ROOT / "lifecycle" / "data" / "escalation.yaml")
    languages = {"en", "it", "de", "pl"}
    assert set(rules.closings) == set(rules.buying) == set(rules.about_to_buy) == languages
    assert set(rules.decided) == languages
    for signal in ("asked_for_human", "frustration", "payment_failure", "not_helpful"):
        assert set(rules.signals[signal].examples) == {"en", "it", "de", "pl"}


@pytest.fixture
def bundled() -> StuckDetector:
    from bot.config import PACKAGE_ROOT

    model = load_stage_model(PACKAGE_ROOT / "lifecycle" / "models" / "default.yaml")
    return StuckDetector(model, load_rules(PACKAGE_ROOT / "lifecycle" / "data" / "escalation.yaml"))


@pytest.mark.parametrize(
    "text",
    [
        "morning! if I order the Home today will it get to Lyon before Saturday?",
        "se lo ordino adesso arriva a Bari entro venerdì?",
        "wenn ich die Maschine heute noch bestelle, kommt sie bis Freitag?",
        "jesli zamowie teraz mlynek to dojdzie do soboty?",
    ],
)
def test_a_plan_to_buy_left_unanswered_makes_a_waiting_buyer_in_any_stage(
    bundled: StuckDetector, text: str
) -> None:
    # Asked once, not answered, then silence: tagged support for the delivery talk (or
    # bonding, buying again), the customer is still a buyer whose purchase waits on the answer.
    now = T0 + timedelta(minutes=9)
    for stage in ("awareness", "support", "bonding"):
        result = bundled.assess([q(0, text, "suggest")], stage, now)
        assert result.action == "escalate", stage
        assert any(r.startswith('judged as a buyer: said "') for r in result.reasons)


def test_an_order_placed_before_is_not_a_plan_to_buy(bundled: StuckDetector) -> None:
    now = T0 + timedelta(minutes=9)
    for text in ("if I ordered the wrong size can I swap it", "jeśli zamówienie nie dojdzie?"):
        assert bundled.plans_to_buy(text) == ""
        assert bundled.assess([q(0, text, "suggest")], "support", now).action != "escalate"


@pytest.mark.parametrize(
    "text",
    [
        "im not very good with the computer, could someone phone me please? im home all day",
        "guardate, potete chiamarmi voi? scrivere da qui per me è un casino",
        "könnt ihr mich bitte heute Nachmittag anrufen?",
        "zadzwońcie do mnie proszę, tak będzie szybciej",
    ],
)
def test_asking_to_be_phoned_is_asking_for_a_person(bundled: StuckDetector, text: str) -> None:
    result = bundled.assess([q(0, text, "suggest")], "support", T0 + timedelta(minutes=1))
    assert result.action == "escalate"
    assert result.signal_ids[0] == "asked_for_human"


def test_a_whole_word_matcher_does_not_take_a_prefix_for_the_word() -> None:
    matcher = PhraseMatcher([("purchase", "wenn ich bestelle")], gap=4, whole=True)
    assert [h.exact for h in matcher.find("Wenn ich bestelle")] == [True]
    assert [h.exact for h in matcher.find("wenn ich die Home heute noch bestelle")] == [False]
    assert matcher.find("wenn ich bestellen will") == []  # prefix matching would say yes
    assert PhraseMatcher([("purchase", "wenn ich bestelle")]).find("wenn ich bestellen will")
