"""Writes on the message path with SQLAlchemy Core instead of the ORM's unit of work.

The ORM's flush (change tracking, dependency sort, statement batching) costs several times the
statement it sends, and every customer message writes a message, often a stage change, and the
changed columns of its customer and conversation. These helpers send the same rows with one Core
statement each and leave the records in the session as if the ORM had written them: later reads
in the unit of work return the very same objects, and their later changes are still saved.
"""

from __future__ import annotations

from sqlalchemy import Table, bindparam, insert, inspect, update
from sqlalchemy.orm import Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from bot.service.records import Conversation, Customer
from bot.store import tables

# The records whose changes `write_changes` sends itself, in the order the ORM would (a
# customer before their conversations); any other change is left to the ORM's flush.
_UPDATED = {Customer: tables.customers, Conversation: tables.conversations}
_ORDER = {record: rank for rank, record in enumerate(_UPDATED)}
# The SET clause is the changed columns, named by the parameters: one statement per table.
_UPDATES = {
    record: update(table).where(table.c.id == bindparam("_id"))
    for record, table in _UPDATED.items()
}


def insert_row(session: Session, table: Table, row: object) -> None:
    """Write a new record with one Core INSERT, and give it its id (see `attach`)."""
    result = session.execute(insert(table), values_of(table, row))
    attach(session, row, result.inserted_primary_key[0])  # type: ignore[index]


def values_of(table: Table, row: object) -> dict[str, object]:
    """Every column of `row` but its id, as the INSERT's values."""
    return {column.key: getattr(row, column.key) for column in table.c if column.key != "id"}


def attach(session: Session, row: object, new_id: object) -> None:
    """Give a record written with Core its id and put it in the session as if it had been
    read: later reads in the unit of work return this very object, and its changes are saved."""
    row.id = new_id  # type: ignore[attr-defined]
    make_transient_to_detached(row)
    session.add(row)


def write_changes(session: Session) -> None:
    """UPDATE the changed columns of every changed customer and conversation with Core, and
    mark them saved, so the commit's flush has nothing of theirs left to do."""
    changed = [row for row in session.dirty if type(row) in _UPDATED]
    changed.sort(key=lambda row: (_ORDER[type(row)], row.id))
    for row in changed:
        state = inspect(row)
        values = {key: getattr(row, key) for key, attr in state.attrs.items() if attr.history.added}
        if values:  # else only set to what it was: nothing to write
            result = session.connection().execute(_UPDATES[type(row)], {"_id": row.id, **values})
            if result.rowcount != 1:  # as the ORM says when the row is gone under it
                raise StaleDataError(
                    f"UPDATE of {type(row).__name__} {row.id} matched {result.rowcount} rows, not 1"
                )
        # Out of the session and back in, clean: the ORM's own way to take a row as saved.
        make_transient(row)
        attach(session, row, row.id)
