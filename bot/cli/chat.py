"""`supportbot chat` and `supportbot ask`: talk to the desk as a customer in the terminal,
interactively or from piped lines."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TextIO

from bot.bootstrap import build_desk
from bot.cli.errors import CommandError
from bot.config import Settings
from bot.service.desk import Desk
from bot.service.outcomes import CustomerRef, History, Reply
from bot.service.phrasebook import say
from bot.service.vocabulary import Decision, Phrase

DEFAULT_USER = "terminal"

HELP = """Commands:
  /helpful       the last answer helped
  /not-helpful   the last answer did not help
  /human         talk to a person
  /help          this list
  /quit          leave (end of input works too)
Anything else is a question for the knowledge base."""

INDENT = "     "


def register(commands: argparse._SubParsersAction) -> None:
    """Add `chat` and `ask` to the command line."""
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


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    desk = build_desk(settings)
    interactive = sys.stdin.isatty()
    chat = TerminalChat(
        desk, CustomerRef(args.user), sys.stdout, locale=args.lang, echo=not interactive
    )
    chat.greet()
    if interactive:
        chat.run(_prompted_lines())
    else:
        chat.run(stdin_lines("chat"))
    return 0


def _prompted_lines() -> Iterator[str]:
    number = 0
    while True:
        number += 1
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        except UnicodeDecodeError:
            raise CommandError(_not_utf8("chat", number)) from None
        # A terminal in a non-UTF-8 locale hands bad bytes over as lone surrogates instead.
        if not _encodable(line):
            raise CommandError(_not_utf8("chat", number))
        yield line


def stdin_lines(command: str) -> Iterator[str]:
    """Standard input line by line; a line that is not UTF-8 stops `command`, naming the line."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # already a text stream (replaced in-process)
        yield from sys.stdin
        return
    # Decoded here, line by line: the text layer decodes whole chunks, so its error would come
    # early and without the line, and in the C locale it lets bad bytes through as surrogates.
    for number, raw in enumerate(buffer, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CommandError(_not_utf8(command, number)) from None


def _not_utf8(command: str, number: int) -> str:
    return f"{command}: line {number} of standard input is not UTF-8 text"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    question = " ".join(args.question).strip()
    if not question:
        raise CommandError('ask: give a question, e.g. supportbot ask "how can I pay?"', 2)
    desk = build_desk(settings)
    chat = TerminalChat(desk, CustomerRef(args.user), sys.stdout, locale=args.lang)
    chat.handle(question)
    return 0


def now_utc() -> datetime:
    return datetime.now(UTC)


class TerminalChat:
    """Reads lines, sends them to the desk, prints what a customer would see."""

    def __init__(
        self,
        desk: Desk,
        who: CustomerRef,
        out: TextIO,
        *,
        locale: str | None = None,
        echo: bool = False,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.desk = desk
        self.who = who
        self.out = out
        self.locale = locale
        self.echo = echo  # piped input is echoed so the transcript reads as a conversation
        self.clock = clock
        # Each run of the chat is its own conversation thread; the customer's stage carries over.
        self.thread = clock().strftime("%Y%m%dT%H%M%S.%f")

    def greet(self) -> None:
        self._print("Support chat as customer "
                    f"{self.who.user_id!r}. Ask a question; /help lists commands.")  # fmt: skip
        history = self.desk.history(self.who)
        if history is not None:
            self._print(_welcome_back(history, self.desk))

    def run(self, lines: Iterable[str]) -> None:
        """Handle each line until /quit or end of input."""
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            if self.echo:
                self._print(f"you> {line}")
            if not self.handle(line):
                break

    def handle(self, line: str) -> bool:
        """Handle one line; False means the customer left."""
        command = line.lower()
        if command in ("/quit", "/exit"):
            self._print("Bye!")
            return False
        if command == "/help":
            self._print(HELP)
        elif command in ("/helpful", "/not-helpful"):
            reply = self.desk.record_feedback(self.who, command == "/helpful", at=self.clock())
            if reply is None:
                self._bot(say(Phrase.NOTHING_TO_RATE, self.locale))
            else:
                self._show(reply)
        elif command == "/human":
            self._show(
                self.desk.talk_to_human(
                    self.who, at=self.clock(), channel="terminal", thread_ts=self.thread
                )
            )
        elif command.startswith("/"):
            self._print(f"Unknown command {line.split()[0]!r}.\n{HELP}")
        else:
            reply = self.desk.handle_message(
                self.who,
                line,
                at=self.clock(),
                channel="terminal",
                thread_ts=self.thread,
                locale=self.locale,
            )
            self._show(reply)
        return True

    def _show(self, reply: Reply) -> None:
        if reply.decision == Decision.ANSWER and reply.article is not None:
            self._bot(f"{reply.article.title}\n{reply.text}")
        else:
            self._bot(reply.text)
        for number, article in enumerate(reply.suggestions, start=1):
            self._print(f"{INDENT}{number}. {article.title}  [{article.id}]")
        stage = f"stage: {self.desk.model.stage(reply.stage).name(reply.language)}"
        if reply.stage_changed:
            stage += f" (changed: {reply.stage_reason})" if reply.stage_reason else " (changed)"
        details = [stage, f"decision: {reply.decision}"]
        if reply.article is not None:
            details.append(f"article: {reply.article.id}")
        self._print(f"{INDENT}[{' · '.join(details)}]")
        if reply.escalation is not None:
            label = "Escalated to a person" if reply.escalation.new else "Already with a person"
            reasons = "; ".join(reply.escalation.reasons) or "no reasons recorded"
            self._print(f"{INDENT}!! {label} (escalation #{reply.escalation.id}): {reasons}")
        elif reply.offer_human:
            self._print(f"{INDENT}(type /human to talk to a person)")
        elif reply.decision == Decision.ANSWER:
            self._print(f"{INDENT}Did this help? /helpful or /not-helpful")

    def _bot(self, text: str) -> None:
        lines = text.strip().splitlines() or [""]
        wrapped = [textwrap.fill(lines[0], 96, subsequent_indent=INDENT)]
        wrapped += [textwrap.fill(line, 96, initial_indent=INDENT, subsequent_indent=INDENT)
                    for line in lines[1:]]  # fmt: skip
        self._print("bot> " + "\n".join(wrapped))

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _welcome_back(history: History, desk: Desk) -> str:
    stage = history.stage
    if stage in desk.model:
        stage = desk.model.stage(stage).name(history.locale or "en")
    text = (
        f"Welcome back. Stage: {stage}; {history.conversations} earlier conversation(s), "
        f"{history.messages} message(s)."
    )
    if history.recent:
        text += "\nLast messages: " + " | ".join(history.recent[-3:])
    return text
