import pytest

from bot.config import SAMPLE_KB
from knowledge_base import Searcher, load_knowledge_base
from knowledge_base.search import AGENT_AUDIENCE, ANSWER, NONE


@pytest.fixture(scope="module")
def searcher() -> Searcher:
    return Searcher(load_knowledge_base(SAMPLE_KB))


def test_a_payment_question_gets_the_payment_article(searcher: Searcher) -> None:
    result = searcher.search("how can I pay?")
    assert result.decision == ANSWER
    assert result.best.article.id == "payment-methods"
    assert 0 < result.best.score <= 1


@pytest.mark.parametrize(
    ("query", "locale"),
    [("come posso pagare?", "it"), ("wie kann ich bezahlen?", "de"), ("jak mogę zapłacić?", "pl")],
)
def test_the_same_question_in_another_language_gets_that_language(
    searcher: Searcher, query: str, locale: str
) -> None:
    result = searcher.search(query)
    assert result.language == locale
    assert result.best.article.id == "payment-methods"
    assert result.best.article.locale == locale


def test_an_unrelated_question_is_not_answered(searcher: Searcher) -> None:
    assert searcher.search("what's the weather in Rome tomorrow").decision == NONE


def test_customers_never_see_internal_articles(searcher: Searcher) -> None:
    internal = [a for a in searcher.kb if not a.is_public]
    assert internal, "the sample knowledge base should have agent-only articles"
    for article in internal:
        public = searcher.search(article.title)
        assert all(hit.article.is_public for hit in public.hits)
        agent = searcher.search(article.title, audience=AGENT_AUDIENCE)
        assert agent.best.article.id == article.id
