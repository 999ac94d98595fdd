"""`supportbot replay`: run transcripts through the desk with simulated time, to tune on them."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from bot.bootstrap import load_indexed_knowledge_base, load_lifecycle, throwaway_services
from bot.cli.durations import duration_or_zero_argument
from bot.config import Settings
from bot.service.replay import ReplayInputError, read_scripts, replay


def register(commands: argparse._SubParsersAction) -> None:
    """Add `replay` to the command line."""
    player = commands.add_parser(
        "replay",
        help="run transcripts through the desk with simulated time",
        description="Replay conversations (JSON Lines, one conversation per line) through the "
        "same service with simulated time, on a throwaway database. Timers run at each "
        "message's time and once more HORIZON after the last message.",
    )
    player.add_argument("file", type=Path, metavar="FILE.jsonl")
    player.add_argument("--kb", type=Path, help="knowledge base folder (default: KB_PATH)")
    player.add_argument("--stage-model", type=Path, help="stage model (default: STAGE_MODEL)")
    player.add_argument(
        "--horizon",
        default="30m",
        type=duration_or_zero_argument,
        help="silence after the last message before the final timer run; 0 runs it at the "
        "last message's time, at most 365000d (default: %(default)s)",
    )
    player.add_argument("--json", action="store_true", help="one JSON object per conversation")
    player.set_defaults(handler=cmd_replay)


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    horizon = args.horizon
    # Checked before the knowledge base is loaded, so a typo in the name is answered at once.
    if args.file.is_dir():
        print(f"supportbot: {args.file} is a folder; give a .jsonl file", file=sys.stderr)
        return 2
    if not args.file.exists():
        print(f"supportbot: {args.file} does not exist", file=sys.stderr)
        return 2
    if not args.file.is_file():  # a device such as /dev/zero would be read for ever
        print(f"supportbot: {args.file} is not a regular file", file=sys.stderr)
        return 2
    overrides = {}
    if args.kb:
        overrides["kb_path"] = args.kb
    if args.stage_model:
        overrides["stage_model"] = args.stage_model
    settings = replace(settings, **overrides)
    model, detector = load_lifecycle(settings)
    # The searcher production uses (meaning included), so a replay shows what customers get.
    kb, searcher = load_indexed_knowledge_base(settings, model)
    try:
        scripts = read_scripts(args.file, model, horizon=horizon)
    except ReplayInputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    with throwaway_services(kb, model, detector, searcher) as services:
        for result in replay(services.desk, scripts, horizon):
            if args.json:
                print(json.dumps(result, ensure_ascii=False), flush=True)
            else:
                print(_replay_line(result), flush=True)
    return 0


def _replay_line(result: dict) -> str:
    escalation = (
        f"escalated after message {result['escalated_after']} ({', '.join(result['reasons'])})"
        if result["escalated"]
        else "not escalated"
    )
    return f"{result['id']}: stage {result['stage']} ({' > '.join(result['stages'])}); {escalation}"
