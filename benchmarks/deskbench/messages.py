"""Part 1: the desk's CPU per message, replayed on a fresh SQLite file, against the search alone
over the same texts; and, with --profile, where a message's time goes and how many SQL
statements it sends."""

from __future__ import annotations

import cProfile
import gc
import pstats
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks.deskbench.conversations import make_scripts, texts_of
from benchmarks.deskbench.report import met, table
from bot.bootstrap import throwaway_services
from bot.service.replay import replay
from knowledge_base import KnowledgeBase, Searcher
from lifecycle import StageModel, StuckDetector

HORIZON = timedelta(minutes=30)  # `supportbot replay`'s default
TARGET_RATIO = 4.0  # desk marginal CPU per message <= 4x the search's per query
TARGET_REPLAY_S = 60.0  # 10,000 conversations replayed in under a minute
TARGET_CONVERSATIONS = 10_000
ROOT = Path(__file__).resolve().parent.parent.parent


class Metered:
    """The desk, with the process time, calls and SQL statements of each method added up.

    `replay` gets this in place of the desk: it only calls the desk's public methods."""

    def __init__(self, desk: object) -> None:
        self._desk = desk
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.statements: Counter[str] = Counter()
        self._current = "outside the desk"

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._desk, name)
        if not callable(found):
            return found

        def metered(*args: Any, **kwargs: Any) -> Any:
            self._current = name
            started = time.process_time()
            try:
                return found(*args, **kwargs)
            finally:
                self.cpu[name] += time.process_time() - started
                self.calls[name] += 1
                self._current = "outside the desk"

        return metered

    def count_statement(self, *_: object) -> None:
        """A `before_cursor_execute` listener: one more statement for the current method."""
        self.statements[self._current] += 1


@dataclass
class SizeResult:
    conversations: int
    messages: int
    desk_cpu: float
    desk_wall: float
    timers_cpu: float
    handle_cpu: float  # handle_message alone
    search_cpu: float
    queries: int
    decisions: Counter[str]
    escalated: int

    @property
    def desk_ms(self) -> float:
        """Desk CPU per message, timers included."""
        return self.desk_cpu / self.messages * 1000

    @property
    def search_ms(self) -> float:
        """Search CPU per query."""
        return self.search_cpu / self.queries * 1000


def measure(
    kb: KnowledgeBase, model: StageModel, detector: StuckDetector, count: int, seed: int
) -> SizeResult:
    """Replay `count` conversations on a fresh SQLite file; then the search alone, same texts."""
    scripts = make_scripts(count, seed)
    texts = texts_of(scripts)
    with throwaway_services(kb, model, detector) as services:
        searcher: Searcher = services.desk.searcher
        for text, locale in dict.fromkeys(texts):  # warm the word caches for both runs alike
            searcher.search(text, language=locale)
        gc.collect()
        started = time.process_time()
        for text, locale in texts:
            searcher.search(text, language=locale)
        search_cpu = time.process_time() - started
        desk = Metered(services.desk)
        gc.collect()
        started, wall = time.process_time(), time.perf_counter()
        results = list(replay(desk, scripts, HORIZON))  # type: ignore[arg-type]
        desk_cpu, desk_wall = time.process_time() - started, time.perf_counter() - wall
    decisions = Counter(r["decision"] for result in results for r in result["replies"])
    return SizeResult(
        conversations=count,
        messages=len(texts),
        desk_cpu=desk_cpu,
        desk_wall=desk_wall,
        timers_cpu=desk.cpu["run_timers"],
        handle_cpu=desk.cpu["handle_message"],
        search_cpu=search_cpu,
        queries=len(texts),
        decisions=decisions,
        escalated=sum(result["escalated"] for result in results),
    )


