"""`supportbot run --http` as an operator starts it: a real process against the fake Web API."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_runner import run
from tests.scenario.fake_slack import FakeSlack
from tests.scenario.slack_requests import SlackClientSim, message_event

SECRET = "run-command-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_http_serves_health_and_refuses_bad_signatures(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update(
            SLACK_BOT_TOKEN="xoxb-run", SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_BASE_URL=fake.base_url, SUPPORT_AGENT_CHANNEL="CAGENTS",
        )  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--http", "--port", str(port),
             "--host", "127.0.0.1"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            slack = SlackClientSim(f"http://127.0.0.1:{port}", SECRET)
            deadline = time.monotonic() + 30
            while True:
                try:
                    health = slack.get("/healthz")
                    break
                except OSError:
                    assert process.poll() is None, process.stdout.read()
                    assert time.monotonic() < deadline, "the server never answered"
                    time.sleep(0.2)
            assert health.status == 200 and json.loads(health.body) == {"ok": True}
            event = message_event("UCUSTOMER", "how do I pay with paypal", "D1")
            assert slack.send_event(event, bad_signature=True).status == 401
            assert fake.calls_to("auth.test"), "the token was checked at start-up"
            assert not fake.calls_to("chat.postMessage")
            database = sqlite3.connect(tmp_path / "supportbot.db")
            assert database.execute("select count(*) from messages").fetchone()[0] == 0
            database.close()
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SLACK_APP_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SUPPORT_AGENT_CHANNEL": "C1X"}, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
    ],
)
def test_missing_or_wrong_credentials_name_the_variable(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = run(["run"], tmp_path, **env)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert named in line
    if "not set" in line:
        assert "supportbot chat" in line


def test_an_unreachable_slack_is_one_clear_line(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    result = run(["run", "--http"], tmp_path, SLACK_BOT_TOKEN="xoxb-x",
                 SLACK_SIGNING_SECRET="s", SUPPORT_AGENT_CHANNEL="CAGENTS",
                 SLACK_API_BASE_URL=closed)  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("supportbot: SLACK_API_BASE_URL: cannot reach") and "chat" in line
