"""The `supportbot` command as a user runs it: a real process, a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import build_parser
from tests.cli_runner import run


def test_help_lists_the_commands_and_each_has_help(tmp_path: Path) -> None:
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    for command in ("chat", "ask", "db"):
        assert command in result.stdout
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    for name in commands:
        assert run([name, "--help"], tmp_path).returncode == 0, name


def test_piped_chat_answers_tags_the_stage_and_remembers_the_customer(tmp_path: Path) -> None:
    script = "how can I pay?\n/not-helpful\nis paypal ok at checkout?\n"
    first = run(["chat"], tmp_path, stdin=script)
    assert first.returncode == 0, first.stderr
    assert "Which payment methods can I use?" in first.stdout
    assert "you> how can I pay?" in first.stdout
    shown = first.stdout.rsplit("[stage: ", 1)[1].split(" ")[0]

    database = sqlite3.connect(tmp_path / "supportbot.db")
    customers = database.execute("select user_id, stage from customers").fetchall()
    assert customers == [("terminal", shown.lower())]
    count = database.execute("select count(*) from messages where role='customer'").fetchone()[0]
    assert count == 2
    database.close()

    second = run(["chat"], tmp_path, stdin="/quit\n")
    assert f"Welcome back. Stage: {shown};" in second.stdout


def test_ask_prints_one_answer(tmp_path: Path) -> None:
    result = run(["ask", "how", "can", "I", "pay?"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "payment-methods" in result.stdout


@pytest.mark.parametrize(("setting", "value"), [("DATABASE_URL", "nonsense"), ("KB_PATH", "/nope")])
def test_a_wrong_setting_stops_with_one_line_naming_it(
    tmp_path: Path, setting: str, value: str
) -> None:
    result = run(["ask", "hi"], tmp_path, **{setting: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    result = run(["ask", "hi"], tmp_path,
                 DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("supportbot: DATABASE_URL: cannot use the database")


def test_an_invalid_knowledge_base_stops_start_up_with_located_problems(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "bad.yaml").write_text("- id: x\n  answer: a\n", encoding="utf-8")
    result = run(["ask", "hi"], tmp_path, KB_PATH=str(kb))
    assert result.returncode == 1
    assert f"{kb / 'bad.yaml'}:1: missing required field 'title'" in result.stderr


def test_db_upgrade_reports_what_it_did(tmp_path: Path) -> None:
    first = run(["db", "upgrade"], tmp_path)
    assert "upgraded from empty" in first.stdout, first.stderr
    second = run(["db", "upgrade"], tmp_path)
    assert "already at the latest schema" in second.stdout


def test_an_invalid_stage_model_stops_with_located_problems(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(
        "default_stage: a\npurchase_stage: a\nstages:\n  - id: a\n    escalation: {threshold: x}\n",
        encoding="utf-8",
    )
    result = run(["ask", "hi"], tmp_path, STAGE_MODEL=str(model))
    assert result.returncode == 1
    assert f"{model}:5: threshold must be a number" in result.stderr
    presets = Path(__file__).resolve().parents[2] / "lifecycle" / "models"
    for preset in ("five-stage.yaml", "exploration.yaml"):
        ok = run(["ask", "how can I pay?"], tmp_path, STAGE_MODEL=str(presets / preset))
        assert ok.returncode == 0, ok.stderr
