"""`supportbot replay` on the shipped example, and `supportbot stats` after a scripted chat."""

from __future__ import annotations

import json
from pathlib import Path

from bot.config import PACKAGE_ROOT
from tests.cli_runner import run

EXAMPLE = PACKAGE_ROOT / "examples" / "replay.jsonl"


def replay(tmp_path: Path, *args: str) -> dict[str, dict]:
    result = run(["replay", str(EXAMPLE), "--json", *args], tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {row["id"]: row for row in rows}


def test_replay_prints_the_documented_fields(tmp_path: Path) -> None:
    rows = replay(tmp_path)
    for row in rows.values():
        assert set(row) == {"id", "stage", "stages", "escalated", "escalated_after", "reasons",
                            "replies"}  # fmt: skip
        for reply in row["replies"]:
            assert set(reply) == {"message", "decision", "article"}


def test_replay_escalates_stuck_buyers_and_leaves_happy_ones(tmp_path: Path) -> None:
    rows = replay(tmp_path)
    twice = rows["checkout-twice"]
    assert twice["escalated"] and twice["escalated_after"] == 2
    assert "not_helpful" in twice["reasons"]
    assert not rows["happy-buyer"]["escalated"]
    assert not rows["polish-payment"]["escalated"]
    persona = rows["persona-it"]
    assert persona["escalated"] and "asked_for_human" in persona["reasons"]
    assert persona["stages"][0] == "support"


def test_a_silent_buyer_escalates_at_the_horizon(tmp_path: Path) -> None:
    rows = replay(tmp_path)
    silent = rows["silent-buyer"]
    assert silent["escalated"] and "idle_after_question" in silent["reasons"]
    assert silent["escalated_after"] == 0
    short = replay(tmp_path, "--horizon", "1m")["silent-buyer"]
    assert not short["escalated"]


def test_a_bad_replay_file_reports_each_line_and_runs_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "customer": "U1", "messages": [{"at": "2026-01-05T10:00Z", "text": "hi"}]}\n'
        "not json\n"
        '{"id": "b", "customer": "U1", "stage": "moon", "messages": []}\n',
        encoding="utf-8",
    )
    result = run(["replay", str(bad)], tmp_path)
    assert result.returncode == 1
    assert f"{bad}:2: not valid JSON" in result.stderr
    assert f"{bad}:3: unknown stage 'moon'" in result.stderr
    assert result.stdout == ""


def test_stats_shows_the_stage_table_after_a_scripted_chat(tmp_path: Path) -> None:
    script = "how can I pay?\n/helpful\nwhat's the weather in Rome tomorrow\n/human\n"
    assert run(["chat"], tmp_path, stdin=script).returncode == 0
    result = run(["stats", "--since", "1d"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Total: 2 conversation(s), 1 escalation(s)" in result.stdout
    assert "what's the weather in Rome tomorrow" in result.stdout
    data = json.loads(run(["stats", "--since", "1d", "--json"], tmp_path).stdout)
    [busy] = [row for row in data["stages"] if row["conversations"]]
    assert busy["conversations"] == 2 and busy["customers"] == 1
    assert busy["escalations"] == 1 and busy["self_service_rate"] == 0.5
    assert busy["satisfaction"] == 1.0


def test_stats_rejects_a_bad_period(tmp_path: Path) -> None:
    result = run(["stats", "--since", "a week"], tmp_path)
    assert result.returncode == 2
    assert "--since: expected a duration such as" in result.stderr
