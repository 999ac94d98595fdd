"""The composition root: every service is built here, once, with its collaborators passed in.

Nothing else constructs a service's collaborators; the CLI, the Slack app, the replay and the
tests all get their services from `compose` (or `build_services`, which also opens the store).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from bot.config import Settings
from bot.publishing import FolderPublisher
from bot.service.conversations import Conversations
from bot.service.desk import Desk
from bot.service.drafts import Drafts
from bot.service.escalating import Escalator
from bot.service.gaps import Gaps
from bot.service.handoff import Handoff
from bot.service.knowledge import KnowledgeHolder
from bot.service.ports import Store
from bot.service.privacy import Privacy
from bot.service.reports import Reports
from bot.service.staging import StageKeeper
from bot.store.unit_of_work import Store as SqlStore
from knowledge_base import KbProblem, KnowledgeBase, Searcher, load_indexed, load_knowledge_base
from knowledge_base.embedding import load_embedder
from knowledge_base.gaps import GapFinder
from knowledge_base.language import warm_up
from knowledge_base.semantic import memo_for
from lifecycle import StageModel, StageTagger, StuckDetector, load_rules, load_stage_model
from lifecycle.meaning import build_meaning


@dataclass(frozen=True)
class Services:
    """The use cases, sharing one store and one knowledge base."""

    store: Store
    knowledge: KnowledgeHolder
    model: StageModel
    desk: Desk
    handoff: Handoff
    reports: Reports
    privacy: Privacy
    drafts: Drafts
    gaps: Gaps


def load_domain(settings: Settings) -> tuple[KnowledgeBase, StageModel, StuckDetector]:
    """Load and validate the YAML the desk runs on; raises with FILE:LINE problems."""
    model, detector = load_lifecycle(settings)
    kb = load_knowledge_base(settings.kb_path, model.known_ids, settings.default_locale)
    return kb, model, detector


def load_lifecycle(settings: Settings) -> tuple[StageModel, StuckDetector]:
    """The stage model and the stuck detector over the escalation rules, reading meaning with
    the knowledge base's sentence model unless SEMANTIC_MODEL=off (or its package is missing)."""
    model = load_stage_model(settings.stage_model)
    rules = load_rules(settings.escalation_rules)
    embedder = load_embedder(settings.semantic_model, settings.embedding_threads)
    meaning = None
    if embedder is not None:
        vectors = memo_for(embedder, settings.index_cache_dir, purpose="lifecycle")
        meaning = build_meaning(vectors, model, rules)
    return model, StuckDetector(model, rules, meaning)


GAPS_VECTORS = "gaps"  # the purpose of the gaps' vector file: customers' questions


def gap_finder(settings: Settings) -> GapFinder:
    """Knowledge gaps grouped by meaning with the sentence model (its vectors cached in
    INDEX_CACHE_DIR), or by words when there is none."""
    embedder = load_embedder(settings.semantic_model, settings.embedding_threads)
    vectors = (memo_for(embedder, settings.index_cache_dir, purpose=GAPS_VECTORS)
               if embedder else None)  # fmt: skip
    return GapFinder(vectors, threads=settings.embedding_threads)


def load_indexed_knowledge_base(
    settings: Settings, model: StageModel
) -> tuple[KnowledgeBase, Searcher]:
    """The knowledge base and its search index, from INDEX_CACHE_DIR when KB_PATH is unchanged,
    with meaning-based search unless SEMANTIC_MODEL=off (or its package is missing) and the
    thresholds of KB_ANSWER_SCORE / KB_ANSWER_MARGIN / KB_SUGGEST_SCORE where they are set."""
    warm_up()
    embedder = load_embedder(settings.semantic_model, settings.embedding_threads)
    kb, searcher = load_indexed(
        settings.kb_path,
        model.known_ids,
        settings.default_locale,
        settings.index_cache_dir,
        embedder,
    )
    searcher.configure()
    chosen = {
        "answer_score": settings.answer_score,
        "answer_margin": settings.answer_margin,
        "suggest_score": settings.suggest_score,
    }
    overrides = {name: value for name, value in chosen.items() if value is not None}
    if overrides:
        searcher.configure(replace(searcher.thresholds, **overrides))
    return kb, searcher


def compose(
    store: Store,
    kb: KnowledgeBase,
    model: StageModel,
    detector: StuckDetector,
    default_locale: str = "en",
    searcher: Searcher | None = None,
    finder: GapFinder | None = None,
) -> Services:
    """Wire the services over `store` and the loaded domain (`searcher`: kb's, if prebuilt;
    `finder`: how knowledge gaps are grouped, by words unless given one that reads meaning)."""
    knowledge = KnowledgeHolder(kb, searcher)
    desk = Desk(
        store,
        knowledge,
        model,
        detector,
        conversations=Conversations(
            model, knowledge, default_locale, idle=timedelta(minutes=detector.rules.idle_minutes)
        ),  # fmt: skip
        stages=StageKeeper(model, StageTagger(model, detector.meaning), detector),
        escalator=Escalator(detector, knowledge),
        default_locale=default_locale,
    )
    return Services(
        store=store,
        knowledge=knowledge,
        model=model,
        desk=desk,
        handoff=Handoff(store, knowledge, model),
        reports=Reports(store, model),
        privacy=Privacy(store),
        drafts=Drafts(store, knowledge, model, default_locale),
        gaps=Gaps(store, finder or GapFinder(None), model, knowledge),
    )


def open_store(settings: Settings) -> SqlStore:
    """The configured database, opened (and, for SQLite, migrated)."""
    return SqlStore.open(settings.database_url)


def build_services(settings: Settings, store: Store | None = None) -> Services:
    """The services over the configured database and the configured YAML."""
    model, detector = load_lifecycle(settings)
    kb, searcher = load_indexed_knowledge_base(settings, model)
    services = compose(
        store or open_store(settings), kb, model, detector, settings.default_locale, searcher,
        gap_finder(settings),
    )
    if settings.kb_path.is_dir():  # approved drafts are written beside the other articles
        services.drafts.publisher = FolderPublisher(
            settings.kb_path, lambda: reload_knowledge_base(services, settings)
        )
    return services


def build_desk(settings: Settings, store: Store | None = None) -> Desk:
    """Just the customer desk (the terminal chat needs no more)."""
    return build_services(settings, store).desk


def reload_knowledge_base(services: Services, settings: Settings) -> list[KbProblem]:
    """Load the knowledge base again from KB_PATH; on problems the last good one stays."""
    return services.knowledge.reload(lambda: load_indexed_knowledge_base(settings, services.model))


@contextmanager
def throwaway_services(
    kb: KnowledgeBase,
    model: StageModel,
    detector: StuckDetector,
    searcher: Searcher | None = None,
) -> Iterator[Services]:
    """Services on a temporary SQLite file, deleted afterwards: for replays."""
    with tempfile.TemporaryDirectory(prefix="supportbot-replay-") as folder:
        # Deleted afterwards: no need to wait for the disk at each commit.
        store = SqlStore.open(f"sqlite:///{Path(folder) / 'replay.db'}", durable=False)
        try:
            yield compose(store, kb, model, detector, searcher=searcher)
        finally:
            store.close()
