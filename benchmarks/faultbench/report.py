"""The table of the fault script: one row per phase, as Markdown, so it pastes as it is."""

from __future__ import annotations

from benchmarks.faultbench.run import Row

HEADER = ("fault", "sent", "expected", "replied", "duplicates", "lost", "hangs", "drain s",
          "slowest reply s", "notes")  # fmt: skip


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table; the figures that must be 0 in bold when they are not."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        drain = f"{row.drain:.1f}" if row.drain is not None else "not drained"
        slowest = f"{row.slowest:.1f}" if row.slowest is not None else "-"
        cells = [row.fault, str(row.sent), str(row.expected), str(row.replied),
                 _flag(row.duplicates), _flag(row.lost), _flag(row.hangs), drain, slowest,
                 "; ".join(row.notes)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _flag(value: int) -> str:
    return f"**{value}**" if value else "0"


def failures(rows: list[Row]) -> list[str]:
    """One line per row with duplicates, lost messages or hangs."""
    return [f"{row.fault}: {row.duplicates} duplicates, {row.lost} lost, {row.hangs} hangs"
            for row in rows if row.duplicates or row.lost or row.hangs]  # fmt: skip
