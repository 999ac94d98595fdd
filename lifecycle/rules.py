"""Escalation rules: the stuck signals, their weights, and the phrases that reveal them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from knowledge_base.yaml_lines import KbProblem, KnowledgeBaseError, LineMap, load_yaml_file

# Stable signal ids: stored with escalations, shown in replay output, named in YAML.
REPEATED_QUESTION = "repeated_question"
NO_ANSWER = "no_answer"
NOT_HELPFUL = "not_helpful"
FRUSTRATION = "frustration"
ASKED_FOR_HUMAN = "asked_for_human"
IDLE_AFTER_QUESTION = "idle_after_question"
PAYMENT_FAILURE = "payment_failure"
SIGNALS = (
    REPEATED_QUESTION,
    NO_ANSWER,
    NOT_HELPFUL,
    FRUSTRATION,
    ASKED_FOR_HUMAN,
    IDLE_AFTER_QUESTION,
    PAYMENT_FAILURE,
)
SIGNAL_FIELDS = ("weight", "phrases", "examples", "minutes")
RULES_FIELDS = ("signals", "closings", "buying", "about_to_buy", "decided")


class RulesError(KnowledgeBaseError):
    """The escalation rules file has problems; each names its FILE:LINE."""


@dataclass(frozen=True)
class SignalRule:
    """How much one signal counts towards escalation, and the phrases that reveal it."""

    weight: float
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Whole messages that show the signal, for the meaning model (lifecycle/meaning.py).
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    minutes: float | None = None


@dataclass(frozen=True)
class EscalationRules:
    """All signal rules by id, and examples of messages that close a need."""

    signals: dict[str, SignalRule]
    # "found it, thanks", "alles klar": the customer's need is met, earlier trouble is over.
    closings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # "cart", "checkout", "invoice": the customer is buying now, whatever the stage tag says.
    buying: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # "if I order", "se compro", "wenn ich ... bestelle": a plan to buy, never a past order, so
    # it says "buyer" even of a customer who has bought before or was just tagged support.
    about_to_buy: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # "ok, ordering now", "dann nehm ich sie", "to biorę": a closing that is a decision to buy.
    decided: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def weight(self, signal: str) -> float:
        rule = self.signals.get(signal)
        return rule.weight if rule else 0.0

    @property
    def idle_minutes(self) -> float:
        rule = self.signals.get(IDLE_AFTER_QUESTION)
        return rule.minutes if rule and rule.minutes else 5.0


def load_rules(path: Path) -> EscalationRules:
    """Read the escalation rules; raise RulesError listing every problem with its line."""
    problems: list[KbProblem] = []
    data = load_yaml_file(path, problems)
    file = str(path)
    if problems:
        raise RulesError(problems)
    if not isinstance(data, LineMap) or not isinstance(data.get("signals"), LineMap):
        raise RulesError([KbProblem(file, 1, "expected a mapping with 'signals:'")])
    for key in data:
        if key not in RULES_FIELDS:
            problems.append(
                KbProblem(
                    file,
                    data.key_lines.get(key, data.line),
                    f"unknown field {key!r} (allowed: {', '.join(RULES_FIELDS)})",
                )
            )
    closings = _texts(data, "closings", file, problems)
    buying = _texts(data, "buying", file, problems)
    about_to_buy = _texts(data, "about_to_buy", file, problems)
    decided = _texts(data, "decided", file, problems)
    signals_map: LineMap = data["signals"]
    signals: dict[str, SignalRule] = {}
    for name, raw in signals_map.items():
        line = signals_map.key_lines.get(name, signals_map.line)
        if name not in SIGNALS:
            problems.append(
                KbProblem(file, line, f"unknown signal {name!r} (known: {', '.join(SIGNALS)})")
            )
            continue
        if not isinstance(raw, LineMap):
            problems.append(KbProblem(file, line, f"signal {name!r} must be a mapping"))
            continue
        for key in raw:
            if key not in SIGNAL_FIELDS:
                problems.append(
                    KbProblem(file, raw.key_lines[key], f"unknown field {key!r} in {name!r}")
                )
        weight = raw.get("weight")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            problems.append(
                KbProblem(
                    file, raw.key_lines.get("weight", raw.line), "weight must be a number >= 0"
                )
            )
            continue
        before = len(problems)
        phrases = _texts(raw, "phrases", file, problems)
        examples = _texts(raw, "examples", file, problems)
        if len(problems) != before:
            continue
        minutes = raw.get("minutes")
        if minutes is not None and (not isinstance(minutes, int | float) or minutes <= 0):
            problems.append(
                KbProblem(file, raw.key_lines["minutes"], "minutes must be a number > 0")
            )
            continue
        signals[name] = SignalRule(
            weight=float(weight),
            phrases=phrases,
            examples=examples,
            minutes=float(minutes) if minutes is not None else None,
        )
    if problems:
        raise RulesError(sorted(problems))
    return EscalationRules(signals, closings, buying, about_to_buy, decided)


def _texts(
    where: LineMap, key: str, file: str, problems: list[KbProblem]
) -> dict[str, tuple[str, ...]]:
    """A mapping of language codes to lists of texts, or a problem at its line."""
    value = where.get(key) or {}
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(p, str) for p in v) for v in value.values()
    ):
        problems.append(
            KbProblem(
                file,
                where.key_lines.get(key, where.line),
                f"{key} must map language codes to lists of texts",
            )
        )
        return {}
    return {str(k): tuple(t.strip() for t in v if t.strip()) for k, v in value.items()}
