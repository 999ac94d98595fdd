"""Slack's side of the load: customers writing in their DMs, their events delivered as Slack
delivers them (signed, and redelivered when no 200 comes back in time), and the answers matched
to the one message each customer has outstanding.

The rules (who writes when, what counts as an answer) are in benchmarks/load.py's docstring.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import random
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.config import SUPPORTED_LOCALES
from bot.service.phrasebook import say
from bot.service.vocabulary import Phrase
from tests.scenario.slack_requests import message_event, sign

SECRET = "load-benchmark-signing-secret"
AGENTS = "CAGENTS"
ACK_TIMEOUT = 3.0  # Slack's: no 200 within 3 s means "deliver again"
RETRY_DELAYS = (1.0, 5.0, 15.0)  # Slack: ~0 s, 1 min, 5 min; compressed here
RELAY = re.compile(r"^\*<@([A-Z0-9]+)>:\*")
# "A person will answer you here": a customer who reads it waits for that person.
HANDOVER_TEXTS = tuple(say(Phrase.HANDOVER, locale) for locale in SUPPORTED_LOCALES)

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


class Target:
    """Where events go: the proxy's one port, or (no proxy) the workers' ports in turn,
    skipping a port that refuses the connection."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._next = itertools.count()
        self._lock = threading.Lock()

    def post(self, body: bytes, headers: dict[str, str]) -> str:
        """POST one event; the HTTP status, or "timeout", "error" or "refused"."""
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
        """Match a chat.postMessage Slack accepted to the message it answers, if any."""
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
    def run(self, on_tick: Callable[[int], None] | None = None) -> None:
        """Send rate x duration events on schedule; `on_tick` is called each second, elapsed."""
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
        """Events not yet acked and not given up: in flight or waiting to be redelivered."""
        with self.lock:
            return self._inflight

    def unanswered(self) -> int:
        """Messages sent so far that have no answer yet."""
        with self.lock:
            return sum(1 for e in self.events if e.replied_at is None)

    def stop(self) -> None:
        """Stop redelivering and wait for the senders to finish."""
        self._stopping.set()
        with self._retry_cond:
            self._retry_cond.notify_all()
        self.pool.shutdown(wait=True, cancel_futures=True)
