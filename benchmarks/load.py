"""Load and fault benchmark: `supportbot run --http` workers on PostgreSQL, driven like Slack.

    .venv/bin/python benchmarks/load.py          # 50 events/s, 60 s, 2 workers: normal + fault run
    .venv/bin/python benchmarks/load.py --quick  # smoke: 20 events/s for 15 s, normal run only
    .venv/bin/python benchmarks/load.py --runs fault --rate 30 --duration 90 --workers 3
    .venv/bin/python benchmarks/load.py --database-url postgresql://postgres@127.0.0.1:5432/test

Each run gets a fresh PostgreSQL database (CREATE DATABASE supportbot_load_<random> on the
server of --database-url, `supportbot db upgrade`, dropped at the end), a fresh local fake of
Slack's Web API (tests/scenario/fake_slack.py: 50-150 ms latency, about 1.5% of
chat.postMessage calls answered 429 Retry-After: 1 or 500) and `--workers` fresh
`supportbot run --http` processes behind a small round-robin proxy (benchmarks/_proxy.py).

Customers: distinct users, each in its own DM channel ("D" + user id). A customer sends one
message, waits for the app's answer, and may later ask again; the generator sends at a steady
--rate with whichever customer is free (a new customer joins when all are waiting), so every
reply can be matched to the one message its customer has outstanding. A customer whose answer
says that a person takes over (an escalation) waits for that person and writes no more: no
agents answer in this benchmark. Requests are signed as Slack signs them; like Slack, an event
that gets no 200 within 3 s (or whose connection fails) is redelivered with the same event_id
and X-Slack-Retry-Num 1..3. Slack waits about 0 s, 1 min and 5 min between attempts; this
benchmark compresses that to 1 s, 5 s and 15 s.

What counts as the answer to a message: a chat.postMessage that Slack accepted (not one the
fake failed) to the customer's DM channel, or, once a person has taken the conversation over,
the message relayed into the escalation's thread in the agents' channel ("*<@U...>:* text").
Escalation cards and other posts to the agents' channel are not answers. Measured: ack latency
(HTTP round trip of an event's first delivery, through the proxy), time to reply (first
delivery sent -> Slack accepted the answer), lost (no answer when the wait for stragglers
ends: --drain, 120 s after the load), duplicated (more than one answer). Percentiles are
nearest-rank. The exit status is 0 when every target is met, 1 otherwise.

Fault run: at half the load, one worker is killed with SIGKILL and started again 2 s later
while the load goes on. The inbox and outbox leases (60 s) mean its unfinished work is taken
over after about a minute; the run measures how long it really takes.

Traffic goes only to 127.0.0.1. Everything started here is stopped, and the databases are
dropped, on exit, error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import http.client
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from benchmarks._proxy import RoundRobinProxy  # noqa: E402
from bot.config import SUPPORTED_LOCALES  # noqa: E402
from bot.phrasebook import say  # noqa: E402
from tests.scenario.fake_slack import FakeSlack  # noqa: E402
from tests.scenario.slack_requests import message_event, sign  # noqa: E402

SECRET = "load-benchmark-signing-secret"
BOT_TOKEN = "xoxb-load-benchmark"
AGENTS = "CAGENTS"
ACK_TIMEOUT = 3.0  # Slack's: no 200 within 3 s means "deliver again"
RETRY_DELAYS = (1.0, 5.0, 15.0)  # Slack: ~0 s, 1 min, 5 min; compressed here
FAKE_LATENCY = (0.05, 0.15)
FAIL_RATE = 0.015  # share of chat.postMessage calls answered 429 or 500
LEASE_SECONDS = 60  # bot/inbox.py and bot/outbox.py LEASE
KILL_AT = 0.5  # share of the load after which the fault run kills a worker
RESTART_AFTER = 2.0
AROUND_KILL = 2.5  # "the 5 s around the kill": kill - 2.5 s .. kill + 2.5 s
TARGET_ACK_P99_MS = 200.0
RELAY = re.compile(r"^\*<@([A-Z0-9]+)>:\*")
# "A person will answer you here": a customer who reads it waits for that person.
HANDOVER_TEXTS = tuple(say("handover", locale) for locale in SUPPORTED_LOCALES)

# What customers write: knowledge-base questions in their own words, small talk, questions the
# knowledge base cannot answer, payment trouble, and now and then a request for a person.
TEXTS: list[tuple[float, str]] = [
    (6, "how do I pay with paypal"),
    (4, "do you take PayPal?"),
    (6, "do you ship to switzerland"),
    (6, "where is my order"),
    (3, "my order still hasn't arrived, where is it?"),
    (3, "how long does delivery to Germany take"),
    (3, "can I return an opened bag of coffee"),
    (3, "how much is shipping to the UK?"),
    (3, "do you sell grinders?"),
    (3, "what sizes do your coffee bags come in"),
    (3, "I forgot my password"),
    (2, "how do I cancel my club subscription"),
    (2, "can I pay in 3 instalments with Klarna?"),
    (2, "can I pay by bank transfer"),
    (2, "I need an invoice for my order"),
    (2, "where do I enter my discount code?"),
    (2, "my promo code isn't working"),
    (2, "my card was declined at checkout"),
    (2, "the checkout page keeps showing an error"),
    (2, "do you have iDEAL?"),
    (2, "what is the difference between the Roastwell Home and the Pro"),
    (2, "my espresso machine is leaking water"),
    (2, "do you sell gift cards?"),
    (2, "thanks!"),
    (2, "what's the weather like in Amsterdam today"),
    (1, "spedite in Svizzera?"),
    (1, "wie kann ich mit PayPal bezahlen"),
    (1, "gdzie jest moje zamówienie"),
    (3, "talk to a person"),
    (1, "can I speak to a human please"),
]


# -- measurements ---------------------------------------------------------------------------


@dataclass
class Event:
    """One customer message and what became of it."""

    index: int
    user: str
    text: str
    envelope: dict
    sent_at: float = 0.0  # monotonic, start of the first attempt
    ack_ms: float | None = None  # first attempt's HTTP round trip
    first_status: str = ""  # "200", "502", "timeout", "error", ...
    attempts: int = 0
    acked: bool = False
    gave_up: bool = False
    replied_at: float | None = None
    outcome: str = ""  # "dm" (answered in the DM) or "relay" (passed to the agent's thread)
    handover: bool = False  # the answer said a person takes over
    extra: int = 0  # further answers after the first: duplicates


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


class RecordingFake(FakeSlack):
    """The scenario fake, telling the benchmark about every chat.postMessage Slack accepted.

    The fake records a call before it decides whether to fail it; the call of this handler
    thread is kept aside so that only the ones answered `ok` count as delivered.
    """

    def __init__(self, on_post, **kwargs) -> None:  # noqa: ANN001 - a callback
        super().__init__(**kwargs)
        self._on_post = on_post
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self.posts_ok = 0
        self.posts_failed = 0

    def _record(self, call) -> None:  # noqa: ANN001 - a Call
        self._local.call = call
        super()._record(call)

    def _take_failure(self, method: str):  # noqa: ANN202
        failure = super()._take_failure(method)
        call = getattr(self._local, "call", None)
        if method == "chat.postMessage" and call is not None and call.method == method:
            with self._count_lock:
                if failure is None:
                    self.posts_ok += 1
                else:
                    self.posts_failed += 1
            if failure is None:
                self._on_post(call.params, time.monotonic())
        return failure

    def start(self) -> RecordingFake:
        super().start()
        server = self._server
        assert server is not None
        default = server.handle_error

        def handle_error(request, client_address) -> None:  # noqa: ANN001
            # A worker killed or stopped while the fake answers it: expected here, not news.
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                default(request, client_address)

        server.handle_error = handle_error  # type: ignore[method-assign]
        return self

    @property
    def posts(self) -> int:
        with self._count_lock:
            return self.posts_ok + self.posts_failed


class FailureInjector(threading.Thread):
    """Every so many chat.postMessage calls (about 1 in 1/rate), make the next one fail with
    429 (Retry-After: 1) or 500, through the fake's own `fail_next`."""

    def __init__(self, fake: RecordingFake, rate: float, seed: int) -> None:
        super().__init__(name="failure-injector", daemon=True)
        self.fake, self.rate = fake, rate
        self.rng = random.Random(seed)
        self.injected: Counter[int] = Counter()
        self._stop = threading.Event()

    def run(self) -> None:
        if self.rate <= 0:
            return
        last, gap = 0, self._gap()
        while not self._stop.wait(0.02):
            total = self.fake.posts
            if total - last >= gap:
                status = self.rng.choice((429, 500))
                self.fake.fail_next("chat.postMessage", status,
                                    retry_after=1 if status == 429 else None)  # fmt: skip
                self.injected[status] += 1
                last, gap = total, self._gap()

    def _gap(self) -> int:
        return max(1, round(self.rng.uniform(0.5, 1.5) / self.rate))

    def stop(self) -> None:
        self._stop.set()