def slope(results: list[SizeResult]) -> float | None:
    """Least-squares ms of desk CPU per extra message over all sizes."""
    if len(results) < 2:
        return None
    xs = [r.messages for r in results]
    ys = [r.desk_cpu * 1000 for r in results]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def report(results: list[SizeResult]) -> list[str]:
    """The table of part 1 and its targets."""
    rows = []
    for previous, r in zip([None, *results], results, strict=False):
        marginal = "-"
        if previous is not None:
            extra = (r.desk_cpu - previous.desk_cpu) / (r.messages - previous.messages) * 1000
            marginal = f"{extra:.2f}"
        rows.append((
            f"{r.conversations:,}", f"{r.messages:,}", f"{r.desk_cpu:.1f}", f"{r.desk_wall:.1f}",
            f"{r.timers_cpu:.1f}", f"{r.desk_ms:.2f}", marginal, f"{r.search_ms:.2f}",
            f"{r.desk_ms / r.search_ms:.1f}",
        ))  # fmt: skip
    header = ("N", "messages", "desk total s (CPU)", "desk wall s", "of which timers s",
              "desk ms/message", "marginal ms/message", "search ms/query",
              "ratio desk/search")  # fmt: skip
    lines = [table(header, rows), ""]
    fit = slope(results)
    last = results[-1]
    for r in results:
        shares = ", ".join(
            f"{decision} {n / r.messages:.0%}" for decision, n in r.decisions.most_common()
        )
        lines.append(
            f"- N = {r.conversations:,}: replies {shares}; escalated "
            f"{r.escalated / r.conversations:.0%} of conversations"
        )
    if fit is not None:
        lines.append(f"- marginal desk CPU, least-squares fit over all sizes: {fit:.2f} ms/message")
        marginal = (last.desk_cpu - results[-2].desk_cpu) / (last.messages - results[-2].messages)
        marginal *= 1000
        ratio = marginal / last.search_ms
        lines.append(
            f"- Target: desk marginal CPU per message <= {TARGET_RATIO:g}x the search's per "
            f"query: {marginal:.2f} ms vs {last.search_ms:.2f} ms = {ratio:.1f}x "
            f"(N {results[-2].conversations:,} -> {last.conversations:,}): "
            f"{met(ratio <= TARGET_RATIO)}"
        )
        previous = results[-2]
        handle = (last.handle_cpu - previous.handle_cpu) / (last.messages - previous.messages)
        lines.append(
            f"- of which handle_message alone (the timer passes left out): marginal "
            f"{handle * 1000:.2f} ms/message = {handle * 1000 / last.search_ms:.1f}x the search"
        )
    else:
        lines.append("- Target: marginal cost needs two sizes or more (see --sizes)")
    big = next((r for r in results if r.conversations == TARGET_CONVERSATIONS), None)
    if big is not None:
        lines.append(
            f"- Target: replay of {TARGET_CONVERSATIONS:,} conversations < {TARGET_REPLAY_S:g} s "
            f"on SQLite: {big.desk_wall:.1f} s wall ({big.desk_cpu:.1f} s CPU): "
            f"{met(big.desk_wall < TARGET_REPLAY_S)}"
        )
    else:
        per_message = last.desk_wall / last.messages
        guess = per_message * 2 * TARGET_CONVERSATIONS
        lines.append(
            f"- Target: replay of {TARGET_CONVERSATIONS:,} conversations < "
            f"{TARGET_REPLAY_S:g} s on SQLite: not run here; ~{guess:.0f} s going by "
            f"N = {last.conversations:,}"
        )
    return lines


def profile(
    kb: KnowledgeBase, model: StageModel, detector: StuckDetector, count: int, seed: int
) -> list[str]:
    """cProfile of one replay, its top functions, and the SQL statements per desk call."""
    scripts = make_scripts(count, seed)
    messages = len(texts_of(scripts))
    with throwaway_services(kb, model, detector) as services:
        desk = Metered(services.desk)
        engine = services.store.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", desk.count_statement)
        profiler = cProfile.Profile()
        try:
            profiler.enable()
            list(replay(desk, scripts, HORIZON))  # type: ignore[arg-type]
            profiler.disable()
        finally:
            event.remove(engine, "before_cursor_execute", desk.count_statement)
    stats = pstats.Stats(profiler)
    total = sum(desk.statements.values())
    lines = [
        f"Profile: one replay of N = {count:,} ({messages:,} messages) under cProfile, which "
        "slows it several times; the shares matter, not the seconds.",
        "",
        f"SQL statements (SQLAlchemy before_cursor_execute, BEGIN included): {total:,} in all, "
        f"{total / messages:.1f} per message.",
        "",
    ]
    rows = [
        (name, f"{desk.calls[name]:,}", f"{n:,}", f"{n / max(desk.calls[name], 1):.1f}")
        for name, n in desk.statements.most_common()
    ]
    lines += [table(("desk method", "calls", "statements", "per call"), rows), ""]
    lines += [_share(stats, "knowledge_base/search.py", "search", "Searcher.search"),
              _share(stats, "sqlalchemy/orm/session.py", "flush", "Session.flush"), ""]  # fmt: skip
    for key, top, label in (("cumulative", 25, "cumulative time"), ("tottime", 15, "own time")):
        lines += [f"Top {top} functions by {label}:", "", _top(stats, key, top, messages), ""]
    return lines


def _share(stats: pstats.Stats, file_end: str, function: str, label: str) -> str:
    """One function's calls and cumulative share of the profiled replay."""
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    found = [e for (f, _, name), e in entries.items() if f.endswith(file_end) and name == function]
    total = stats.total_tt  # type: ignore[attr-defined]
    calls, cumulative = sum(e[1] for e in found), sum(e[3] for e in found)
    share = cumulative / total
    return f"- {label}: {calls:,} calls, {cumulative:.2f} s cumulative, {share:.0%} of the profile"


def _top(stats: pstats.Stats, key: str, count: int, messages: int) -> str:
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    column: Callable[[tuple[Any, ...]], float] = (
        (lambda e: e[3]) if key == "cumulative" else (lambda e: e[2])
    )
    ranked = sorted(entries.items(), key=lambda item: column(item[1]), reverse=True)[:count]
    rows = []
    for (filename, line, function), (_, calls, tottime, cumtime, _) in ranked:
        rows.append((f"{_short(filename)}:{line}({function})", f"{calls:,}", f"{tottime:.2f}",
                     f"{cumtime:.2f}", f"{cumtime / messages * 1000:.2f}"))  # fmt: skip
    return table(("function", "calls", "tottime s", "cumtime s", "cum ms/message"), rows)


def _short(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    if filename.startswith(str(ROOT)):
        return filename[len(str(ROOT)) + 1 :]
    return filename
