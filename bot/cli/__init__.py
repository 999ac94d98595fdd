"""The `supportbot` command line: one module per command group, named for the command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import DatabaseError, OperationalError

from bot.cli import chat, db, gaps, kb, privacy, replay, run, stats
from bot.cli.errors import CommandError
from bot.config import Settings, SettingsError, configure_logging, load_settings
from bot.store.database import SchemaError
from knowledge_base.yaml_lines import KnowledgeBaseError

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supportbot",
        description="Slack support assistant: self-service answers from one knowledge base, "
        "lifecycle stages, and escalation to a person. Settings come from the environment "
        "and an optional .env file (see .env.example).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    for group in (chat, db, kb, replay, stats, gaps, run, privacy):
        group.register(commands)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _not_utf8(args: argparse.Namespace) -> str | None:
    """The first text argument that is not UTF-8, as a one-line problem; None if all are."""
    for name, value in vars(args).items():
        # Paths are left alone: a file name may be any bytes, and the OS takes them back as given.
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and not _encodable(text):
                return f"{name.replace('_', ' ')} {text!r} is not UTF-8 text"
    return None


def _encodable(text: str) -> bool:
    # Bytes that are not UTF-8 reach sys.argv as lone surrogates, which no database or
    # terminal takes: answer here rather than with a traceback from wherever they land.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `supportbot` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace, Settings], int] | None = getattr(args, "handler", None)
    if handler is None:
        return _usage(parser)
    problem = _not_utf8(args)
    if problem is not None:
        print(f"supportbot: {args.command}: {problem}", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        configure_logging(settings)
        return handler(args, settings)
    except SettingsError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 2
    except KnowledgeBaseError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"supportbot: {len(exc.problems)} problem(s); nothing was started", file=sys.stderr)
        return 1
    except SchemaError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        # The plain DatabaseError is SQLite's "file is not a database"; its subclasses other than
        # OperationalError (constraint, data, programming errors) are bugs to show in full.
        if type(exc) is not DatabaseError and not isinstance(exc, OperationalError):
            raise
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        print(f"supportbot: DATABASE_URL: cannot use the database: {reason}", file=sys.stderr)
        return 1
    except CommandError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
