"""Knowledge-base text loses the control characters Slack would not show, from any source."""

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.service.redaction import clean_incoming
from knowledge_base import load_knowledge_base
from knowledge_base.loader import check_knowledge_base, without_controls


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_escaped_control_characters_in_yaml_fields_are_removed(tmp_path: Path) -> None:
    write(
        tmp_path,
        "kb.yaml",
        'articles:\n  - id: pay\n    title: "How\\0 to \\e[31mpay"\n'
        '    answer: "Cards\\x07 and PayPal.\\n\\tBank transfer too."\n'
        '    questions: ["how can\\x00 I pay?"]\n    agent_notes: "ask\\b for the order"\n',
    )
    article = load_knowledge_base(tmp_path).get("pay")
    assert article is not None
    assert article.title == "How to [31mpay"
    assert article.answer == "Cards and PayPal.\n\tBank transfer too."  # tab and newline kept
    assert article.questions == ("how can I pay?",)
    assert article.agent_notes == "ask for the order"


def test_raw_control_characters_in_a_yaml_file_are_removed_not_refused(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", "- id: pay\n  title: How to\x00 pay\n  answer: With\x1b a card.\n")
    article = load_knowledge_base(tmp_path).get("pay")
    assert article is not None
    assert (article.title, article.answer) == ("How to pay", "With a card.")


def test_a_problem_after_a_control_character_keeps_its_line(tmp_path: Path) -> None:
    file = write(tmp_path, "kb.yaml", "- id: pay\n  title: T\x00\n  answer: A\n  colour: red\n")
    _, problems = check_knowledge_base(tmp_path)
    assert [str(p) for p in problems] == [
        f"{file}:4: unknown field 'colour' (allowed: id, title, answer, questions, locale, "
        "stages, tags, audience, agent_notes)"
    ]


def test_control_characters_in_a_markdown_article_are_removed(tmp_path: Path) -> None:
    write(
        tmp_path,
        "returns.md",
        "---\nid: returns\n---\n# How do\x00 returns work?\n\n"
        "Send it\x1b back\x07 within 30 days.\n",
    )
    article = load_knowledge_base(tmp_path).get("returns")
    assert article is not None
    assert article.title == "How do returns work?"
    assert article.answer == "Send it back within 30 days."


@given(st.text(st.characters(exclude_categories=("Nd",)), max_size=200))
def test_knowledge_base_and_customer_text_lose_the_same_characters(text: str) -> None:
    cleaned = without_controls(text)
    assert without_controls(cleaned) == cleaned
    assert clean_incoming(text) == cleaned.strip()  # no digits, so nothing to redact