# -- infrastructure: database, workers, proxy -------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def supportbot_command() -> list[str]:
    exe = Path(sys.executable).parent / "supportbot"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot"]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def server_version(server_url: str) -> str:
    with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute("select version()").fetchone()
    return str(row[0]).split(" on ")[0] if row else "?"


class Database:
    """A fresh database on the server of `server_url`, schema upgraded; dropped by `drop`."""

    def __init__(self, server_url: str, env: dict[str, str]) -> None:
        self.server_url = server_url
        self.name = f"supportbot_load_{uuid.uuid4().hex[:10]}"
        self.url = with_database(server_url, self.name)
        with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True
        upgrade = subprocess.run([*supportbot_command(), "db", "upgrade"],
                                 env={**env, "DATABASE_URL": self.url}, capture_output=True,
                                 text=True, timeout=120, cwd=tempfile.gettempdir())  # fmt: skip
        if upgrade.returncode != 0:
            raise RuntimeError(f"supportbot db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}")
        self._probe: psycopg.Connection | None = None

    def _conn(self) -> psycopg.Connection:
        if self._probe is None or self._probe.closed:
            self._probe = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        return self._probe

    def unfinished(self) -> tuple[int, int, int]:
        """(inbox rows not processed, outbox rows to customers (DMs) pending or being sent,
        outbox rows to the agents' channel pending or being sent)."""
        conn = self._conn()
        inbox = conn.execute("select count(*) from inbound_events "
                             "where processed_at is null and attempts < 5").fetchone()  # fmt: skip
        outbox = dict(conn.execute(
            "select channel like 'D%', count(*) from outbox "
            "where status in ('pending', 'sending') group by 1").fetchall())  # fmt: skip
        return int(inbox[0]), int(outbox.get(True, 0)), int(outbox.get(False, 0))

    def queued_channels(self) -> set[str]:
        """DM channels with a reply still pending or being sent."""
        rows = self._conn().execute("select distinct channel from outbox where channel like 'D%' "
                                    "and status in ('pending', 'sending')").fetchall()  # fmt: skip
        return {str(row[0]) for row in rows}

    def stats(self) -> dict[str, object]:
        conn = self._conn()
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "inbox rows": one("select count(*) from inbound_events"),
            "inbox rows processed more than once": one(
                "select count(*) from inbound_events where attempts > 1"),
            "inbox rows never processed": one(
                "select count(*) from inbound_events where processed_at is null"),
            "inbox rows with an error": one(
                "select count(*) from inbound_events where error is not null"),
            "outbox rows by status": dict(conn.execute(
                "select status, count(*) from outbox group by 1 order by 1").fetchall()),
            "outbox rows tried more than once": one(
                "select count(*) from outbox where attempts > 1"),
            "customer messages stored twice (same slack ts)": one(
                "select count(*) from (select slack_ts from messages where role = 'customer' "
                "and slack_ts is not null group by slack_ts having count(*) > 1) t"),
            "escalations": one("select count(*) from escalations"),
        }  # fmt: skip

    def drop(self) -> None:
        if self._probe is not None and not self._probe.closed:
            self._probe.close()
        if self.created:
            with psycopg.connect(self.server_url, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.created = False


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a live process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs so far, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


class Workers:
    """`supportbot run --http` processes on free ports of 127.0.0.1, logs in `logdir`."""

    def __init__(self, count: int, env: dict[str, str], logdir: Path) -> None:
        self.env, self.logdir = env, logdir
        self.ports = [free_port() for _ in range(count)]
        self.procs: list[subprocess.Popen | None] = [None] * count
        self.cpu: list[float] = [0.0] * count  # CPU seconds of processes already gone

    def start(self, index: int) -> None:
        log = open(self.logdir / f"worker{index}.log", "ab")  # noqa: SIM115 - the child owns it
        self.procs[index] = subprocess.Popen(
            [*supportbot_command(), "run", "--http", "--port", str(self.ports[index]),
             "--host", "127.0.0.1"],
            cwd=self.logdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the benchmark, which stops them in order
        )  # fmt: skip
        log.close()

    def wait_ready(self, index: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        proc = self.procs[index]
        while time.monotonic() < deadline:
            if proc is None or proc.poll() is not None:
                raise RuntimeError(f"worker {index} exited at start-up; see its log:\n"
                                   + self.log_tail(index))  # fmt: skip
            conn = http.client.HTTPConnection("127.0.0.1", self.ports[index], timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.1)
        raise RuntimeError(f"worker {index} did not answer /healthz within {timeout:.0f} s")

    def start_all(self) -> None:
        for index in range(len(self.ports)):
            self.start(index)
        for index in range(len(self.ports)):
            self.wait_ready(index)

    def kill(self, index: int) -> int:
        proc = self.procs[index]
        assert proc is not None
        self.cpu[index] += process_cpu_seconds(proc.pid) or 0.0
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        return proc.pid

    def cpu_seconds(self) -> list[float]:
        return [done + ((process_cpu_seconds(p.pid) or 0.0) if p and p.poll() is None else 0.0)
                for done, p in zip(self.cpu, self.procs, strict=True)]  # fmt: skip

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def log_tail(self, index: int, lines: int = 30) -> str:
        path = self.logdir / f"worker{index}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def log_summary(self) -> tuple[Counter[str], Counter[str]]:
        """(count of lines by level, most frequent ERROR/WARNING messages, normalised)."""
        levels: Counter[str] = Counter()
        messages: Counter[str] = Counter()
        line_re = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): (.*)$")
        for path in sorted(self.logdir.glob("worker*.log")):
            for line in path.read_text(errors="replace").splitlines():
                match = line_re.match(line)
                if match:
                    levels[match.group(1)] += 1
                    if match.group(1) in ("WARNING", "ERROR", "CRITICAL"):
                        text = re.sub(r"\d+(\.\d+)?", "N", match.group(3))[:110]
                        messages[f"{match.group(1)} {match.group(2)}: {text}"] += 1
                elif line.startswith("Traceback"):
                    levels["Traceback"] += 1
        return levels, messages


class ProxyProcess:
    """benchmarks/_proxy.py in its own process (its own GIL), as a real balancer would be."""

    def __init__(self, backends: list[int], logdir: Path) -> None:
        self.port = free_port()
        self.log_path = logdir / "proxy.log"
        args = [sys.executable, str(ROOT / "benchmarks" / "_proxy.py"), "--port", str(self.port)]
        for port in backends:
            args += ["--backend", f"127.0.0.1:{port}"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 15
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("POST", "/__proxy_ready", body=b"")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the proxy did not start") from None
                time.sleep(0.05)
            finally:
                conn.close()

    def stop(self) -> dict[str, list[int]]:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        match = re.search(r"forwarded (\[.*?\]), refused (\[.*?\]), failed (\[.*?\])", text)
        if not match:
            return {}
        return {k: json.loads(v) for k, v in zip(("forwarded", "refused", "failed"),
                                                  match.groups(), strict=True)}  # fmt: skip


class Target:
    """Where events go: the proxy's one port, or (no proxy) the workers' ports in turn,
    skipping a port that refuses the connection."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._next = itertools.count()
        self._lock = threading.Lock()

    def post(self, body: bytes, headers: dict[str, str]) -> str:
        with self._lock:
            start = next(self._next) % len(self.ports)
        started = time.monotonic()
        for i in range(len(self.ports)):
            port = self.ports[(start + i) % len(self.ports)]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ACK_TIMEOUT)
            try:
                try:
                    conn.connect()
                except ConnectionRefusedError:
                    continue
                except TimeoutError:
                    return "timeout"
                except OSError:
                    return "error"
                try:
                    conn.request("POST", "/slack/events", body=body, headers=headers)
                    assert conn.sock is not None
                    conn.sock.settimeout(max(0.01, ACK_TIMEOUT - (time.monotonic() - started)))
                    resp = conn.getresponse()
                    resp.read()
                    return str(resp.status)
                except TimeoutError:
                    return "timeout"
                except OSError:
                    return "error"
            finally:
                conn.close()
        return "refused"


# -- the load ----------------------------------------------------------------------------------


class Load:
    """Customers sending at a steady rate, Slack's redelivery, and the answers they get."""

    def __init__(self, target: Target, rate: float, duration: float, users: int,
                 senders: int, seed: int) -> None:  # fmt: skip
        self.target, self.rate, self.duration = target, rate, duration
        self.rng = random.Random(seed)
        self.weights = [w for w, _ in TEXTS]
        self.texts = [t for _, t in TEXTS]
        self.lock = threading.Lock()
        self.events: list[Event] = []
        self.latest: dict[str, Event] = {}  # each customer's most recent message
        self.users_created = 0
        self.idle: deque[str] = deque()
        for _ in range(users):
            self.idle.append(self._new_user())
        shuffled = list(self.idle)
        self.rng.shuffle(shuffled)
        self.idle = deque(shuffled)
        self.unsolicited = 0  # answers to customers with nothing outstanding, ever
        self.post_times: list[float] = []  # every chat.postMessage Slack accepted
        self.pool = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="slack-sim")
        self._retries: list[tuple[float, int, Event, int]] = []
        self._retry_cond = threading.Condition()
        self._retry_seq = itertools.count()
        self._inflight = 0
        self._stopping = threading.Event()
        self._retry_thread = threading.Thread(target=self._retry_loop, daemon=True,
                                              name="slack-redelivery")  # fmt: skip
        self.started_at = 0.0
        self.stopped_at = 0.0
        self.behind = 0.0  # the most the sender fell behind its schedule, seconds

    def _new_user(self) -> str:
        self.users_created += 1
        return f"UCUST{self.users_created:06d}"

    # answers, from the fake's handler threads
    def on_post(self, params: dict, at: float) -> None:
        channel = str(params.get("channel", ""))
        self.post_times.append(at)  # list.append is atomic
        if channel.startswith("D"):
            user, kind = channel[1:], "dm"
        elif channel == AGENTS and params.get("thread_ts"):
            match = RELAY.match(str(params.get("text", "")))
            if not match:
                return  # reminders, agents' notes: not answers to a customer
            user, kind = match.group(1), "relay"
        else:
            return  # cards and card updates in the agents' channel
        said = f"{params.get('text', '')} {json.dumps(params.get('blocks'), ensure_ascii=False)}"
        handover = kind == "dm" and any(text in said for text in HANDOVER_TEXTS)
        with self.lock:
            event = self.latest.get(user)
            if event is None:
                self.unsolicited += 1
            elif event.replied_at is None:
                event.replied_at, event.outcome, event.handover = at, kind, handover
                if not handover:
                    self.idle.append(user)  # the customer read the answer and may ask again
            else:
                event.extra += 1

    # sending
    def run(self, on_tick=None) -> None:  # noqa: ANN001 - called each second with elapsed
        self._retry_thread.start()
        total = int(round(self.rate * self.duration))
        self.started_at = start = time.monotonic()
        last_tick = 0
        for i in range(total):
            due = start + i / self.rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            else:
                self.behind = max(self.behind, now - due)
            with self.lock:
                user = self.idle.popleft() if self.idle else self._new_user()
                text = self.rng.choices(self.texts, self.weights)[0]
                envelope = message_event(user, text, "D" + user, channel_type="im")
                event = Event(len(self.events), user, text, envelope)
                self.events.append(event)
                self.latest[user] = event
                self._inflight += 1
            self.pool.submit(self._attempt, event, 0)
            if on_tick is not None and int(time.monotonic() - start) > last_tick:
                last_tick = int(time.monotonic() - start)
                on_tick(last_tick)
        self.stopped_at = time.monotonic()

    def _attempt(self, event: Event, attempt: int) -> None:
        try:
            body = json.dumps(event.envelope).encode()
            headers = {"Content-Type": "application/json",
                       **sign(body.decode(), SECRET)}  # fmt: skip
            if attempt:
                headers["X-Slack-Retry-Num"] = str(attempt)
                headers["X-Slack-Retry-Reason"] = (
                    "http_timeout" if event.first_status == "timeout" else "http_error"
                )
            started = time.monotonic()
            if attempt == 0:
                event.sent_at = started
            status = self.target.post(body, headers)
            elapsed = time.monotonic() - started
            event.attempts += 1
            if attempt == 0:
                event.ack_ms, event.first_status = elapsed * 1000, status
            if status == "200":
                event.acked = True
            elif attempt < len(RETRY_DELAYS) and not self._stopping.is_set():
                with self._retry_cond:
                    heapq.heappush(
                        self._retries,
                        (
                            time.monotonic() + RETRY_DELAYS[attempt],
                            next(self._retry_seq),
                            event,
                            attempt + 1,
                        ),
                    )
                    self._retry_cond.notify()
                return  # still in flight
            else:
                event.gave_up = True
        except Exception as exc:  # noqa: BLE001 - a sender bug must not hang the run
            print(f"load: sending event {event.index} failed: {exc!r}", file=sys.stderr)
            event.gave_up = True
        with self.lock:
            self._inflight -= 1

    def _retry_loop(self) -> None:
        while not self._stopping.is_set():
            with self._retry_cond:
                if not self._retries:
                    self._retry_cond.wait(0.5)
                    continue
                due, _, event, attempt = self._retries[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._retry_cond.wait(min(wait, 0.5))
                    continue
                heapq.heappop(self._retries)
            self.pool.submit(self._attempt, event, attempt)

    def sending(self) -> int:
        with self.lock:
            return self._inflight

    def unanswered(self) -> int:
        with self.lock:
            return sum(1 for e in self.events if e.replied_at is None)

    def stop(self) -> None:
        self._stopping.set()
        with self._retry_cond:
            self._retry_cond.notify_all()
        self.pool.shutdown(wait=True, cancel_futures=True)


# -- one run ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    name: str
    events: list[Event]
    load_seconds: float
    behind: float
    users: int
    unsolicited: int
    drained_in: float | None  # seconds after the load until everything was answered
    fake_ok: int
    fake_failed: int
    injected: Counter[int]
    proxy: dict[str, list[int]]
    db: dict[str, object]
    cpu_during: list[float]  # CPU s during the load: workers, proxy, benchmark, the rest
    machine_busy: float | None  # share of all CPUs busy during the load
    log_levels: Counter[str]
    log_messages: Counter[str]
    agents_backlog: int = 0  # agents' channel posts still queued at the end
    late: int = 0  # unanswered at the end, but the reply is still queued in the outbox
    posts_per_s: float = 0.0  # chat.postMessage accepted per second during the load
    kill_at: float | None = None  # monotonic
    mark_at: float | None = None  # the kill, or in a normal run the moment it would happen
    restarted_ready_at: float | None = None
    killed_pid: int | None = None
    notes: list[str] = field(default_factory=list)


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "SUPPORT_", "DATABASE_", "KB_", "ESCALATION_",
                                "STAGE_", "TIMER_", "LOG_"))}  # fmt: skip
    return env


