"""`supportbot db`: the database schema, upgraded on purpose or shown."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings
from bot.store.database import create_db_engine, current_revision, head_revision
from bot.store.database import upgrade as upgrade_schema


def register(commands: argparse._SubParsersAction) -> None:
    """Add `db upgrade` and `db current` to the command line."""
    db = commands.add_parser(
        "db", help="database schema: upgrade, current", description="Manage the database schema."
    )
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_upgrade = db_commands.add_parser(
        "upgrade",
        help="bring the schema to the latest version",
        description="Apply every pending migration (run this before starting new workers on "
        "PostgreSQL; SQLite files are upgraded by any command that uses them).",
    )
    db_upgrade.set_defaults(handler=cmd_db_upgrade)
    db_current = db_commands.add_parser(
        "current", help="show the schema version", description="Show the schema version."
    )
    db_current.set_defaults(handler=cmd_db_current)
    db.set_defaults(handler=lambda args, settings: _usage(db))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_db_engine(settings.database_url)
    before = current_revision(engine)
    upgrade_schema(engine)
    after = current_revision(engine)
    if before == after:
        print(f"Database already at the latest schema ({after}).")
    else:
        print(f"Database upgraded from {before or 'empty'} to {after}.")
    return 0


def cmd_db_current(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_db_engine(settings.database_url)
    current = current_revision(engine)
    head = head_revision()
    state = "up to date" if current == head else f"behind: run `supportbot db upgrade` ({head})"
    print(f"{current or 'empty'} ({state})")
    return 0
