from pathlib import Path

import pytest

from bot.config import SAMPLE_KB
from knowledge_base import KnowledgeBaseError, load_knowledge_base
from knowledge_base.loader import check_knowledge_base

STAGES = ("awareness", "evaluation", "purchase", "support")

GOOD = """articles:
  - id: payment-methods
    title: Which payment methods can I use?
    questions:
      - how can I pay?
    stages: [purchase]
    answer: Cards, PayPal and bank transfer.
  - id: payment-methods
    locale: it
    title: Come posso pagare?
    answer: Carte, PayPal e bonifico.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(folder: Path) -> list[str]:
    _, problems = check_knowledge_base(folder, STAGES)
    return [str(p) for p in problems]


def test_the_bundled_knowledge_base_is_valid_and_large_enough() -> None:
    kb = load_knowledge_base(SAMPLE_KB)
    locales = kb.locales()
    assert locales["en"] >= 40
    for locale in ("it", "de", "pl"):
        assert locales[locale] >= 15, locale
    assert kb.get("payment-methods", "it").locale == "it"


def test_yaml_list_and_translations_load(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", GOOD)
    kb = load_knowledge_base(tmp_path, STAGES)
    assert kb.get("payment-methods", "it").title == "Come posso pagare?"
    assert kb.get("payment-methods", "pl").locale == "en"  # falls back to the default locale


def test_markdown_with_front_matter_takes_title_from_heading(tmp_path: Path) -> None:
    write(
        tmp_path,
        "faq/returns.md",
        "---\nid: returns\nstages: [support]\nquestions:\n  - can I send it back?\n---\n"
        "# How do returns work?\n\nSend it back within 30 days.\n",
    )
    kb = load_knowledge_base(tmp_path, STAGES)
    article = kb.get("returns")
    assert article.title == "How do returns work?"
    assert article.answer == "Send it back within 30 days."


def test_yaml_syntax_error_names_file_and_parser_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "articles:\n  - id: a\n    title: [unclosed\n")
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{path}:")
    assert "YAML syntax error" in problem


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("  - id: a\n    answer: x\n", 2, "missing required field 'title'"),
        ("  - id: a\n    title: ''\n    answer: x\n", 3, "'title' is empty"),
        ("  - id: Bad_Id\n    title: t\n    answer: x\n", 2, "bad id 'Bad_Id'"),
        ("  - id: a\n    title: t\n    answer: x\n    stages: [nirvana]\n", 5, "unknown stage"),
        ("  - id: a\n    title: t\n    answer: x\n    tittle: typo\n", 5, "unknown field 'tittle'"),
        ("  - id: a\n    title: t\n    answer: x\n    audience: vip\n", 5, "audience must be"),
    ],
)
def test_each_problem_is_reported_at_its_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = write(tmp_path, "kb.yaml", "articles:\n" + body)
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{path}:{line}: ")
    assert message in problem


def test_duplicate_id_in_one_locale_points_at_both(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "- id: same\n  title: One\n  answer: x\n")
    second = write(tmp_path, "b.yaml", "- id: same\n  title: Two\n  answer: y\n")
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{second}:1: duplicate id 'same' in locale 'en'")
    assert "a.yaml:1" in problem


def test_an_invalid_knowledge_base_raises_with_every_problem(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", "- id: a\n  answer: x\n- id: b\n  title: t\n")
    with pytest.raises(KnowledgeBaseError) as error:
        load_knowledge_base(tmp_path, STAGES)
    assert len(error.value.problems) == 2


def test_an_empty_folder_is_a_problem(tmp_path: Path) -> None:
    assert "no article files" in problems_of(tmp_path)[0]


def test_an_unknown_top_level_field_is_reported_on_its_own(tmp_path: Path) -> None:
    path = write(tmp_path, "kb.yaml", "version: 2\narticles:\n  - id: a\n    title: t\n"
                 "    answer: x\n")  # fmt: skip
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{path}:1: ") and "unknown top-level field 'version'" in problem
