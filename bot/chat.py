"""The terminal chat: talk to the desk as a customer, interactively or from piped lines."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TextIO

from bot.desk import CustomerRef, Desk, History, Reply
from bot.phrasebook import say
from knowledge_base.search import ANSWER

HELP = """Commands:
  /helpful       the last answer helped
  /not-helpful   the last answer did not help
  /human         talk to a person
  /help          this list
  /quit          leave (end of input works too)
Anything else is a question for the knowledge base."""

INDENT = "     "


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
                self._bot(say("nothing_to_rate", self.locale))
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
        if reply.decision == ANSWER and reply.article is not None:
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
        elif reply.decision == ANSWER:
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
