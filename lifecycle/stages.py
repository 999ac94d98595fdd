"""The stage model: ordered lifecycle stages, their names, evidence and escalation thresholds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge_base.yaml_lines import KbProblem, KnowledgeBaseError, LineMap, load_yaml_file

ESCALATE = "escalate"
OFFER = "offer"
STAGE_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
MODEL_FIELDS = ("id", "name", "default_stage", "purchase_stage", "leaving_stage", "stages")
STAGE_FIELDS = ("id", "names", "description", "also", "phrases", "examples", "escalation")


class StageModelError(KnowledgeBaseError):
    """The stage model file has problems; each names its FILE:LINE."""


@dataclass(frozen=True)
class EscalationRule:
    """When a conversation in this stage has scored `threshold`, do `action`."""

    threshold: float
    action: str = ESCALATE


@dataclass(frozen=True)
class Stage:
    """One lifecycle stage with the words that point to it."""

    id: str
    names: dict[str, str]
    description: str = ""
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    escalation: EscalationRule | None = None
    # Other stage ids that mean this stage here, so articles tagged for the seven-stage model
    # keep working with a five-stage one ("retention" is also "support" and "dissolution").
    also: tuple[str, ...] = ()

    def name(self, locale: str = "en") -> str:
        """Display name in `locale`, falling back to English, then the id."""
        return self.names.get(locale) or self.names.get("en") or self.id


@dataclass(frozen=True)
class StageModel:
    """Stages in lifecycle order, the stage new customers start in, and the buying stage."""

    id: str
    name: str
    stages: tuple[Stage, ...]
    default_stage: str
    purchase_stage: str
    leaving_stage: str | None = None  # where customers who are leaving are tagged, if any

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {s.id: i for i, s in enumerate(self.stages)})
        aliases = {alias: s.id for s in self.stages for alias in s.also}
        aliases.update({s.id: s.id for s in self.stages})
        object.__setattr__(self, "_aliases", aliases)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    @property
    def known_ids(self) -> tuple[str, ...]:
        """Stage ids articles may name: the model's own and the ones its stages stand for."""
        return tuple(self._aliases)  # type: ignore[attr-defined]

    def resolve(self, stage_id: str) -> str | None:
        """The model's stage for an id an article names (its own, or one it stands for)."""
        return self._aliases.get(stage_id)  # type: ignore[attr-defined]

    def __contains__(self, stage_id: object) -> bool:
        return stage_id in self._index  # type: ignore[attr-defined]

    def stage(self, stage_id: str) -> Stage:
        return self.stages[self._index[stage_id]]  # type: ignore[attr-defined]

    def position(self, stage_id: str) -> int:
        """Where the stage sits in the lifecycle (0 = first)."""
        return self._index[stage_id]  # type: ignore[attr-defined]

    def is_after_purchase(self, stage_id: str) -> bool:
        """True for stages a customer reaches only by buying (support, bonding, ...)."""
        return self.position(stage_id) > self.position(self.purchase_stage)


