"""Articles the app writes (approved drafts) load back exactly, by the loader's own rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from knowledge_base.drafting import article_yaml, slug
from knowledge_base.loader import ID_PATTERN, check_article_text

ANSWER = "Tours run on Fridays.\n\nBook them in your account:\n- pick a date\n- pay online"


def test_an_article_written_by_the_app_loads_back_as_written() -> None:
    text = article_yaml(article_id="roastery-tours", locale="it", title="Posso prenotare un tour?",
                        questions=["posso visitare la torrefazione?", "tour: quando?"],
                        stages=["evaluation"], answer=ANSWER)  # fmt: skip
    assert "answer: |" in text  # a literal block, as people write them
    [article], problems = check_article_text(text, "approved/roastery-tours.it.yaml",
                                             ["evaluation", "purchase"])  # fmt: skip
    assert problems == []
    assert (article.id, article.locale, article.answer) == ("roastery-tours", "it", ANSWER)
    assert article.questions == ("posso visitare la torrefazione?", "tour: quando?")
    assert article.source == "approved/roastery-tours.it.yaml:2"


def test_the_validator_names_the_field_of_a_bad_draft() -> None:
    text = article_yaml(article_id="Bad Id", locale="en", title="t", questions=[],
                        stages=["nowhere"], answer="a")  # fmt: skip
    articles, problems = check_article_text(text, "approved/x.yaml", ["purchase"])
    assert articles == []
    messages = [p.message for p in problems]
    assert any(m.startswith("bad id 'Bad Id'") for m in messages)
    assert any("unknown stage 'nowhere'" in m for m in messages)


@given(st.text(min_size=1, max_size=80))
def test_any_title_makes_a_valid_id(title: str) -> None:
    assert ID_PATTERN.match(slug(title))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
               max_size=200).filter(str.strip))  # fmt: skip
def test_any_answer_survives_the_round_trip(answer: str) -> None:
    text = article_yaml(article_id="a", locale="en", title="T", questions=[], stages=[],
                        answer=answer)  # fmt: skip
    [article], problems = check_article_text(text, "a.yaml")
    assert problems == []
    assert article.answer == "\n".join(line.rstrip() for line in answer.strip().splitlines())
