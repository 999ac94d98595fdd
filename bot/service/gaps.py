"""Knowledge gaps for team leads: what customers asked that the knowledge base failed, one gap
per need, most customers first (the grouping itself is knowledge_base/gaps.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.service.actors import Actor, require_staff
from bot.service.errors import UnknownStageError
from bot.service.knowledge import KnowledgeHolder
from bot.service.ports import Store
from knowledge_base.gaps import Gap, GapFinder
from knowledge_base.search import SearchDecision
from lifecycle.stages import StageModel

TOP = 20
CLOSED_CHECKS = 3  # wordings of a gap searched again to see whether it is closed


@dataclass(frozen=True)
class GapReport:
    """The gaps of one period, and how they were found."""

    since: datetime
    until: datetime
    method: str  # how questions were grouped: by meaning (which model) or by words
    questions: int  # failed questions in the period (in the stage, if one was asked for)
    gaps: tuple[Gap, ...]  # the first `limit`, most customers first
    total_gaps: int
    stage: str | None = None


class Gaps:
    """Read-only: staff only, like the other reports."""

    def __init__(
        self,
        store: Store,
        finder: GapFinder,
        model: StageModel,
        knowledge: KnowledgeHolder | None = None,
    ) -> None:
        self.store = store
        self.finder = finder
        self.model = model
        # With the knowledge base, a gap an article now answers (an approved draft, say) is
        # closed and left out; without it (the command line reads no articles) all are shown.
        self.knowledge = knowledge

    def report(
        self,
        actor: Actor,
        since: datetime,
        until: datetime,
        *,
        stage: str | None = None,
        limit: int = TOP,
    ) -> GapReport:
        """The gaps among questions asked in [since, until), of customers in `stage` if given."""
        require_staff(actor)
        if stage is not None and stage not in self.model:
            raise UnknownStageError(stage, self.model.ids)
        with self.store.unit_of_work() as uow:
            questions = uow.repo.unanswered_questions(since, until)
        if stage is not None:
            questions = [question for question in questions if question.stage == stage]
        # Grouped outside the transaction: embedding new questions can take seconds.
        gaps = [gap for gap in self.finder.find(questions) if not self._closed(gap)]
        return GapReport(since=since, until=until, method=self.finder.method,
                         questions=len(questions), gaps=tuple(gaps[:limit]),
                         total_gaps=len(gaps), stage=stage)  # fmt: skip

    def _closed(self, gap: Gap) -> bool:
        """Whether the knowledge base answers most of the gap's wordings now (a few searches
        per gap: the label and its examples, in their languages)."""
        if self.knowledge is None:
            return False
        asked = list(dict.fromkeys((gap.label, *gap.examples)))[:CLOSED_CHECKS]
        searcher = self.knowledge.searcher
        answered = sum(searcher.search(text).decision == SearchDecision.ANSWER for text in asked)
        return answered * 2 > len(asked)
