"""`supportbot forget` and `supportbot purge`: personal data, deleted on request or by age."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime

from bot.bootstrap import GAPS_VECTORS, open_store
from bot.cli.durations import duration_argument
from bot.config import Settings
from bot.service.errors import InvalidUserIdError
from bot.service.privacy import Privacy
from knowledge_base.semantic import forget_cached


def register(commands: argparse._SubParsersAction) -> None:
    """Add `forget` and `purge` to the command line."""
    forgetting = commands.add_parser(
        "forget",
        help="delete everything held about one customer",
        description="Delete a Slack user's customer record, conversations, messages, stage "
        "history, escalations, feedback and queued Slack messages.",
    )
    forgetting.add_argument("user_id", help="the Slack user id, e.g. U0123ABCD")
    forgetting.set_defaults(handler=cmd_forget)
    purging = commands.add_parser(
        "purge",
        help="delete conversations older than a period",
        description="Delete conversations (with their messages, escalations and feedback) "
        "whose last activity is older than the period, and old Slack payloads.",
    )
    # 0 is refused on purpose: "older than no time at all" would delete every conversation.
    purging.add_argument("--older-than", required=True, type=duration_argument,
                         help="e.g. 365d, 90d: more than 0 and at most 365000d")  # fmt: skip
    purging.set_defaults(handler=cmd_purge)


def _report(counts: Counter) -> str:
    done = ", ".join(f"{n} {label}" for label, n in counts.items() if n)
    return done or "nothing"


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    try:
        deleted = Privacy(open_store(settings)).forget(args.user_id)
    except InvalidUserIdError as exc:
        print(f"supportbot: forget: {exc}", file=sys.stderr)
        return 2
    forget_cached(settings.index_cache_dir, GAPS_VECTORS)
    print(f"Deleted for {args.user_id}: {_report(deleted)}.")
    return 0


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    before = datetime.now(UTC) - args.older_than
    deleted = Privacy(open_store(settings)).purge(before)
    forget_cached(settings.index_cache_dir, GAPS_VECTORS)
    print(f"Deleted what was last active before {before:%Y-%m-%d %H:%M} UTC: "
          f"{_report(deleted)}.")  # fmt: skip
    return 0
