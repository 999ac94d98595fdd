"""Repository contract: the failed questions behind knowledge gaps, alike on every store."""

from __future__ import annotations

from bot.service.ports import Store
from bot.service.records import Feedback
from bot.service.vocabulary import Decision, Role
from tests.integration.contract.helpers import ON_EVERY_STORE, at, customer, say, talk

pytestmark = ON_EVERY_STORE


def test_failed_questions_are_those_answered_none_or_whose_answer_was_not_helpful(
    any_store: Store,
) -> None:
    with any_store.unit_of_work() as uow:
        anna, ben = customer(uow, "UA"), customer(uow, "UB")
        first = talk(uow, anna, 0, channel="D1", stage="purchase")
        second = talk(uow, ben, 0, channel="D2", stage="support")
        say(uow, first, Role.CUSTOMER, "do you sell decaf?", 1, decision=Decision.NONE,
            language="en")  # fmt: skip
        say(uow, first, Role.BOT, "Sorry, I have nothing on that.", 1, decision=Decision.NONE)
        asked = say(uow, second, Role.CUSTOMER, "how do I pay?", 2, decision=Decision.ANSWER,
                    language="en")  # fmt: skip
        answer = say(uow, second, Role.BOT, "Card or PayPal.", 2, decision=Decision.ANSWER,
                     article_id="payment-methods")  # fmt: skip
        uow.repo.add_feedback(Feedback(message_id=answer.id, helpful=False, at=at(3),
                                       stage="evaluation"))  # fmt: skip
        helped = say(uow, second, Role.CUSTOMER, "and shipping?", 4, decision=Decision.ANSWER)
        shown = say(uow, second, Role.BOT, "Free from 30 euro.", 4, decision=Decision.ANSWER,
                    article_id="shipping")  # fmt: skip
        uow.repo.add_feedback(Feedback(message_id=shown.id, helpful=True, at=at(5)))
        say(uow, first, Role.CUSTOMER, "hello?", -60, decision=Decision.NONE)  # before
        say(uow, first, Role.AGENT, "an agent's words are not questions", 6)
        uow.commit()
    assert asked.id is not None and helped.id is not None
    with any_store.unit_of_work() as uow:
        found = uow.repo.unanswered_questions(at(0), at(10))
    assert [(q.text, q.stage, q.language, q.articles, q.at) for q in found] == [
        ("do you sell decaf?", "purchase", "en", (), at(1)),
        ("how do I pay?", "evaluation", "en", ("payment-methods",), at(2)),
    ]
    assert found[0].customer != found[1].customer  # one key per customer


def test_a_question_answered_twice_and_rated_down_twice_lists_both_articles(
    any_store: Store,
) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow, "UA"), 0, stage="purchase")
        say(uow, where, Role.CUSTOMER, "my grinder is loud", 1, decision=Decision.SUGGEST)
        for minutes, article in ((1, "grind-settings"), (2, "warranty")):
            shown = say(uow, where, Role.BOT, "...", minutes, decision=Decision.ANSWER,
                        article_id=article)  # fmt: skip
            uow.repo.add_feedback(Feedback(message_id=shown.id, helpful=False, at=at(minutes)))
        uow.commit()
    with any_store.unit_of_work() as uow:
        (question,) = uow.repo.unanswered_questions(at(0), at(10))
    assert question.text == "my grinder is loud"
    assert sorted(question.articles) == ["grind-settings", "warranty"]
    assert question.stage == "purchase"  # the ratings had no stage: the conversation's
