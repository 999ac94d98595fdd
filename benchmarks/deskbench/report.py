"""The machine the figures were measured on, and markdown tables."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess

import sqlalchemy


def machine() -> str:
    """Cores (nproc), CPU model (lscpu), Python, SQLite and SQLAlchemy versions."""
    model = platform.processor() or platform.machine()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in lscpu.splitlines()
             if line.startswith("Model name")),
            model,
        )  # fmt: skip
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"Machine: {cores} cores (nproc), {model}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}; {load()}"
    )


def load() -> str:
    """The load average, since other work on the machine moves wall times most."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    """A markdown table; the first column left-aligned, the others right-aligned."""
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                  enumerate(zip(row, widths, strict=True))]  # fmt: skip
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        ("-" * (w + 1) + ":") if i else (":" + "-" * (w + 1)) for i, w in enumerate(widths)
    ) + "|"  # fmt: skip
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def met(ok: bool) -> str:
    """How a target line ends."""
    return "met" if ok else "NOT met"
