"""`supportbot kb validate|import|search` as a company uses them on its own knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_runner import run


def test_validate_passes_the_bundled_knowledge_base(tmp_path: Path) -> None:
    result = run(["kb", "validate"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: ")
    assert "en " in result.stdout and "purchase " in result.stdout


def test_validate_prints_one_located_line_per_problem(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "syntax.yaml").write_text("- id: a\n  title: [oops\n", encoding="utf-8")
    (kb / "fields.yaml").write_text(
        "- id: Bad\n  title: t\n  answer: x\n- id: b\n  title: t\n  answer: x\n  stages: [moon]\n"
        "  colour: red\n- id: c\n  answer: x\n",
        encoding="utf-8",
    )
    (kb / "dupe.md").write_text("---\nid: c\n---\n# C again\nBody.\n", encoding="utf-8")
    (kb / "first-c.yaml").write_text("- id: c\n  title: C\n  answer: x\n", encoding="utf-8")
    result = run(["kb", "validate", str(kb)], tmp_path)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith(f"{kb / 'syntax.yaml'}:") and "YAML syntax" in line
               for line in lines)  # fmt: skip
    fields = kb / "fields.yaml"
    assert f"{fields}:1: bad id 'Bad': use lowercase letters, digits and hyphens" in lines
    assert any(line.startswith(f"{fields}:7: unknown stage 'moon'") for line in lines)
    assert any(line.startswith(f"{fields}:8: unknown field 'colour'") for line in lines)
    assert f"{fields}:9: missing required field 'title'" in lines
    assert any(line.startswith(f"{kb / 'first-c.yaml'}:1: duplicate id 'c'") for line in lines)
    assert len(lines) == 6


def test_import_writes_valid_articles_that_search_finds(tmp_path: Path) -> None:
    source = tmp_path / "faq.csv"
    source.write_text(
        "question,answer,questions,stages,tags\n"
        'Do you deliver on Sundays?,"No, deliveries run Monday to Saturday.",'
        "sunday delivery|weekend shipping,evaluation,shipping\n"
        "Can I pay with crypto?,We do not accept cryptocurrencies.,,purchase,payment\n",
        encoding="utf-8",
    )
    result = run(["kb", "import", str(source), "--out", str(tmp_path / "kb" / "faq.yaml")],
                 tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert run(["kb", "validate", str(tmp_path / "kb")], tmp_path).returncode == 0
    found = run(["kb", "search", "--json", "--kb", str(tmp_path / "kb"),
                 "do you deliver on sunday"], tmp_path)  # fmt: skip
    assert json.loads(found.stdout)["hits"][0]["id"] == "do-you-deliver-on-sundays"


def test_import_reports_bad_rows_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "faq.csv"
    source.write_text(
        "question,answer,stages\nGood question?,Good answer.,purchase\n"
        ",No question.,\nWhere?,Here.,moon\n",
        encoding="utf-8",
    )
    out = tmp_path / "faq.yaml"
    result = run(["kb", "import", str(source)], tmp_path)
    assert result.returncode == 1
    assert f"{source}:3: missing question/title" in result.stdout
    assert f"{source}:4: unknown stage 'moon'" in result.stdout
    assert not out.exists()


def test_search_json_gives_one_object_per_query_from_stdin(tmp_path: Path) -> None:
    queries = "how do i pay with paypal\nwhat's the weather in Rome tomorrow\n"
    result = run(["kb", "search", "--json"], tmp_path, stdin=queries)
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["decision"] == "answer" and first["hits"][0]["id"] == "payment-methods"
    assert set(first) == {"query", "language", "decision", "hits"}
    assert set(first["hits"][0]) == {"id", "locale", "title", "score"}
    assert second["decision"] == "none"


def test_agent_search_shows_internal_articles_and_notes(tmp_path: Path) -> None:
    query = ["chargeback"]
    customer = run(["kb", "search", *query], tmp_path)
    agent = run(["kb", "search", "--audience", "agent", *query], tmp_path)
    assert "chargeback-handling" not in customer.stdout
    assert "chargeback-handling" in agent.stdout
    assert "agent notes:" in agent.stdout


CALIBRATION = [
    {"query": "how can I pay for my order", "expected_id": "payment-methods"},
    {"query": "can I pay in instalments with klarna", "expected_id": "klarna-instalments"},
    {"query": "how long does shipping take", "expected_id": "shipping-times"},
    {"query": "come posso pagare", "expected_id": "payment-methods"},
    {"query": "wie lange dauert der Versand", "expected_id": "shipping-times"},
    {"query": "do you sell tea bags", "expected_id": None},
    {"query": "what is the weather in Amsterdam", "expected_id": None},
]


def test_calibrate_prints_the_sweep_and_the_thresholds_for_env(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in CALIBRATION) + "\n", encoding="utf-8")
    for model in ("off", "e5"):
        result = run(["kb", "calibrate", str(questions), "--precision", "0.9"], tmp_path,
                     SEMANTIC_MODEL=model)  # fmt: skip
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].startswith("7 questions (5 answerable, 2 out of scope)")
        assert ("words only" in lines[0]) == (model == "off")
        assert "coverage" in lines[2] and "precision" in lines[2]
        settings = dict(line.split("=") for line in lines if line.startswith("KB_"))
        assert set(settings) == {"KB_ANSWER_SCORE", "KB_ANSWER_MARGIN", "KB_SUGGEST_SCORE"}
        assert all(0 <= float(value) <= 1 for value in settings.values())
        # The printed thresholds, set as the app reads them, give what the sweep said.
        again = run(["kb", "calibrate", str(questions), "--precision", "0.9"], tmp_path,
                    SEMANTIC_MODEL=model, **settings)  # fmt: skip
        chosen = [line for line in again.stdout.splitlines() if line.startswith("current")]
        assert f"answer >= {float(settings['KB_ANSWER_SCORE']):.2f}" in chosen[0]


def test_calibrate_names_the_line_of_a_bad_question(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"query": "how can I pay", "expected_id": "payment-methods"}\n'
                         '{"query": "hello"}\n', encoding="utf-8")  # fmt: skip
    result = run(["kb", "calibrate", str(questions)], tmp_path)
    assert result.returncode == 1
    assert f"{questions}:2: expected_id must be an article id, or null" in result.stderr
    questions.write_text('{"query": "x", "expected_id": "no-such-article"}\n', encoding="utf-8")
    result = run(["kb", "calibrate", str(questions)], tmp_path)
    assert result.returncode == 1 and "no article has the id 'no-such-article'" in result.stderr
    assert run(["kb", "calibrate", str(tmp_path / "missing.jsonl")], tmp_path).returncode == 2
    bad = run(["kb", "calibrate", str(questions), "--precision", "2"], tmp_path)
    assert bad.returncode == 2 and "expected a share above 0" in bad.stderr
