"""The `supportbot` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import OperationalError

from bot import kb_commands, privacy_commands, report_commands, run_command
from bot.chat import TerminalChat
from bot.config import Settings, SettingsError, configure_logging, load_settings
from bot.desk import CustomerRef
from bot.store.database import SchemaError, create_db_engine, current_revision, head_revision
from bot.store.database import upgrade as upgrade_schema
from knowledge_base.yaml_lines import KnowledgeBaseError

log = logging.getLogger(__name__)

DEFAULT_USER = "terminal"


class CommandError(Exception):
    """A failure to report as one line, with the exit code to use."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _desk(settings: Settings):  # noqa: ANN202 - imported lazily to keep --help fast
    from bot.bootstrap import build_desk

    return build_desk(settings)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    desk = _desk(settings)
    interactive = sys.stdin.isatty()
    chat = TerminalChat(
        desk, CustomerRef(args.user), sys.stdout, locale=args.lang, echo=not interactive
    )
    chat.greet()
    if interactive:
        chat.run(_prompted_lines())
    else:
        chat.run(sys.stdin)
    return 0


def _prompted_lines():  # noqa: ANN202 - a generator of str
    while True:
        try:
            yield input("you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    desk = _desk(settings)
    question = " ".join(args.question).strip()
    if not question:
        raise CommandError('ask: give a question, e.g. supportbot ask "how can I pay?"', 2)
    chat = TerminalChat(desk, CustomerRef(args.user), sys.stdout, locale=args.lang)
    chat.handle(question)
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supportbot",
        description="Slack support assistant: self-service answers from one knowledge base, "
        "lifecycle stages, and escalation to a person. Settings come from the environment "
        "and an optional .env file (see .env.example).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = commands.add_parser(
        "chat",
        help="talk to the desk as a customer in the terminal (no Slack needed)",
        description="A terminal conversation as a customer. Reads one message a line, from the "
        "keyboard or piped from a file. Commands: /helpful, /not-helpful, /human, /help, /quit.",
    )
    chat.add_argument("--user", default=DEFAULT_USER, help="customer id (default: %(default)s)")
    chat.add_argument("--lang", help="the customer's language, e.g. en, it, de, pl")
    chat.set_defaults(handler=cmd_chat)

    ask = commands.add_parser(
        "ask", help="ask one question and print the answer", description="One question, one answer."
    )
    ask.add_argument("question", nargs="+", help="the question")
    ask.add_argument("--user", default=DEFAULT_USER, help="customer id (default: %(default)s)")
    ask.add_argument("--lang", help="the customer's language, e.g. en, it, de, pl")
    ask.set_defaults(handler=cmd_ask)

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
    kb_commands.register(commands)
    report_commands.register(commands)
    run_command.register(commands)
    privacy_commands.register(commands)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `supportbot` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace, Settings], int] | None = getattr(args, "handler", None)
    if handler is None:
        return _usage(parser)
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
    except OperationalError as exc:
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
