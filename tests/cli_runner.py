"""Run `supportbot` as a user would: a separate process, its own working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(args: list[str], cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    """Run `python -m bot ARGS` in `cwd` with `env` added; no real Slack setting leaks in."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=120,
    )
