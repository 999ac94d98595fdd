"""`supportbot run --http` as an operator starts it: a real process against the fake Web API."""

from __future__ import annotations

import json
import os
import shutil
import signal
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


def test_a_route_to_an_unknown_stage_is_named_before_slack_is_asked(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    result = run(["run", "--http"], tmp_path, SLACK_BOT_TOKEN="xoxb-x",
                 SLACK_SIGNING_SECRET="s", SUPPORT_AGENT_CHANNEL="CAGENTS",
                 SLACK_API_BASE_URL=closed, TRIAGE_ROUTES="stage:checkout=C0SALES")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "supportbot: TRIAGE_ROUTES: no stage 'checkout' in the stage model"
    )


def test_an_unreachable_slack_is_one_clear_line(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    result = run(["run", "--http"], tmp_path, SLACK_BOT_TOKEN="xoxb-x",
                 SLACK_SIGNING_SECRET="s", SUPPORT_AGENT_CHANNEL="CAGENTS",
                 SLACK_API_BASE_URL=closed)  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("supportbot: SLACK_API_BASE_URL: cannot reach") and "chat" in line


HTTP_ENV = {"SLACK_BOT_TOKEN": "xoxb-run", "SLACK_SIGNING_SECRET": SECRET,
            "SUPPORT_AGENT_CHANNEL": "CAGENTS"}  # fmt: skip


def start_http(
    tmp_path: Path, fake: FakeSlack, **env: str
) -> tuple[subprocess.Popen, SlackClientSim]:
    """`supportbot run --http` in its own process, once it answers its health check."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    environ.update(HTTP_ENV, SLACK_API_BASE_URL=fake.base_url, **env)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--http", "--port", str(port),
         "--host", "127.0.0.1"],
        cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    slack = SlackClientSim(f"http://127.0.0.1:{port}", SECRET, timeout=3)
    deadline = time.monotonic() + 30
    while True:
        try:
            slack.get("/healthz")
            return process, slack
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.communicate()[0]
                raise AssertionError(f"the server never answered:\n{output}") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> str:
    """Stop the server; its output (stdout and stderr)."""
    process.terminate()
    try:
        return process.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0] + "\n(had to be killed: SIGTERM was not handled)"


ZEPPELIN = """articles:
  - id: zeppelin-delivery
    locale: en
    title: Do you deliver by zeppelin?
    questions:
      - can you deliver my order by zeppelin
      - do you ship by airship
    stages: [evaluation]
    tags: [shipping]
    audience: public
    answer: |
      Zeppelin-7 delivery lands on your roof within a week.
"""


def served_after_reload(slack: SlackClientSim, fake: FakeSlack, within: float) -> None:
    """Ask the zeppelin question until the answer is the new article (the reload swapped it in)."""
    deadline = time.monotonic() + within
    while True:
        slack.send_event(message_event("UCUSTOMER", "can you deliver my order by zeppelin", "D1"))
        posts = fake.wait_for("chat.postMessage", timeout=10)
        if "Zeppelin-7" in json.dumps(posts[-1].params):
            return
        assert time.monotonic() < deadline, "the knowledge base was never reloaded"
        fake.reset()
        time.sleep(0.5)


def test_a_sighup_storm_leaves_the_server_answering_and_the_articles_reloaded(
    tmp_path: Path,
) -> None:
    from bot.config import SAMPLE_KB

    kb = tmp_path / "kb"
    shutil.copytree(SAMPLE_KB, kb)
    with FakeSlack() as fake:
        # Watching off: every reload here is one a SIGHUP asked for.
        process, slack = start_http(tmp_path, fake, KB_PATH=str(kb), KB_WATCH_SECONDS="off")
        output = ""
        try:
            (kb / "en" / "zeppelin.yaml").write_text(ZEPPELIN, encoding="utf-8")
            for _ in range(50):  # each reload takes a few hundred ms: these overlap
                process.send_signal(signal.SIGHUP)
                time.sleep(0.002)
            health = slack.get("/healthz")  # times out (3 s) if the main thread is reloading
            assert health.status == 200 and health.elapsed < 2
            served_after_reload(slack, fake, within=15)
        finally:
            output = stop(process)
    reloads = output.count("knowledge base reloaded")
    assert 1 <= reloads <= 5, f"{reloads} reloads for 50 SIGHUPs: they did not coalesce"
    assert "Traceback" not in output


def test_start_up_refuses_a_sqlite_file_it_cannot_write(tmp_path: Path) -> None:
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    read_only = f"sqlite:///file:{tmp_path / 'supportbot.db'}?mode=ro&uri=true"
    result = run(["run", "--http"], tmp_path, **HTTP_ENV, DATABASE_URL=read_only,
                 SLACK_API_BASE_URL=f"http://127.0.0.1:{free_port()}/api/")  # fmt: skip
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("supportbot: DATABASE_URL: the database cannot be written")


def test_start_up_refuses_a_read_only_postgresql(tmp_path: Path, postgres_database: str) -> None:
    read_only = f"{postgres_database}?options=-c%20default_transaction_read_only%3Don"
    result = run(["run", "--http"], tmp_path, **HTTP_ENV, DATABASE_URL=read_only,
                 SLACK_API_BASE_URL=f"http://127.0.0.1:{free_port()}/api/")  # fmt: skip
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "DATABASE_URL" in line and "read-only" in line
    assert "postgres@" not in line, "the URL (and any password in it) is not printed"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--port", "99999"], "--port"),
        (["--port", "-1"], "--port"),
        (["--port", "0"], "--port"),
        (["--port", "eighty"], "--port"),
        (["--host", "not a host"], "--host"),
        (["--host", ""], "--host"),
    ],
)
def test_a_bad_listen_address_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], named: str
) -> None:
    result = run(["run", "--http", *args], tmp_path, **HTTP_ENV)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"supportbot: {named}:")


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with FakeSlack() as fake, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["run", "--http", "--host", "127.0.0.1", "--port", str(port)], tmp_path,
                     **HTTP_ENV, SLACK_API_BASE_URL=fake.base_url)  # fmt: skip
    assert result.returncode == 2
    # Bolt's own start-up warning may come first; ours is the one line that says what failed.
    [line] = [x for x in result.stderr.splitlines() if x.startswith("supportbot:")]
    assert line.startswith("supportbot: --host/--port: cannot listen on") and str(port) in line
    assert "Traceback" not in result.stderr


def test_an_article_file_saved_on_a_shared_kb_path_is_served_without_a_signal(
    tmp_path: Path,
) -> None:
    """Several workers share KB_PATH: one approves a draft (or an editor saves a file), and
    every worker finds the new article on its own, with no SIGHUP sent to it."""
    from bot.config import SAMPLE_KB

    kb = tmp_path / "kb"
    shutil.copytree(SAMPLE_KB, kb)
    with FakeSlack() as fake:
        process, slack = start_http(tmp_path, fake, KB_PATH=str(kb), KB_WATCH_SECONDS="0.3")
        output = ""
        try:
            (kb / "en" / "zeppelin.yaml").write_text(ZEPPELIN, encoding="utf-8")
            served_after_reload(slack, fake, within=20)
        finally:
            output = stop(process)
    assert "knowledge base files changed: reloading" in output
    assert output.count("knowledge base reloaded") == 1, output
