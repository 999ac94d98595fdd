"""Insert-or-keep-theirs under a unique constraint: how workers settle who created a row."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


def add_unless_taken(session: Session, row: T, existing: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert `row` in a savepoint; when a unique constraint says another worker got there
    first, keep theirs (found with `existing`) and lose only this insert. True if ours."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = existing()
        assert found is not None, "a unique constraint failed but nothing is there"
        return found, False
    return row, True
