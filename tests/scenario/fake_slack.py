"""A local fake of Slack's Web API, for tests that drive a real ``slack_sdk.WebClient``.

The fake is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (any free port) run in a daemon
thread. Point the app at it with ``SLACK_API_BASE_URL=fake.base_url`` (or
``WebClient(token="xoxb-...", base_url=fake.base_url)``). The client joins the method name
onto ``base_url`` with ``urllib.parse.urljoin``, so ``base_url`` ends with ``/api/``.

Every request is recorded as a :class:`Call`; tests assert on ``calls``, ``calls_to`` and
``wait_for``, and inject failures with ``fail_next``. Response bodies follow the shapes in
Slack's method reference (auth.test, chat.postMessage, users.info, ...), trimmed to the
fields an app reads.

The fake is strict by default: each call is checked against Slack's method reference and
Block Kit's limits (tests/scenario/slack_contract.py, block_kit.py) and the scopes of the
repository's manifest.yml. An invalid call is answered as Slack would (``unknown_method``,
``invalid_arguments``, ``missing_scope``, ``invalid_blocks``) and recorded in ``violations``;
``wait_for`` and ``stop`` (so leaving ``with FakeSlack()``) then raise AssertionError, which
fails the test that made the call. A test that sends invalid calls on purpose reads them with
``take_violations()``.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.scenario import block_kit, slack_contract
from tests.scenario.fake_slack_files import FakeFiles
from tests.scenario.fake_slack_http import (
    Handler,
    make_handler,
    maybe_json,
    parse_body,
    read_raw,
)
from tests.scenario.fake_slack_web import FakeWorkspace

# Parameters the client sends as JSON-encoded strings when it form-encodes a request
# (e.g. ``api_call(params=...)``); decoded so tests can assert on structures, not strings.
_JSON_STRING_PARAMS = frozenset(
    {"blocks", "attachments", "view", "metadata", "unfurls", "files", "file_ids"}
)

# Bodies for the HTTP errors ``fail_next`` injects, as Slack sends them.
_ERROR_BY_STATUS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


@dataclass
class Call:
    """One request the fake received."""

    method: str  # API method ("chat.postMessage"), or "response_url"
    params: dict[str, Any]  # query string + form or JSON body, JSON strings decoded
    token: str | None  # from "Authorization: Bearer ..." or the ``token`` param
    at: float  # time.monotonic() on arrival
    path: str = ""  # request path, e.g. "/api/chat.postMessage" or "/response/abc"
    # Set once the fake has answered it (history, files and reactions updated): wait_for
    # returns answered calls only, so a test reading fake.history next sees the message.
    answered: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Violation:
    """A call Slack would have refused, and the test that was running when it came."""

    method: str
    error: str  # what the fake answered: unknown_method, invalid_arguments, ...
    detail: str
    params: dict[str, Any]
    test: str  # PYTEST_CURRENT_TEST at arrival, "" outside pytest

    def __str__(self) -> str:
        return f"{self.method}: {self.error}: {self.detail} [{self.test or 'no test'}]"


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
        *,
        strict: bool = True,
        scopes: frozenset[str] | None = None,
    ) -> None:
        """`scopes`: what the bot token holds (default: manifest.yml's bot scopes, read on
        start). `strict`: make invalid calls fail the test (see the module docstring)."""
        self.strict = strict
        self.scopes: frozenset[str] = scopes if scopes is not None else frozenset()
        self._scopes_given = scopes is not None
        self._violations: list[Violation] = []
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_id = "B1"
        self.latency = latency
        self.slow_channels: dict[str, float] = {}  # channel -> seconds every call to it takes
        self.workspace = FakeWorkspace(self)
        # The workspace's own dicts, so tests configure them on the fake.
        self.users = self.workspace.users
        self.usergroups = self.workspace.usergroups
        self.history = self.workspace.history
        self.reactions = self.workspace.reactions
        self.shared_channels = self.workspace.shared_channels
        self.files = FakeFiles(self)
        self.base_url = ""
        self._calls: list[Call] = []
        # One condition guards calls, failures and counters, and wakes ``wait_for``.
        self._cond = threading.Condition()
        self._failures: dict[str, list[_Failure]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._answering = threading.local()  # the call each server thread is answering

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            return self
        if not self._scopes_given:
            self.scopes = slack_contract.manifest_scopes()
        if self.strict:
            slack_contract.methods()  # a missing spec stops here, not in a server thread
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
        """Stop serving and release the port; then raise if Slack would have refused a call."""
        self._shutdown()
        self.check()

    def _shutdown(self) -> None:
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
        self._shutdown()
        if self.strict and exc is not None and self._violations:
            # The test failed already: say what Slack refused too, without hiding its error.
            exc.add_note(self._report(self.take_violations()))
            return
        self.check()

    # -- violations ------------------------------------------------------------------------

    @property
    def violations(self) -> list[Violation]:
        """A snapshot of the calls Slack would have refused, in arrival order."""
        with self._cond:
            return list(self._violations)

    def take_violations(self) -> list[Violation]:
        """The violations so far, forgotten here (for tests that send invalid calls on purpose)."""
        with self._cond:
            taken, self._violations = self._violations, []
            return taken

    def check(self) -> None:
        """Raise AssertionError listing the calls Slack would have refused (strict mode)."""
        if self.strict and self._violations:
            raise AssertionError(self._report(self.take_violations()))

    @staticmethod
    def _report(violations: list[Violation]) -> str:
        lines = "\n".join(f"  {v}\n    params: {v.params!r}"[:2000] for v in violations)
        return f"the app made {len(violations)} call(s) Slack would refuse:\n{lines}"

    def violation(self, method: str, detail: str, params: dict[str, Any],
                  error: str = "invalid_request") -> None:  # fmt: skip
        """Record a call Slack would refuse (also used by the fake's collaborators)."""
        found = Violation(method, error, detail, dict(params),
                          os.environ.get("PYTEST_CURRENT_TEST", ""))  # fmt: skip
        with self._cond:
            self._violations.append(found)
            self._cond.notify_all()

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
            done = [c for c in self._calls if c.answered and c.method == method]
            return [c for c in done if where is None or where(c)]

        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := matching()) < count:
                if self.strict and self._violations:
                    raise AssertionError(self._report(self.take_violations()))
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
        return f"{self.root_url}response/{response_id}"

    @property
    def root_url(self) -> str:
        """The fake's own address, ending in "/" (files and response URLs hang off it)."""
        return self.base_url.removesuffix("api/")

    def add_file(self, user: str, name: str, content: bytes, *, title: str | None = None,
                 mimetype: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Register a file `user` shared; returns Slack's file object (put it in the message
        event's `files`). Its url_private_download serves `content` to a bot token."""
        return self.files.add(user, name, content, title=title, mimetype=mimetype)

    def add_to_history(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        """Append a message posted by the app to a channel's history; returns it with its ts."""
        return self.workspace.add_to_history(channel, message)

    # -- request handling (called from server threads) -------------------------------------

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
        self._answering.call = call

    def _answered(self) -> None:
        """Mark the call this server thread recorded as answered, and wake wait_for."""
        call = getattr(self._answering, "call", None)
        self._answering.call = None
        if call is not None:
            with self._cond:
                call.answered = True
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

    def _handle(self, handler: Handler) -> None:
        """Record the request, then answer it (failure, auth error or method result)."""
        try:
            self._serve(handler)
        finally:
            self._answered()

    def _serve(self, handler: Handler) -> None:
        split = urlsplit(handler.path)
        raw = read_raw(handler)
        arrived = time.monotonic()
        token = _bearer(handler)
        if split.path.startswith("/upload/"):
            file_id = split.path.removeprefix("/upload/")
            self._record(Call("file_upload", {"file_id": file_id, "size": len(raw)}, token,
                              arrived, split.path))  # fmt: skip
            status, text = self.files.receive(file_id, raw)
            handler.reply_raw(status, text, "text/plain; charset=utf-8")
            return
        if split.path.startswith("/files-pri/"):
            self._record(Call("file_download", {}, token, arrived, split.path))
            status, data, ctype = self.files.download(split.path, token or "")
            handler.reply_raw(status, data, ctype)
            return
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        params.update(parse_body(raw, handler.headers.get("Content-Type", "")))

        if split.path.startswith("/response/"):
            self._record(Call("response_url", params, None, arrived, split.path))
            self._delay()
            problems = slack_contract.check_response_url(params)
            for problem in problems:
                self.violation("response_url", problem.detail, params, problem.error)
            if problems:
                handler.reply(200, {"ok": False, "error": problems[0].error})
                return
            handler.reply(200, {"ok": True})
            return
        if not split.path.startswith("/api/"):
            handler.reply(404, {"ok": False, "error": "unknown_path"})
            return

        method = split.path.removeprefix("/api/")
        # The token is recorded on the Call, so params hold only the method's arguments.
        token = token or params.pop("token", None) or None
        params.pop("token", None)
        for key in _JSON_STRING_PARAMS & params.keys():
            params[key] = maybe_json(params[key])
        self._record(Call(method, params, token, arrived, split.path))
        problems = self._problems(method, params) if self.strict else []
        for problem in problems:
            self.violation(method, problem.detail, params, problem.error)
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
        refused = [problem for problem in problems if problem.refused]
        if refused:
            handler.reply(200, self._refusal(refused[0]))
            return
        handler.reply(200, self.workspace.answer(method, params))

    def _problems(self, method: str, params: dict[str, Any]) -> list[slack_contract.Problem]:
        """What Slack would refuse in this call, including images of files it does not have."""
        problems = slack_contract.check_call(method, params, self.scopes)
        view = params.get("view")
        blocks = view.get("blocks") if isinstance(view, dict) else params.get("blocks")
        for file_id in block_kit.slack_file_ids(blocks):
            if not self.files.known(file_id):
                detail = f"an image shows slack_file {file_id!r}, which Slack does not have"
                problems.append(slack_contract.Problem("invalid_blocks", detail))
        return problems

    def _refusal(self, problem: slack_contract.Problem) -> dict[str, Any]:
        """Slack's error body; missing_scope says what was needed and what the token has."""
        body: dict[str, Any] = {"ok": False, "error": problem.error}
        if problem.error == "missing_scope":
            body["needed"] = problem.needed
            body["provided"] = ",".join(sorted(self.scopes))
        else:
            body["response_metadata"] = {"messages": [f"[ERROR] {problem.detail}"]}
        return body

    def _delay(self) -> None:
        low, high = self.latency
        if high > 0:
            time.sleep(random.uniform(low, high))


def _bearer(handler: Handler) -> str | None:
    """The token of an "Authorization: Bearer ..." header, if any."""
    auth = handler.headers.get("Authorization", "")
    return auth.removeprefix("Bearer ").strip() or None if auth.startswith("Bearer ") else None
