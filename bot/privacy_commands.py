"""`supportbot forget` and `supportbot purge`: personal data, deleted on request or by age."""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from datetime import UTC, datetime

from bot.config import Settings
from bot.durations import duration_argument
from bot.privacy import forget, purge
from bot.store.unit_of_work import Store

USER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def register(commands: argparse._SubParsersAction) -> None:
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
    purging.add_argument("--older-than", required=True, type=duration_argument,
                         help="e.g. 365d, 90d")  # fmt: skip
    purging.set_defaults(handler=cmd_purge)


def _report(counts: Counter) -> str:
    done = ", ".join(f"{n} {label}" for label, n in counts.items() if n)
    return done or "nothing"


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    if not USER_ID.match(args.user_id):
        print(f"supportbot: forget: {args.user_id!r} is not a user id", file=sys.stderr)
        return 2
    store = Store.open(settings.database_url)
    print(f"Deleted for {args.user_id}: {_report(forget(store, args.user_id))}.")
    return 0


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    before = datetime.now(UTC) - args.older_than
    store = Store.open(settings.database_url)
    print(f"Deleted what was last active before {before:%Y-%m-%d %H:%M} UTC: "
          f"{_report(purge(store, before))}.")  # fmt: skip
    return 0
