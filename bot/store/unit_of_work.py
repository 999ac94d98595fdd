"""The store: an engine, and units of work over it with explicit commit."""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import bot.store.mapping  # noqa: F401 - maps the records onto the tables before any session
from bot.store.database import create_db_engine, ensure_schema
from bot.store.gateway_repos import InboxRepository, OutboxRepository
from bot.store.repository import Repository
from bot.store.writes import write_changes


class UnitOfWork:
    """One transaction: changes are kept only if `commit()` is called before leaving the block.

    A unit of work is used by one thread; Bolt runs listeners on a pool, so each call opens its own.
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self.session: Session
        self.repo: Repository
        self.inbox: InboxRepository
        self.outbox: OutboxRepository

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        self.repo = Repository(self.session)
        self.inbox = InboxRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        # Customers and conversations changed by the use case are written with Core UPDATEs
        # first (bot/store/writes.py); the flush then writes anything else that changed.
        write_changes(self.session)
        self.session.commit()

    def batched(self) -> AbstractContextManager[None]:
        return self.session.no_autoflush  # type: ignore[return-value]


class Store:
    """The database the app keeps everything in."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, durable: bool = True) -> Store:
        """Connect, and make sure the schema is current (SQLite files upgrade themselves)."""
        engine = create_db_engine(url, durable=durable)
        ensure_schema(engine)
        return cls(engine)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._factory)

    def close(self) -> None:
        self.engine.dispose()
