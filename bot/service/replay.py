"""Replay conversations through the desk with simulated time (bot/bootstrap.py gives it a
throwaway database).

Companies tune stage phrases and escalation thresholds on their own transcripts with this: the
same service as production runs, only the clock comes from the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.service.actors import Actor
from bot.service.desk import Desk
from bot.service.outcomes import CustomerRef, Reply
from bot.service.vocabulary import Decision
from lifecycle import StageModel

REPLAY_TEAM = "replay"
TALK_TO_HUMAN = "talk_to_human"
ACTIONS = (Decision.HELPFUL, Decision.NOT_HELPFUL, TALK_TO_HUMAN)
REPLAYER = Actor.system("replay")


class ReplayInputError(ValueError):
    """The replay file has problems; each is `FILE:LINE: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Step:
    at: datetime
    text: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class Script:
    id: str
    customer: str
    locale: str | None
    stage: str | None
    steps: tuple[Step, ...]


def read_scripts(path: Path, model: StageModel) -> list[Script]:
    """Parse and check every line first, so a bad file runs nothing and reports everything."""
    scripts: list[Script] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            script = _script(json.loads(line), model)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if script.id in seen:
            problems.append(f"{where}: duplicate conversation id {script.id!r}")
        seen.add(script.id)
        scripts.append(script)
    if problems:
        raise ReplayInputError(problems)
    return scripts


def _script(data: object, model: StageModel) -> Script:
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    for key in ("id", "customer", "messages"):
        if key not in data:
            raise ValueError(f"missing {key!r}")
    stage = data.get("stage")
    if stage is not None and stage not in model:
        raise ValueError(f"unknown stage {stage!r}; the stages are: {', '.join(model.ids)}")
    messages = data["messages"]
    if not isinstance(messages, list) or not messages:
        raise ValueError("'messages' must be a non-empty list")
    steps: list[Step] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "at" not in message:
            raise ValueError(f"message {index}: needs 'at' and 'text' or 'action'")
        try:
            at = datetime.fromisoformat(str(message["at"]))
        except ValueError:
            raise ValueError(f"message {index}: 'at' is not an ISO 8601 time") from None
        if at.tzinfo is None:
            raise ValueError(f"message {index}: 'at' needs a time zone, e.g. 2026-01-05T10:00Z")
        if steps and at < steps[-1].at:
            raise ValueError(f"message {index}: time goes backwards")
        text, action = message.get("text"), message.get("action")
        if (text is None) == (action is None):
            raise ValueError(f"message {index}: give exactly one of 'text' or 'action'")
        if action is not None and action not in ACTIONS:
            raise ValueError(f"message {index}: action must be one of {', '.join(ACTIONS)}")
        steps.append(Step(at, text, action))
    return Script(str(data["id"]), str(data["customer"]), data.get("locale"), stage, tuple(steps))


def replay(desk: Desk, scripts: Iterable[Script], horizon: timedelta) -> Iterator[dict]:
    """Run each conversation on `desk`; yield the documented result object for each."""
    for script in scripts:
        yield _run(desk, script, horizon)


def _run(desk: Desk, script: Script, horizon: timedelta) -> dict:
    who = CustomerRef(script.customer, REPLAY_TEAM)
    channel = f"replay:{script.id}"
    if script.stage:
        desk.set_stage(who, script.stage, actor=REPLAYER, at=script.steps[0].at)
    stages: list[str] = []
    replies: list[dict] = []
    escalated_after: int | None = None
    reasons: list[str] = []

    def timers(at: datetime, index: int) -> None:
        nonlocal escalated_after, reasons
        for event in desk.run_timers(at):
            if event.channel == channel and escalated_after is None:
                escalated_after, reasons = index, list(event.escalation.signals)

    for index, step in enumerate(script.steps):
        if index > 0:
            timers(step.at, index - 1)
        reply: Reply | None
        if step.text is not None:
            reply = desk.handle_message(
                who, step.text, at=step.at, channel=channel, locale=script.locale
            )
            article = reply.article.id if reply.article else None
            replies.append({"message": index, "decision": reply.decision, "article": article})
        elif step.action == TALK_TO_HUMAN:
            reply = desk.talk_to_human(who, at=step.at, channel=channel)
        else:
            reply = desk.record_feedback(who, step.action == Decision.HELPFUL, at=step.at)
        if reply is not None and reply.escalation is not None and escalated_after is None:
            escalated_after, reasons = index, list(reply.escalation.signals)
        history = desk.history(who)
        stages.append(reply.stage if reply is not None else history.stage if history else "")
    timers(script.steps[-1].at + horizon, len(script.steps) - 1)
    return {
        "id": script.id,
        "stage": stages[-1],
        "stages": stages,
        "escalated": escalated_after is not None,
        "escalated_after": escalated_after,
        "reasons": reasons,
        "replies": replies,
    }
