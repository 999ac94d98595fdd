"""Hostile or unlucky input to `supportbot`: one clear line and a non-zero exit, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.cli_runner import run

GOOD = {"id": "c1", "customer": "U1", "messages": [{"at": "2026-01-05T10:00Z", "text": "hi"}]}


def conversation(**fields: object) -> str:
    """A replay line: the good conversation with `fields` replaced."""
    return json.dumps(GOOD | fields)


def said(text: object, at: str = "2026-01-05T10:00Z") -> list[dict]:
    return [{"at": at, "text": text}]


def assert_refused(result: subprocess.CompletedProcess, code: int, *expected: str) -> None:
    """Exit `code`, each `expected` text on stderr, and no Python traceback anywhere."""
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    for text in expected:
        assert text in result.stderr


def run_bytes(args: list[str], cwd: Path, stdin: bytes) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` fed raw bytes, for input no text encoding can produce."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    done = subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=environ, timeout=120)  # fmt: skip
    return subprocess.CompletedProcess(done.args, done.returncode,
                                       done.stdout.decode(errors="replace"),
                                       done.stderr.decode(errors="replace"))  # fmt: skip


def test_replay_reports_every_hostile_line_and_runs_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = [
        conversation(messages=said(42)),
        conversation(id="c2", messages=said(["a", "list"])),
        conversation(id="c3", messages=said({"an": "object"})),
        conversation(id="c4", messages=said(None)),
        conversation(id="c5", customer=17),
        conversation(id=""),
        conversation(id="c7", locale=5),
        conversation(id="c8", stage=["purchase"]),
        conversation(id="c9", messages=said("\ud800")),
    ]
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(["replay", str(bad)], tmp_path)
    assert_refused(
        result, 1,
        f"{bad}:1: message 0: 'text' must be a string",
        f"{bad}:2: message 0: 'text' must be a string",
        f"{bad}:3: message 0: 'text' must be a string",
        f"{bad}:4: message 0: give exactly one of 'text' or 'action'",
        f"{bad}:5: 'customer' must be a non-empty string",
        f"{bad}:6: 'id' must be a non-empty string",
        f"{bad}:7: 'locale' must be a language code",
        f"{bad}:8: 'stage' must be a string",
        f"{bad}:9: message 0: 'text' is not valid Unicode",
    )  # fmt: skip
    assert len(result.stderr.splitlines()) == len(lines)
    assert result.stdout == ""


def test_replay_refuses_a_last_message_the_horizon_pushes_past_year_9999(tmp_path: Path) -> None:
    late = tmp_path / "late.jsonl"
    late.write_text(conversation(messages=said("hi", at="9999-12-31T23:59Z")), encoding="utf-8")
    assert_refused(run(["replay", str(late)], tmp_path), 1,
                   f"{late}:1: the last message plus the horizon (0:30:00) is past")  # fmt: skip
    assert run(["replay", str(late), "--horizon", "0m"], tmp_path).returncode == 0


def test_replay_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(conversation().replace("hi", "caf\xe9").encode("latin-1"))
    assert_refused(run(["replay", str(latin)], tmp_path), 1, f"{latin}:1: not UTF-8 text")


def test_replay_refuses_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts.jsonl"
    folder.mkdir()
    assert_refused(run(["replay", str(folder)], tmp_path), 2, f"{folder} is a folder")


def test_replay_says_an_empty_file_has_no_conversations(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    assert_refused(run(["replay", str(empty)], tmp_path), 1, f"{empty}: no conversations")


def test_replay_reports_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process: a chmod does not stop root, who runs CI containers.
    transcript = tmp_path / "r.jsonl"
    transcript.write_text(conversation(), encoding="utf-8")

    opener = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == transcript:
            raise PermissionError(13, "Permission denied", str(self))
        return opener(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert main(["replay", str(transcript)]) == 1
    assert capsys.readouterr().err == f"{transcript}: cannot read: Permission denied\n"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["purge", "--older-than", "999999d"], "--older-than"),
        (["stats", "--since", "99999999d"], "--since"),
    ],
)
def test_a_period_too_long_is_a_usage_error_naming_the_option(
    tmp_path: Path, args: list[str], option: str
) -> None:
    assert_refused(run(args, tmp_path), 2, f"argument {option}: ", "is too long")


@pytest.mark.parametrize(
    ("args", "option"),
    [(["purge", "--older-than", "0d"], "--older-than"), (["stats", "--since", "0s"], "--since"),
     (["replay", "x.jsonl", "--horizon", "nand"], "--horizon")],
)  # fmt: skip
def test_a_zero_or_malformed_period_is_a_usage_error(
    tmp_path: Path, args: list[str], option: str
) -> None:
    assert_refused(run(args, tmp_path), 2, f"argument {option}: ")


def test_the_longest_period_works(tmp_path: Path) -> None:
    result = run(["stats", "--since", "365000d"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert run(["purge", "--older-than", "365000d"], tmp_path).returncode == 0


@pytest.mark.parametrize(
    "args",
    [["ask", "caf\udcff"], ["ask", "--user", "\udcff", "hi"], ["ask", "--lang", "e\udcff", "hi"],
     ["kb", "search", "caf\udcff"], ["forget", "U\udcff"]],
)  # fmt: skip
def test_arguments_that_are_not_utf8_are_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    # The operating system hands undecodable bytes over as lone surrogates.
    assert_refused(run(args, tmp_path), 2, "is not UTF-8 text")


@pytest.mark.parametrize("args", [["chat"], ["kb", "search"]])
def test_standard_input_that_is_not_utf8_names_the_line(tmp_path: Path, args: list[str]) -> None:
    assert_refused(run_bytes(args, tmp_path, b"how can I pay?\ncaf\xe9\n"), 1,
                   "line 2 of standard input is not UTF-8 text")  # fmt: skip


def test_a_chat_line_with_a_nul_byte_does_not_crash_the_terminal_chat(tmp_path: Path) -> None:
    result = run_bytes(["chat"], tmp_path, b"how can\x00 I pay?\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_kb_import_reports_an_output_it_cannot_write(tmp_path: Path) -> None:
    source = tmp_path / "faq.csv"
    source.write_text("question,answer\nhow can I pay?,By card.\n", encoding="utf-8")
    folder = tmp_path / "out.yaml"
    folder.mkdir()
    assert_refused(run(["kb", "import", str(source), "--out", str(folder), "--force"], tmp_path),
                   2, f"{folder} is a folder")  # fmt: skip
    under_a_file = tmp_path / "faq.csv" / "out.yaml"
    assert_refused(run(["kb", "import", str(source), "--out", str(under_a_file)], tmp_path),
                   1, f"cannot write {under_a_file}")  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["kb", "validate", "missing"], 2, "missing does not exist"),
        (["kb", "search", "--kb", "missing", "hi"], 1, "missing:0: no article files"),
        (["kb", "search", "--kb", "faq.txt", "hi"], 1, "1 problem(s); nothing was started"),
        (["forget", ""], 2, "forget: '' is not a user id"),
        (["forget", "U1\x01"], 2, "is not a user id"),
        (["ask", " "], 2, "ask: give a question"),
    ],
)
def test_other_hostile_arguments_are_answered_in_one_line(
    tmp_path: Path, args: list[str], code: int, expected: str
) -> None:
    (tmp_path / "faq.txt").write_text("not an article\n", encoding="utf-8")
    assert_refused(run(args, tmp_path), code, expected)


def test_a_database_url_naming_a_file_that_is_no_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("these are my notes, not a database\n" * 100, "utf-8")
    result = run(["stats"], tmp_path, DATABASE_URL="sqlite:///notes.txt")
    assert_refused(result, 1, "DATABASE_URL: cannot use the database: file is not a database")
    assert len(result.stderr.strip().splitlines()) == 1
