"""The knowledge base the services share, swapped whole on reload."""

from __future__ import annotations

import logging
from collections.abc import Callable

from knowledge_base import KbProblem, KnowledgeBase, KnowledgeBaseError, Searcher

log = logging.getLogger(__name__)


class KnowledgeHolder:
    """One knowledge base and its search index for every service; a reload swaps both at once,
    so a request sees the old pair or the new one, never half of each."""

    def __init__(self, kb: KnowledgeBase, searcher: Searcher | None = None) -> None:
        self._current = (kb, searcher or Searcher(kb))

    @property
    def kb(self) -> KnowledgeBase:
        return self._current[0]

    @property
    def searcher(self) -> Searcher:
        return self._current[1]

    def reload(
        self, load: Callable[[], KnowledgeBase | tuple[KnowledgeBase, Searcher]]
    ) -> list[KbProblem]:
        """Swap in a freshly loaded knowledge base (or one with its index already built, as
        from the disk cache); on problems keep the last good one."""
        try:
            loaded = load()
        except KnowledgeBaseError as exc:
            log.warning("knowledge base reload refused, keeping the last good one: %s", exc)
            return exc.problems
        # Built before the swap (one assignment), so requests never see half an index.
        self._current = loaded if isinstance(loaded, tuple) else (loaded, Searcher(loaded))
        return []
