"""Replay conversations through the desk with simulated time (bot/bootstrap.py gives it a
throwaway database).

Companies tune stage phrases and escalation thresholds on their own transcripts with this: the
same service as production runs, only the clock comes from the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.service.actors import Actor
from bot.service.desk import Desk
from bot.service.outcomes import CustomerRef, Reply
from bot.service.vocabulary import Decision
from knowledge_base.loader import LOCALE_PATTERN
from lifecycle import StageModel

REPLAY_TEAM = "replay"
TALK_TO_HUMAN = "talk_to_human"
ACTIONS = (Decision.HELPFUL, Decision.NOT_HELPFUL, TALK_TO_HUMAN)
REPLAYER = Actor.system("replay")
# Slack message times are seconds since the Unix epoch, and the desk looks back from each time
# (idle and conversation windows): nothing earlier is a real transcript.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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


def read_scripts(
    path: Path, model: StageModel, *, horizon: timedelta = timedelta(0)
) -> list[Script]:
    """Parse and check every line first, so a bad file runs nothing and reports everything."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReplayInputError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    return parse_scripts(data, str(path), model, horizon=horizon)


def parse_scripts(
    data: bytes, source: str, model: StageModel, *, horizon: timedelta = timedelta(0)
) -> list[Script]:
    """The scripts in JSON Lines `data`, or every problem as `SOURCE:LINE: message`."""
    try:
        text = data.decode("utf-8-sig")  # a byte order mark is how some editors save UTF-8
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReplayInputError(
            [f"{source}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8"]
        ) from None
    scripts: list[Script] = []
    problems: list[str] = []
    seen: set[str] = set()
    # Lines end at "\n" only: str.splitlines() would also cut at U+2028 or U+0085, which JSON
    # allows inside strings, and then report the wrong line numbers.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            script = parse_line(line, model, horizon)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if script.id in seen:
            problems.append(f"{where}: duplicate conversation id {script.id!r}")
        seen.add(script.id)
        scripts.append(script)
    if problems:
        raise ReplayInputError(problems)
    if not scripts:
        raise ReplayInputError(
            [f"{source}: no conversations: the file is empty or has only blank lines"]
        )
    return scripts


def parse_line(line: str, model: StageModel, horizon: timedelta = timedelta(0)) -> Script:
    """One conversation from one JSON line; ValueError says what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    script = _script(data, model)
    try:
        script.steps[-1].at + horizon  # noqa: B018 - the final timer run must be a real time
    except OverflowError:
        raise ValueError(
            f"the last message plus the horizon ({horizon}) is past the end of the calendar "
            "(year 9999)"
        ) from None
    return script


def _script(data: object, model: StageModel) -> Script:
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    for key in ("id", "customer", "messages"):
        if key not in data:
            raise ValueError(f"missing {key!r}")
    conversation, customer = _name(data, "id"), _name(data, "customer")
    locale, stage = data.get("locale"), data.get("stage")
    if locale is not None and not (isinstance(locale, str) and LOCALE_PATTERN.fullmatch(locale)):
        raise ValueError("'locale' must be a language code such as en or it")
    if stage is not None and not isinstance(stage, str):
        raise ValueError("'stage' must be a string naming a stage")
    if stage is not None and stage not in model:
        raise ValueError(f"unknown stage {stage!r}; the stages are: {', '.join(model.ids)}")
    messages = data["messages"]
    if not isinstance(messages, list) or not messages:
        raise ValueError("'messages' must be a non-empty list")
    steps: list[Step] = []
    for index, message in enumerate(messages):
        try:
            step = _step(message)
        except ValueError as exc:
            raise ValueError(f"message {index}: {exc}") from None
        if steps and step.at < steps[-1].at:
            raise ValueError(f"message {index}: time goes backwards")
        steps.append(step)
    return Script(conversation, customer, locale, stage, tuple(steps))


def _name(data: dict, key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip() or _CONTROL.search(value):
        raise ValueError(f"{key!r} must be a non-empty string without control characters")
    _check_unicode(value, key)
    return value


def _step(message: object) -> Step:
    if not isinstance(message, dict) or "at" not in message:
        raise ValueError("needs 'at' and 'text' or 'action'")
    at = _time(message["at"])
    text, action = message.get("text"), message.get("action")
    if (text is None) == (action is None):
        raise ValueError("give exactly one of 'text' or 'action'")
    if text is not None:
        if not isinstance(text, str):
            raise ValueError("'text' must be a string")
        if not text.strip():
            raise ValueError("'text' is empty")
        _check_unicode(text, "text")
    if action is not None and (not isinstance(action, str) or action not in ACTIONS):
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    return Step(at, text, action)


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("'at' must be an ISO 8601 time as a string")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("'at' is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise ValueError("'at' needs a time zone, e.g. 2026-01-05T10:00Z")
    try:
        # The store keeps UTC: a time that only fits the calendar in its own zone cannot be kept.
        at = at.astimezone(UTC)
    except OverflowError:
        raise ValueError("'at' is out of range once converted to UTC") from None
    if at < EARLIEST:
        raise ValueError("'at' is before 1970-01-01: Slack times count from then")
    return at


def _check_unicode(value: str, key: str) -> None:
    # json.loads turns "\\ud800" into a lone surrogate, which no database can store.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{key!r} is not valid Unicode (a lone surrogate)") from None


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

    # Nothing of this conversation falls due sooner than the idle check after its last step,
    # so the timers need running only across gaps at least that long.
    idle = desk.conversations.idle
    for index, step in enumerate(script.steps):
        if index > 0 and step.at - script.steps[index - 1].at >= idle:
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
        if reply is not None:
            stages.append(reply.stage)
        else:  # feedback with nothing to rate: the stage did not move
            history = desk.history(who)
            stages.append(history.stage if history else "")
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
