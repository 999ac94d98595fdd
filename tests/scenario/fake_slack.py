"""A local fake of Slack's Web API, for tests that drive a real ``slack_sdk.WebClient``.

The fake is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (any free port) run in a daemon
thread. Point the app at it with ``SLACK_API_BASE_URL=fake.base_url`` (or
``WebClient(token="xoxb-...", base_url=fake.base_url)``). The client joins the method name
onto ``base_url`` with ``urllib.parse.urljoin``, so ``base_url`` ends with ``/api/``.

Every request is recorded as a :class:`Call`; tests assert on ``calls``, ``calls_to`` and
``wait_for``, and inject failures with ``fail_next``. Response bodies follow the shapes in
Slack's method reference (auth.test, chat.postMessage, users.info, ...), trimmed to the
fields an app reads.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.scenario.fake_slack_http import (
    Handler,
    channel_info,
    make_handler,
    maybe_json,
    read_body,
)

# Parameters the client sends as JSON-encoded strings when it form-encodes a request
# (e.g. ``api_call(params=...)``); decoded so tests can assert on structures, not strings.
_JSON_STRING_PARAMS = frozenset({"blocks", "attachments", "view", "metadata", "unfurls"})

# Bodies for the HTTP errors ``fail_next`` injects, as Slack sends them.
_ERROR_BY_STATUS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}

# Keys of a ``users`` entry that belong in ``user.profile`` rather than on ``user`` itself.
_PROFILE_KEYS = frozenset({"real_name", "display_name", "email", "title", "status_text"})


@dataclass
class Call:
    """One request the fake received."""

    method: str  # API method ("chat.postMessage"), or "response_url"
    params: dict[str, Any]  # query string + form or JSON body, JSON strings decoded
    token: str | None  # from "Authorization: Bearer ..." or the ``token`` param
    at: float  # time.monotonic() on arrival
    path: str = ""  # request path, e.g. "/api/chat.postMessage" or "/response/abc"


@dataclass
class _Failure:
    status: int
    times: int
    retry_after: int | None


class FakeSlack:
    """A fake Slack Web API server; see the module docstring."""

    def __init__(
        self,
        bot_user_id: str = "UBOT",
        team_id: str = "T1",
        latency: tuple[float, float] = (0, 0),
    ) -> None:
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_id = "B1"
        self.latency = latency
        self.slow_channels: dict[str, float] = {}  # channel -> seconds every call to it takes
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.base_url = ""
        self._calls: list[Call] = []
        # One condition guards calls, failures and counters, and wakes ``wait_for``.
        self._cond = threading.Condition()
        self._failures: dict[str, list[_Failure]] = {}
        self._ts_counter = 0
        self._view_counter = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # What the app posted, per channel, for conversations.history and .replies.
        self.history: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self))
        server.daemon_threads = True  # a hung client must not block interpreter exit
        self._server = server
        host, port = server.server_address[:2]
        self.base_url = f"http://{host}:{port}/api/"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- inspection ------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every request so far, in arrival order."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The calls to one API method (or "response_url"), in order."""
        return [c for c in self.calls if c.method == method]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until at least ``count`` matching calls arrived; return them.

        The app answers Slack before it calls the Web API (ack first, work later), so tests
        wait here instead of sleeping. Raises AssertionError listing what did arrive.
        """

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and (where is None or where(c))]

        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := matching()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(f"  {c.method} {c.params!r}" for c in self._calls)
                    raise AssertionError(
                        f"expected {count} call(s) to {method}"
                        f"{' matching the filter' if where else ''} within {timeout}s, "
                        f"got {len(found)}; calls seen:\n{seen or '  (none)'}"
                    )
                self._cond.wait(remaining)
            return found

    def reset(self) -> None:
        """Forget recorded calls and pending failures (users and usergroups stay)."""
        with self._cond:
            self._calls.clear()
            self._failures.clear()

    # -- configuration ---------------------------------------------------------------------

    def fail_next(
        self, method: str, status: int = 500, times: int = 1, retry_after: int | None = None
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with HTTP ``status``.

        429 carries ``Retry-After: retry_after`` (default 1); slack_sdk's
        RateLimitErrorRetryHandler parses it with ``int()``, so it is whole seconds.
        """
        with self._cond:
            self._failures.setdefault(method, []).append(_Failure(status, times, retry_after))

    def response_url(self, response_id: str) -> str:
        """A response_url that posts back to this fake (recorded as method "response_url")."""
        root = self.base_url.removesuffix("api/")
        return f"{root}response/{response_id}"

    # -- request handling (called from server threads) -------------------------------------

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _take_failure(self, method: str) -> _Failure | None:
        with self._cond:
            queue = self._failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
            return failure

    def _next_ts(self) -> str:
        """Unique, increasing message timestamps from the clock, as Slack's are (seconds since
        the epoch, with microseconds), so `oldest=` filters work as they do on Slack."""
        with self._cond:
            micros = max(int(time.time() * 1_000_000), self._ts_counter + 100)
            self._ts_counter = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_view_id(self) -> str:
        with self._cond:
            self._view_counter += 1
            return f"V{self._view_counter:08d}"

    def _handle(self, handler: Handler) -> None:
        """Record the request, then answer it (failure, auth error or method result)."""
        split = urlsplit(handler.path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        params.update(read_body(handler))
        arrived = time.monotonic()

        if split.path.startswith("/response/"):
            self._record(Call("response_url", params, None, arrived, split.path))
            self._delay()
            handler.reply(200, {"ok": True})
            return
        if not split.path.startswith("/api/"):
            handler.reply(404, {"ok": False, "error": "unknown_path"})
            return

        method = split.path.removeprefix("/api/")
        auth = handler.headers.get("Authorization", "")
        header_token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        # The token is recorded on the Call, so params hold only the method's arguments.
        token = header_token or params.pop("token", None) or None
        params.pop("token", None)
        for key in _JSON_STRING_PARAMS & params.keys():
            params[key] = maybe_json(params[key])
        self._record(Call(method, params, token, arrived, split.path))
        self._delay()
        slow = self.slow_channels.get(str(params.get("channel", "")))
        if slow:
            time.sleep(slow)

        failure = self._take_failure(method)
        if failure is not None:
            error = _ERROR_BY_STATUS.get(failure.status, f"http_{failure.status}")
            headers = {}
            if failure.status == 429:
                headers["Retry-After"] = str(failure.retry_after or 1)
            handler.reply(failure.status, {"ok": False, "error": error}, headers)
            return
        if not token:
            handler.reply(200, {"ok": False, "error": "not_authed"})
            return
        if not token.startswith("xoxb-"):
            handler.reply(200, {"ok": False, "error": "invalid_auth"})
            return
        handler.reply(200, self._answer(method, params))

    def _delay(self) -> None:
        low, high = self.latency
        if high > 0:
            time.sleep(random.uniform(low, high))

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        """The ``{"ok": true, ...}`` body for one method, in Slack's response shape."""
        channel = str(p.get("channel", ""))
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake-workspace.slack.com/",
                "team": "Fake Workspace",
                "user": "supportbot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "text": p.get("text", ""),
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "team": self.team_id,
                "ts": ts,
            }
            for key in ("blocks", "attachments", "thread_ts", "metadata"):
                if key in p:
                    message[key] = p[key]
            with self._lock:
                self.history.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method in ("conversations.history", "conversations.replies"):
            with self._lock:
                posted = list(self.history.get(channel, []))
            if method == "conversations.replies":
                root = str(p.get("ts", ""))
                posted = [m for m in posted if m["ts"] == root or m.get("thread_ts") == root]
            else:
                oldest = float(p.get("oldest") or 0)
                posted = [m for m in posted if "thread_ts" not in m and float(m["ts"]) > oldest]
            if str(p.get("include_all_metadata", "")).lower() not in ("true", "1"):
                posted = [{k: v for k, v in m.items() if k != "metadata"} for m in posted]
            return {"ok": True, "messages": list(reversed(posted)), "has_more": False}
        if method == "chat.update":
            ts = str(p.get("ts", ""))
            message = {"text": p.get("text", ""), "user": self.bot_user_id, "ts": ts}
            if "blocks" in p:
                message["blocks"] = p["blocks"]
            text = message["text"]
            return {"ok": True, "channel": channel, "ts": ts, "text": text, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.getPermalink":
            ts = str(p.get("message_ts", ""))
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://fake-workspace.slack.com/archives/{channel}/p"
                + ts.replace(".", ""),
            }
        if method.startswith("views."):
            return {"ok": True, "view": self._view(method, p)}
        if method == "conversations.open":
            users = str(p.get("users", "")).split(",")
            return {"ok": True, "channel": {"id": "D" + users[0]}}
        if method == "conversations.info":
            return {"ok": True, "channel": channel_info(channel)}
        if method == "users.info":
            return self._user_info(str(p.get("user", "")))
        if method == "usergroups.users.list":
            group = str(p.get("usergroup", ""))
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(self.usergroups[group])}
        return {"ok": True}  # reactions.add and anything else: accepted, recorded

    def _view(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        view = p.get("view") if isinstance(p.get("view"), dict) else {}
        view_id = str(p.get("view_id") or self._next_view_id())
        default_type = "home" if method == "views.publish" else "modal"
        return {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type", default_type),
            "hash": f"{int(time.time())}.{random.randrange(10**8):08d}",
            "root_view_id": view_id,
            "app_id": "A1",
            "bot_id": self.bot_id,
        }

    def _user_info(self, user_id: str) -> dict[str, Any]:
        # A configured directory is authoritative; with none, any id is a plausible person.
        if self.users and user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        info = self.users.get(user_id) or {
            "name": user_id.lower(),
            "real_name": f"User {user_id}",
            "image_72": f"https://avatars.example.com/{user_id}_72.png",
        }
        real_name = info.get("real_name", info.get("name", user_id))
        profile = {"real_name": real_name, "display_name": info.get("display_name", "")}
        for key, value in info.items():
            if key in _PROFILE_KEYS or key.startswith("image_"):
                profile[key] = value
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": info.get("name", user_id.lower()),
            "deleted": False,
            "real_name": real_name,
            "is_bot": False,
            "tz": "Europe/Rome",
        }
        user.update({k: v for k, v in info.items() if k not in profile and k != "name"})
        user["profile"] = profile
        return {"ok": True, "user": user}
