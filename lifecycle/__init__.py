"""Lifecycle stages, stage tagging, stuck detection and summaries over plain records."""

from lifecycle.rules import EscalationRules, load_rules
from lifecycle.stages import Stage, StageModel, StageModelError, load_stage_model
from lifecycle.stuck import Assessment, StuckDetector, Turn
from lifecycle.tagging import StageDecision, StageTagger

__all__ = [
    "Assessment",
    "EscalationRules",
    "Stage",
    "StageDecision",
    "StageModel",
    "StageModelError",
    "StageTagger",
    "StuckDetector",
    "Turn",
    "load_rules",
    "load_stage_model",
]
