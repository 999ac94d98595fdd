"""`/healthz`: healthy only when the app can answer, that is the database takes writes and the
knowledge base has articles."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from bot.service.knowledge import KnowledgeHolder
from bot.store.database import NotWritableError, check_writable

log = logging.getLogger(__name__)

# A load balancer probes every few seconds; a flood of probes must not queue up behind the
# database's write lock (SQLite has one), so one result serves every probe for this long.
CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class Health:
    """The outcome of one check: `problems` names each part that is wrong, and why."""

    problems: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        """The body of the health response."""
        if self.ok:
            return {"ok": True}
        return {"ok": False, "problems": self.problems}


class HealthCheck:
    """Checks what answering a customer needs, and caches the result briefly."""

    def __init__(
        self,
        engine: Engine,
        knowledge: KnowledgeHolder,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._knowledge = knowledge
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._last: tuple[float, Health] | None = None

    def __call__(self) -> Health:
        """The current health, checked again once the cached result is older than the cache."""
        with self._lock:  # one probe checks; the others wait for its answer, not the database
            now = self._clock()
            if self._last is not None and now - self._last[0] < self._cache_seconds:
                return self._last[1]
            health = self._check()
            self._last = (now, health)
            return health

    def _check(self) -> Health:
        problems: dict[str, str] = {}
        try:
            check_writable(self._engine)
        except NotWritableError as exc:
            # The driver's reason can name hosts and users: it goes to the log, not to whoever
            # asked (the health URL answers anyone).
            log.warning("health: the database cannot be written: %s", exc)
            problems["database"] = "cannot write to the database (see the log)"
        if len(self._knowledge.kb) == 0:
            log.warning("health: the knowledge base has no articles")
            problems["knowledge_base"] = "no articles loaded"
        return Health(problems)
