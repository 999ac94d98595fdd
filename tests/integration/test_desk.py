"""The desk service end to end on a real store (SQLite and PostgreSQL), with the sample data."""

from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import Services
from bot.service.desk import Desk
from bot.service.outcomes import CustomerRef
from bot.service.records import Conversation, Escalation, Message, StageChange
from bot.service.vocabulary import ConversationStatus, Decision, Resolution
from knowledge_base.search import ANSWER, NONE
from tests.conftest import T0

ESCALATED, RESOLVED = ConversationStatus.ESCALATED, ConversationStatus.RESOLVED
SELF_SERVICE, HANDOVER, RELAYED = Resolution.SELF_SERVICE, Decision.HANDOVER, Decision.RELAYED

ANNA = CustomerRef("U-ANNA", "T1")


def ask(desk: Desk, text: str, minutes: float = 0, who: CustomerRef = ANNA, thread: str = ""):  # noqa: ANN201
    return desk.handle_message(who, text, at=T0 + timedelta(minutes=minutes), channel="D1",
                               thread_ts=thread)  # fmt: skip


def test_a_payment_question_is_answered_tagged_and_stored(desk: Desk) -> None:
    reply = ask(desk, "how do I pay with paypal")
    assert reply.decision == ANSWER
    assert reply.article.id == "payment-methods"
    assert reply.stage == "purchase"
    with desk.store.unit_of_work() as uow:
        messages = uow.session.scalars(select(Message).order_by(Message.id)).all()
        assert [(m.role, m.decision) for m in messages] == [("customer", ANSWER), ("bot", ANSWER)]
        assert messages[0].article_id == "payment-methods"
        [change] = uow.session.scalars(select(StageChange)).all()
        assert (change.from_stage, change.to_stage) == ("awareness", "purchase")
        assert change.reason


def test_the_stage_carries_over_to_the_next_conversation(desk: Desk) -> None:
    ask(desk, "how do I pay with paypal", thread="run-1")
    reply = ask(desk, "hello", minutes=60, thread="run-2")
    assert reply.stage == "purchase"
    history = desk.history(ANNA)
    assert history.conversations == 2 and history.messages == 2


def test_a_buyer_not_helped_twice_is_escalated_with_reasons(desk: Desk) -> None:
    first = ask(desk, "how do I pay with paypal")
    assert first.stage == "purchase" and first.escalation is None
    not_helpful = desk.record_feedback(ANNA, False, at=T0 + timedelta(minutes=1))
    assert not_helpful.escalation is None
    again = ask(desk, "paypal payment at checkout, how?", minutes=2)
    assert again.escalation is not None and again.escalation.new
    assert "not_helpful" in again.escalation.signals
    assert any("not helpful" in reason for reason in again.escalation.reasons)
    with desk.store.unit_of_work() as uow:
        [escalation] = uow.session.scalars(select(Escalation)).all()
        assert escalation.stage == "purchase"
        conversation = uow.session.get(Conversation, escalation.conversation_id)
        assert conversation.status == ESCALATED


def test_asking_for_a_person_escalates_in_any_stage(desk: Desk) -> None:
    reply = ask(desk, "vorrei parlare con una persona")
    assert reply.escalation is not None
    assert "asked_for_human" in reply.escalation.signals
    button = desk.talk_to_human(CustomerRef("U-BEN", "T1"), at=T0, channel="D2")
    assert button.decision == HANDOVER and button.escalation.new


def test_messages_after_an_escalation_are_relayed_not_answered(desk: Desk) -> None:
    desk.talk_to_human(ANNA, at=T0, channel="D1")
    reply = ask(desk, "how can I pay?", minutes=1)
    assert reply.decision == RELAYED and reply.article is None
    with desk.store.unit_of_work() as uow:
        assert len(uow.session.scalars(select(Escalation)).all()) == 1


def test_helpful_feedback_resolves_the_conversation_as_self_service(desk: Desk) -> None:
    ask(desk, "how can I pay?")
    reply = desk.record_feedback(ANNA, True, at=T0 + timedelta(minutes=1))
    assert reply.decision == "helpful"
    with desk.store.unit_of_work() as uow:
        [conversation] = uow.session.scalars(select(Conversation)).all()
        assert (conversation.status, conversation.resolution) == (RESOLVED, SELF_SERVICE)


def test_feedback_with_no_answer_to_rate_is_refused(desk: Desk) -> None:
    assert desk.record_feedback(ANNA, True, at=T0) is None
    ask(desk, "what's the weather in Rome tomorrow")
    assert desk.record_feedback(ANNA, True, at=T0) is None


def test_an_unanswerable_question_offers_a_person(desk: Desk) -> None:
    reply = ask(desk, "what's the weather in Rome tomorrow")
    assert reply.decision == NONE
    assert "person" in reply.text


def test_card_numbers_never_reach_the_database(desk: Desk) -> None:
    ask(desk, "my card 4111 1111 1111 1111 was declined")
    with desk.store.unit_of_work() as uow:
        texts = [m.text for m in uow.session.scalars(select(Message))]
    assert not any("4111 1111" in text for text in texts)
    assert any("redacted" in text for text in texts)


def test_a_long_silence_starts_a_new_conversation(desk: Desk) -> None:
    first = ask(desk, "how do I pay with paypal")
    later = ask(desk, "how do I pay with paypal", minutes=60 * 30)
    assert later.conversation_id != first.conversation_id
    assert later.stage == "purchase"


def test_a_bad_reload_keeps_the_last_good_knowledge_base(services: Services, tmp_path) -> None:  # noqa: ANN001
    from knowledge_base import load_knowledge_base

    broken = tmp_path / "kb"
    broken.mkdir()
    (broken / "a.yaml").write_text("- id: x\n  answer: no title\n", encoding="utf-8")
    desk = services.desk
    problems = services.knowledge.reload(lambda: load_knowledge_base(broken))
    assert problems and "missing required field 'title'" in str(problems[0])
    assert ask(desk, "how can I pay?").article.id == "payment-methods"

    good = tmp_path / "kb2"
    good.mkdir()
    (good / "a.yaml").write_text(
        "- id: pay-here\n  title: How can I pay?\n  answer: Only by card.\n  stages: [purchase]\n",
        encoding="utf-8",
    )
    assert services.knowledge.reload(lambda: load_knowledge_base(good)) == []
    assert ask(desk, "how can I pay?", minutes=1).article.id == "pay-here"