def run_once(name: str, args: argparse.Namespace, fault: bool, seed: int) -> RunResult:
    logdir = Path(tempfile.mkdtemp(prefix=f"supportbot-load-{name}-"))
    try:
        return _run_once(name, args, fault, seed, logdir)
    finally:
        if args.keep_logs:
            print(f"  [{name}] logs kept in {logdir}")
        else:
            shutil.rmtree(logdir, ignore_errors=True)


def _run_once(name: str, args: argparse.Namespace, fault: bool, seed: int,
              logdir: Path) -> RunResult:  # fmt: skip
    stack = contextlib.ExitStack()
    with stack:
        holder: dict[str, Load] = {}
        fake = RecordingFake(lambda params, at: holder["load"].on_post(params, at)
                             if "load" in holder else None,
                             latency=args.fake_latency)  # fmt: skip
        fake.start()
        stack.callback(fake.stop)
        env = base_env()
        env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_BASE_URL=fake.base_url, SUPPORT_AGENT_CHANNEL=AGENTS,
                   TIMER_INTERVAL_SECONDS=str(args.timer_interval),
                   LOG_LEVEL="WARNING")  # fmt: skip
        database = Database(args.database_url, env)
        stack.callback(database.drop)
        env["DATABASE_URL"] = database.url
        workers = Workers(args.workers, env, logdir)
        stack.callback(workers.stop_all)
        workers.start_all()

        proxy_stats: dict[str, list[int]] = {}
        proxy_pid: int | None = None
        if args.proxy == "process":
            proxy = ProxyProcess(workers.ports, logdir)
            proxy_pid = proxy.proc.pid

            def stop_proxy() -> None:
                proxy_stats.update(proxy.stop())

            stack.callback(stop_proxy)
            target = Target([proxy.port])
        elif args.proxy == "thread":
            thread_proxy = RoundRobinProxy([("127.0.0.1", p) for p in workers.ports]).start()

            def stop_thread_proxy() -> None:
                proxy_stats.update(thread_proxy.stats())
                thread_proxy.stop()

            stack.callback(stop_thread_proxy)
            target = Target([thread_proxy.port])
        else:
            target = Target(list(workers.ports))

        injector = FailureInjector(fake, args.fail_rate, seed)
        injector.start()
        stack.callback(injector.stop)
        load = Load(target, args.rate, args.duration, args.users, args.senders, seed)
        holder["load"] = load
        stack.callback(load.stop)

        result_fault: dict[str, object] = {}

        def fault_thread() -> None:
            kill_due = load.started_at + args.duration * KILL_AT
            while time.monotonic() < kill_due:
                time.sleep(0.05)
            result_fault["kill_at"] = time.monotonic()
            result_fault["pid"] = workers.kill(0)
            time.sleep(RESTART_AFTER)
            workers.start(0)
            workers.wait_ready(0)
            result_fault["ready_at"] = time.monotonic()

        def tick(second: int) -> None:
            if second % 10 == 0:
                inbox, outbox, agents = database.unfinished()
                print(f"  [{name}] t={second:3d}s sent={len(load.events):5d} "
                      f"unanswered={load.unanswered():5d} inbox-unfinished={inbox:4d} "
                      f"outbox-pending: DMs={outbox:5d} agents={agents:4d}",
                      flush=True)  # fmt: skip

        def cpu_snapshot() -> tuple[float, float, float, tuple[float, float] | None]:
            """CPU seconds so far: workers, proxy process, this process; machine jiffies."""
            proxy_cpu = (process_cpu_seconds(proxy_pid) or 0.0) if proxy_pid else 0.0
            return (sum(workers.cpu_seconds()), proxy_cpu, sum(os.times()[:2]),
                    machine_busy())  # fmt: skip

        before = cpu_snapshot()
        faulter = None
        if fault:
            faulter = threading.Thread(target=fault_thread, daemon=True, name="fault")
            # started once the load has a start time
            threading.Timer(0.2, faulter.start).start()
        load.run(on_tick=tick)
        after = cpu_snapshot()
        # CPU seconds during the load only: workers, proxy, benchmark (+ fake), the rest of
        # the machine (PostgreSQL and anything else running).
        cpu_during = [a - b for a, b in zip(after[:3], before[:3], strict=True)]
        cpu_before, cpu_after = before[3], after[3]
        if cpu_before and cpu_after:
            machine_s = (cpu_after[0] - cpu_before[0]) / os.sysconf("SC_CLK_TCK")
            cpu_during.append(machine_s - sum(cpu_during))
        if faulter is not None:
            faulter.join(timeout=120)

        # Stragglers: wait until every message is answered and nothing for a customer is
        # left in the inbox or outbox (rows a dead worker held stay "sending" until their
        # lease ends), then a little longer so that late duplicates are counted. Cards queued
        # for the agents' channel are no customer's answer and are not waited for.
        deadline = load.stopped_at + args.drain
        drained_in = None
        last_print = time.monotonic()
        agents_left = 0
        while time.monotonic() < deadline:
            inbox, outbox, agents_left = database.unfinished()
            unanswered = load.unanswered()
            if unanswered == 0 and inbox == 0 and outbox == 0 and load.sending() == 0:
                drained_in = time.monotonic() - load.stopped_at
                break
            if time.monotonic() - last_print >= 10:
                last_print = time.monotonic()
                print(f"  [{name}] draining +{time.monotonic() - load.stopped_at:3.0f}s "
                      f"unanswered={unanswered:5d} inbox-unfinished={inbox:4d} "
                      f"outbox-pending: DMs={outbox:5d} agents={agents_left:4d} "
                      f"redeliveries-pending={load.sending()}", flush=True)  # fmt: skip
            time.sleep(0.25)
        time.sleep(args.settle)
        agents_left = database.unfinished()[2]
        load.stop()
        injector.stop()
        db_stats = database.stats()
        queued = database.queued_channels()
        stack.close()  # stop everything now (proxy stats are read when it stops)
        levels, messages = workers.log_summary()
        busy = None
        if cpu_before and cpu_after and cpu_after[1] > cpu_before[1]:
            busy = (cpu_after[0] - cpu_before[0]) / (cpu_after[1] - cpu_before[1])
        return RunResult(
            name=name, events=list(load.events),
            load_seconds=load.stopped_at - load.started_at, behind=load.behind,
            users=load.users_created, unsolicited=load.unsolicited, drained_in=drained_in,
            fake_ok=fake.posts_ok, fake_failed=fake.posts_failed,
            injected=Counter(injector.injected), proxy=dict(proxy_stats), db=db_stats,
            cpu_during=cpu_during, machine_busy=busy,
            log_levels=levels, log_messages=messages,
            agents_backlog=agents_left,
            late=sum(1 for e in load.events if e.replied_at is None and "D" + e.user in queued),
            posts_per_s=sum(1 for t in load.post_times if load.started_at <= t
                            <= load.stopped_at) / max(1e-9, load.stopped_at - load.started_at),
            kill_at=result_fault.get("kill_at"),  # type: ignore[arg-type]
            mark_at=result_fault.get("kill_at",  # type: ignore[arg-type]
                                     load.started_at + args.duration * KILL_AT),
            restarted_ready_at=result_fault.get("ready_at"),  # type: ignore[arg-type]
            killed_pid=result_fault.get("pid"),  # type: ignore[arg-type]
        )  # fmt: skip