def load_stage_model(path: Path) -> StageModel:
    """Read a stage model file; raise StageModelError listing every problem with its line."""
    problems: list[KbProblem] = []
    data = load_yaml_file(path, problems)
    if problems:
        raise StageModelError(problems)
    file = str(path)
    if not isinstance(data, LineMap):
        raise StageModelError([KbProblem(file, 1, "expected a mapping with 'stages:'")])

    problem = _Reporter(file, problems)

    for key in data:
        if key not in MODEL_FIELDS:
            problem(data, key, f"unknown field {key!r} (allowed: {', '.join(MODEL_FIELDS)})")
    raw_stages = data.get("stages")
    stages: list[Stage] = []
    if not isinstance(raw_stages, list) or not raw_stages:
        problem(data, "stages", "'stages' must be a non-empty list of stages")
        raw_stages = []
    seen: list[str] = []
    for raw in raw_stages:
        if not isinstance(raw, LineMap):
            problem(data, "stages", f"each stage must be a mapping, got {raw!r}")
            continue
        stage_id = raw.get("id")
        if isinstance(stage_id, str) and stage_id in seen:
            problem(raw, "id", f"duplicate stage id {stage_id!r}")
        stage = _stage(raw, problem)
        if isinstance(stage_id, str) and STAGE_ID.match(stage_id) and stage_id not in seen:
            seen.append(stage_id)  # known even if the stage has other problems
        if stage is not None:
            stages.append(stage)
    for key in ("default_stage", "purchase_stage", "leaving_stage"):
        value = data.get(key)
        if value is None and key == "leaving_stage":
            continue
        if value is None:
            problem(data, None, f"missing required field {key!r}")
        elif value not in seen and seen:
            problem(data, key, f"{key} {value!r} is not one of the stages: {', '.join(seen)}")
    if problems:
        raise StageModelError(sorted(problems))
    return StageModel(
        id=str(data.get("id") or path.stem),
        name=str(data.get("name") or path.stem),
        stages=tuple(stages),
        default_stage=str(data["default_stage"]),
        purchase_stage=str(data["purchase_stage"]),
        # Without a say-so, a stage called "dissolution" is where leaving customers are.
        leaving_stage=data.get("leaving_stage")
        or ("dissolution" if "dissolution" in seen else None),
    )


class _Reporter:
    """Adds problems located at a mapping's key (or the mapping itself) to one list."""

    def __init__(self, file: str, problems: list[KbProblem]) -> None:
        self.file, self.problems = file, problems

    def __call__(self, where: LineMap, key: str | None, message: str) -> None:
        line = where.key_lines.get(key, where.line) if key else where.line
        self.problems.append(KbProblem(self.file, line, message))


def _stage(raw: LineMap, problem: _Reporter) -> Stage | None:
    before = len(problem.problems)
    for key in raw:
        if key not in STAGE_FIELDS:
            problem(raw, key, f"unknown stage field {key!r} (allowed: {', '.join(STAGE_FIELDS)})")
    stage_id = raw.get("id")
    if not isinstance(stage_id, str) or not STAGE_ID.match(stage_id):
        problem(
            raw, "id", f"stage id must be lowercase letters, digits, '-' or '_', got {stage_id!r}"
        )
        return None
    names = raw.get("names") or {}
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        problem(raw, "names", "'names' must map language codes to display names")
        names = {}
    also = raw.get("also") or []
    if not isinstance(also, list) or not all(
        isinstance(a, str) and STAGE_ID.match(a) for a in also
    ):
        problem(raw, "also", "'also' must be a list of stage ids")
        also = []
    phrases = _per_language(raw, "phrases", problem)
    examples = _per_language(raw, "examples", problem)
    rule = None
    escalation = raw.get("escalation")
    if escalation is not None:
        if not isinstance(escalation, LineMap):
            problem(raw, "escalation", "'escalation' must be a mapping with threshold and action")
        else:
            threshold = escalation.get("threshold")
            action = escalation.get("action", ESCALATE)
            if not isinstance(threshold, int | float) or isinstance(threshold, bool):
                problem(escalation, "threshold", f"threshold must be a number, got {threshold!r}")
            elif threshold <= 0:
                problem(escalation, "threshold", "threshold must be greater than 0")
            if action not in (ESCALATE, OFFER):
                problem(escalation, "action", f"action must be {ESCALATE!r} or {OFFER!r}")
            if isinstance(threshold, int | float) and threshold > 0 and action in (ESCALATE, OFFER):
                rule = EscalationRule(float(threshold), action)
    if len(problem.problems) != before:
        return None
    return Stage(
        id=stage_id,
        names={str(k): v for k, v in names.items()},
        description=str(raw.get("description") or ""),
        phrases=phrases,
        examples=examples,
        escalation=rule,
        also=tuple(also),
    )


def _per_language(raw: LineMap, key: str, problem: _Reporter) -> dict[str, tuple[str, ...]]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(items, list) and all(isinstance(i, str) for i in items)
        for items in value.values()
    ):
        problem(raw, key, f"{key!r} must map language codes to lists of texts")
        return {}
    return {
        str(lang): tuple(i.strip() for i in items if i.strip()) for lang, items in value.items()
    }
