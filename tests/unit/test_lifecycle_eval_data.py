"""The held-out lifecycle conversations (benchmarks/data/lifecycle*) stay usable: every file
replays, every conversation is labelled, each language and each half covers every kind."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.config import PACKAGE_ROOT
from bot.service.replay import read_scripts
from lifecycle import load_stage_model

SETS = sorted((PACKAGE_ROOT / "benchmarks" / "data").glob("lifecycle*"))
KINDS = {"stuck_buyer", "happy_buyer", "human_request", "complaint_after_purchase", "stage_move"}


@pytest.mark.parametrize("folder", SETS, ids=lambda path: path.name)
def test_every_conversation_replays_and_is_labelled(folder: Path) -> None:
    model = load_stage_model(PACKAGE_ROOT / "lifecycle" / "models" / "default.yaml")
    files = sorted(folder.glob("*.jsonl"))
    assert files
    languages: Counter[str] = Counter()
    cover: dict[tuple[str, str], set[str]] = {}
    for file in files:
        assert len(read_scripts(file, model)) == len(file.read_text().splitlines())
        for line in file.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            label = data["label"]
            assert isinstance(label["escalate"], bool), data["id"]
            assert label["kind"] in KINDS and label["stage"] in model, data["id"]
            assert label["split"] in ("dev", "test"), data["id"]
            languages[data["locale"]] += 1
            cover.setdefault((data["locale"], label["split"]), set()).add(label["kind"])
    assert set(languages) == {"en", "it", "de", "pl"}
    assert min(languages.values()) >= 25 and sum(languages.values()) >= 120
    assert all(kinds == KINDS for kinds in cover.values()), cover