# -- report ----------------------------------------------------------------------------------


def table(rows: list[tuple[str, ...]], header: tuple[str, ...] | None = None,
          left: int = 1) -> str:  # fmt: skip
    """Plain-text columns: the first `left` columns left-aligned, the others right-aligned."""
    all_rows = ([header] if header else []) + rows
    widths = [max(len(str(r[i])) for r in all_rows) for i in range(len(all_rows[0]))]
    lines = []
    for n, row in enumerate(all_rows):
        lines.append(
            "  ".join(
                str(c).ljust(w) if i < left else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if header and n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


@dataclass
class Summary:
    sent: int
    rate: float
    ack_p50: float | None
    ack_p99: float | None
    ack_max: float | None
    first_not_200: Counter[str]
    redelivered: int
    gave_up: int
    reply_p50: float | None
    reply_p99: float | None
    reply_max: float | None
    relayed: int
    handovers: int
    lost: int
    duplicated: int
    extra_posts: int
    recovery: float | None = None
    recovered: bool = True
    around_kill_max: float | None = None
    around_kill_n: int = 0
    slow_after_kill: int = 0


def summarise(r: RunResult) -> Summary:
    events = r.events
    acks = [e.ack_ms for e in events if e.ack_ms is not None]
    replies = [(e.replied_at - e.sent_at) * 1000 for e in events if e.replied_at is not None]
    sent_times = [e.sent_at for e in events if e.sent_at]
    span = (max(sent_times) - min(sent_times)) if len(sent_times) > 1 else 0.0
    summary = Summary(
        sent=len(events),
        rate=(len(events) - 1) / span if span > 0 else float(len(events)),
        ack_p50=percentile(acks, 50), ack_p99=percentile(acks, 99),
        ack_max=max(acks) if acks else None,
        first_not_200=Counter(e.first_status for e in events if e.first_status != "200"),
        redelivered=sum(1 for e in events if e.attempts > 1),
        gave_up=sum(1 for e in events if e.gave_up and not e.acked),
        reply_p50=percentile(replies, 50), reply_p99=percentile(replies, 99),
        reply_max=max(replies) if replies else None,
        relayed=sum(1 for e in events if e.outcome == "relay"),
        handovers=sum(1 for e in events if e.handover),
        lost=sum(1 for e in events if e.replied_at is None),
        duplicated=sum(1 for e in events if e.extra > 0),
        extra_posts=sum(e.extra for e in events) + r.unsolicited,
    )  # fmt: skip
    if r.mark_at is not None:
        kill = r.mark_at
        before = [e for e in events if e.sent_at <= kill + AROUND_KILL]
        summary.recovered = all(e.replied_at is not None for e in before)
        done = [e.replied_at for e in before if e.replied_at is not None]
        summary.recovery = (max(done) - kill) if done and summary.recovered else None
        around = [e for e in events if abs(e.sent_at - kill) <= AROUND_KILL]
        summary.around_kill_n = len(around)
        waits = [(e.replied_at - e.sent_at) * 1000 for e in around if e.replied_at is not None]
        summary.around_kill_max = max(waits) if waits else None
        summary.slow_after_kill = sum(
            1 for e in events
            if e.sent_at <= kill + AROUND_KILL and e.replied_at is not None
            and e.replied_at - e.sent_at > 10)  # fmt: skip
    return summary


def report_config(args: argparse.Namespace, pg: str) -> str:
    proxy = {
        "process": "round-robin proxy (benchmarks/_proxy.py) in its own process, "
        "skips workers that refuse connections",
        "thread": "round-robin proxy (benchmarks/_proxy.py) in a thread of the benchmark",
        "none": "no proxy: the load generator alternates between the workers' ports",
    }
    rows = [
        ("runs", ", ".join(args.run_list)),
        ("rate (events/s)", f"{args.rate:g}"),
        ("duration (s)", f"{args.duration:g}"),
        ("workers", str(args.workers)),
        ("front", proxy[args.proxy]),
        ("customers", f"{args.users} to start with (more join when all are waiting)"),
        ("Slack retries", "no 200 within 3 s -> same event_id after 1 s, 5 s, 15 s "
                          "(Slack: 0 s, 1 min, 5 min)"),
        ("fake Slack latency", f"{args.fake_latency[0] * 1000:.0f}-"
                               f"{args.fake_latency[1] * 1000:.0f} ms per call (uniform)"),
        ("fake Slack failures", f"~{args.fail_rate:.1%} of chat.postMessage: 429 Retry-After "
                                "1 s or 500, half each"),
        ("fault", f"SIGKILL worker 0 after {KILL_AT:.0%} of the load, restart after "
                  f"{RESTART_AFTER:g} s" if "fault" in args.run_list else "no fault run"),
        ("TIMER_INTERVAL_SECONDS", f"{args.timer_interval:g}"),
        ("wait for stragglers", f"up to {args.drain:g} s after the load"),
        ("machine", f"nproc {os.cpu_count()}, {cpu_model()}, load average before start "
                    f"{os.getloadavg()[0]:.2f}"),
        ("Python", platform.python_version()),
        ("PostgreSQL", pg),
    ]  # fmt: skip
    return table(rows, left=2)


def report_runs(results: list[RunResult], summaries: list[Summary]) -> str:
    names = tuple(r.name for r in results)

    def row(label: str, values: list[str]) -> tuple[str, ...]:  # noqa: E306
        return (label, *values)

    S = summaries
    rows = [
        row("sent (events)", [f"{s.sent:,}" for s in S]),
        row("events/s sent", [f"{s.rate:.1f}" for s in S]),
        row("sender fell behind by (s)", [f"{r.behind:.2f}" for r in results]),
        row("customers", [f"{r.users:,}" for r in results]),
        row("ack p50 (ms)", [ms(s.ack_p50) for s in S]),
        row("ack p99 (ms)", [ms(s.ack_p99) for s in S]),
        row("ack max (ms)", [ms(s.ack_max) for s in S]),
        row("first attempt not 200", [", ".join(f"{k} x{v}" for k, v in sorted(
            s.first_not_200.items())) or "0" for s in S]),
        row("events redelivered", [str(s.redelivered) for s in S]),
        row("events never acked", [str(s.gave_up) for s in S]),
        row("reply p50 (ms)", [ms(s.reply_p50) for s in S]),
        row("reply p99 (ms)", [ms(s.reply_p99) for s in S]),
        row("reply max (ms)", [ms(s.reply_max) for s in S]),
        row("answers handing over to a person", [str(s.handovers) for s in S]),
        row("answered by relay to agent", [str(s.relayed) for s in S]),
        row("lost (no answer by the end)", [str(s.lost) for s in S]),
        row("  of which reply still queued in outbox", [str(r.late) for r in results]),
        row("duplicated (events)", [str(s.duplicated) for s in S]),
        row("extra customer posts", [str(s.extra_posts) for s in S]),
        row("all answered after load (s)",
            [f"{r.drained_in:.1f}" if r.drained_in is not None else "no (timed out)"
             for r in results]),
        row("recovery after kill (s) [1]",
            [(f"{s.recovery:.1f}" if s.recovery is not None else "not recovered")
             + ("" if r.kill_at is not None else " (no kill)")
             for r, s in zip(results, S, strict=True)]),
        row("worst reply, sent +-2.5 s of kill (ms) [1]",
            [f"{ms(s.around_kill_max)} (of {s.around_kill_n})"
             for r, s in zip(results, S, strict=True)]),
        row("replies > 10 s, sent before kill+2.5 s [1]",
            [str(s.slow_after_kill) for r, s in zip(results, S, strict=True)]),
        row("worker restarted, ready after (s)",
            ["-" if r.kill_at is None or r.restarted_ready_at is None
             else f"{r.restarted_ready_at - r.kill_at:.1f}" for r in results]),
        row("fake: chat.postMessage ok/failed", [f"{r.fake_ok}/{r.fake_failed}"
                                                 for r in results]),
        row("fake: injected 429/500", [f"{r.injected[429]}/{r.injected[500]}" for r in results]),
        row("posts accepted/s during load", [f"{r.posts_per_s:.1f}" for r in results]),
        row("agents' channel posts queued at end", [str(r.agents_backlog) for r in results]),
        row("proxy: forwarded per worker", [str(r.proxy.get("forwarded", "-"))
                                            for r in results]),
        row("proxy: refused / failed mid-request",
            [f"{r.proxy.get('refused', '-')} / {r.proxy.get('failed', '-')}" for r in results]),
        row("CPU s during load: workers (all)", [f"{r.cpu_during[0]:.0f}" for r in results]),
        row("  proxy process", [f"{r.cpu_during[1]:.0f}" for r in results]),
        row("  benchmark + fake Slack", [f"{r.cpu_during[2]:.0f}" for r in results]),
        row("  rest of machine (PostgreSQL, other)",
            [f"{r.cpu_during[3]:.0f}" if len(r.cpu_during) > 3 else "-" for r in results]),
        row("machine busy during load", [f"{r.machine_busy:.0%}" if r.machine_busy is not None
                                         else "-" for r in results]),
    ]  # fmt: skip
    for key in results[0].db:
        rows.append(row(f"db: {key}", [str(r.db.get(key, "-")) for r in results]))
    rows.append(row("worker log lines", [", ".join(f"{k} {v}" for k, v in sorted(
        r.log_levels.items())) or "none" for r in results]))  # fmt: skip
    notes = (
        "\n[1] the fault run kills a worker after half of the load; the normal run shows the "
        "same\n    figures for the same moment without a kill, as a baseline. Recovery = "
        "from the kill\n    until every message sent up to 2.5 s after it was answered."
    )
    return table(rows, ("", *names)) + notes


def report_targets(args: argparse.Namespace, results: list[RunResult],
                   summaries: list[Summary]) -> tuple[str, bool]:  # fmt: skip
    rows = []
    all_met = True
    for r, s in zip(results, summaries, strict=True):
        checks = [
            (f"ack p99 <= {TARGET_ACK_P99_MS:.0f} ms at {args.rate:g} events/s",
             s.ack_p99 is not None and s.ack_p99 <= TARGET_ACK_P99_MS, f"{ms(s.ack_p99)} ms"),
            ("0 lost", s.lost == 0, str(s.lost)),
            ("0 duplicated", s.duplicated == 0 and s.extra_posts == 0,
             f"{s.duplicated} events, {s.extra_posts} extra posts"),
        ]  # fmt: skip
        if args.rate < 50:
            checks[0] = (checks[0][0] + " (target is set at 50/s)", checks[0][1], checks[0][2])
        for label, met, value in checks:
            all_met &= met
            rows.append((r.name, label, value, "met" if met else "NOT MET"))
    return table(rows, ("run", "target", "measured", "result"), left=2), all_met


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, help="events per second (default 50; quick 20)")
    parser.add_argument("--duration", type=float, help="seconds of load (default 60; quick 15)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=500, help="customers to start with")
    parser.add_argument(
        "--runs",
        choices=("normal", "fault", "both"),
        help="which runs (default both; with --quick: normal)",
    )
    parser.add_argument("--fault", action="store_true", help="include the fault run")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 events/s for 15 s")
    parser.add_argument(
        "--proxy",
        choices=("process", "thread", "none"),
        default="process",
        help="what spreads the load over the workers (default: %(default)s)",
    )
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server (and a database to connect to) on which the "
        "benchmark creates and drops its own databases",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=120.0,
        help="seconds to wait for stragglers after the load (default 120)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=3.0,
        help="seconds to keep counting after everything was answered",
    )
    parser.add_argument(
        "--timer-interval", type=float, default=2.0, help="TIMER_INTERVAL_SECONDS of the workers"
    )
    parser.add_argument(
        "--senders", type=int, default=200, help="threads posting events (Slack's side)"
    )
    parser.add_argument(
        "--fake-latency",
        default=",".join(f"{v:g}" for v in FAKE_LATENCY),
        help="seconds LOW,HIGH the fake Slack takes per call (default: %(default)s)",
    )
    parser.add_argument(
        "--fail-rate",
        type=float,
        default=FAIL_RATE,
        help="share of chat.postMessage calls that fail (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-logs", action="store_true", help="keep the workers' logs")
    args = parser.parse_args(argv)
    args.rate = args.rate or (20.0 if args.quick else 50.0)
    args.duration = args.duration or (15.0 if args.quick else 60.0)
    runs = args.runs or ("normal" if args.quick else "both")
    if args.fault and runs == "normal":
        runs = "both"
    args.run_list = ["normal", "fault"] if runs == "both" else [runs]
    try:
        low, high = (float(v) for v in args.fake_latency.split(","))
    except ValueError:
        parser.error("--fake-latency: expected LOW,HIGH in seconds, such as 0.05,0.15")
    args.fake_latency = (low, high)
    if urlsplit(args.database_url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--database-url: only a server on 127.0.0.1 is used")
    if args.rate <= 0 or args.duration <= 0 or args.workers < 1:
        parser.error("--rate and --duration must be > 0 and --workers >= 1")
    if "fault" in args.run_list and args.workers < 2:
        parser.error("the fault run needs --workers 2 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    command = " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else str(argv)
    print(f"$ {command}")
    pg = server_version(args.database_url)
    print("Configuration")
    print(report_config(args, pg))
    print(flush=True)
    results: list[RunResult] = []
    started = time.monotonic()
    try:
        for n, name in enumerate(args.run_list):
            print(f"Run {name}: {args.rate:g} events/s for {args.duration:g} s on "
                  f"{args.workers} workers ...", flush=True)  # fmt: skip
            results.append(run_once(name, args, fault=name == "fault", seed=args.seed + n))
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped and the databases dropped",
              file=sys.stderr)  # fmt: skip
        return 130
    summaries = [summarise(r) for r in results]
    print()
    print(f"Results ({time.monotonic() - started:.0f} s in all)")
    print(report_runs(results, summaries))
    for r in results:
        if r.log_messages:
            print(f"\nMost frequent worker warnings/errors, {r.name} run (numbers as N):")
            for text, count in r.log_messages.most_common(6):
                print(f"  {count:6d}  {text}")
    print()
    text, all_met = report_targets(args, results, summaries)
    print("Targets")
    print(text)
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
