"""Wire the desk from settings: knowledge base, stage model, rules and store."""

from __future__ import annotations

from bot.config import Settings
from bot.desk import Desk
from bot.store.unit_of_work import Store
from knowledge_base import KnowledgeBase, load_knowledge_base
from lifecycle import StageModel, StuckDetector, load_rules, load_stage_model


def load_domain(settings: Settings) -> tuple[KnowledgeBase, StageModel, StuckDetector]:
    """Load and validate the YAML the desk runs on; raises with FILE:LINE problems."""
    model = load_stage_model(settings.stage_model)
    rules = load_rules(settings.escalation_rules)
    kb = load_knowledge_base(settings.kb_path, model.known_ids, settings.default_locale)
    return kb, model, StuckDetector(model, rules)


def build_desk(settings: Settings, store: Store | None = None) -> Desk:
    """A desk over the configured database (opened and migrated if needed)."""
    kb, model, detector = load_domain(settings)
    store = store or Store.open(settings.database_url)
    return Desk(store, kb, model, detector, settings.default_locale)
