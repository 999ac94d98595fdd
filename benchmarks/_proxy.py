"""A tiny round-robin HTTP load balancer for benchmarks/load.py (stdlib only, 127.0.0.1 only).

POST (and GET) requests are forwarded with their headers and body to the next backend in
turn. A backend that refuses the connection (a worker that is down or restarting) is skipped
and the next one is tried, like a load balancer's passive health check. Once a request has
been sent to a backend it is never sent to another one (a POST is not idempotent: nginx and
most balancers behave the same way); if that backend dies mid-request the client gets 502,
and Slack (here: the load generator) redelivers the event.

Runs in a thread (`RoundRobinProxy(...).start()`) or as its own process:

    python benchmarks/_proxy.py --port 8000 --backend 127.0.0.1:3001 --backend 127.0.0.1:3002
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "transfer-encoding", "upgrade", "host"})  # fmt: skip
READY_PATH = "/__proxy_ready"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # socketserver's default backlog of 5 drops bursts
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], backends: list[tuple[str, int]],
                 timeout: float) -> None:  # fmt: skip
        super().__init__(address, _Handler)
        self.backends = backends
        self.backend_timeout = timeout
        self._next = itertools.count()
        self._lock = threading.Lock()
        self.forwarded = [0] * len(backends)
        self.refused = [0] * len(backends)
        self.failed = [0] * len(backends)

    def order(self) -> list[int]:
        with self._lock:
            start = next(self._next) % len(self.backends)
        return [(start + i) % len(self.backends) for i in range(len(self.backends))]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == READY_PATH:
            self._answer(200, b'{"ok": true}', {"Content-Type": "application/json"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        for index in self.server.order():
            host, port = self.server.backends[index]
            conn = http.client.HTTPConnection(host, port, timeout=self.server.backend_timeout)
            try:
                conn.connect()
            except OSError:  # refused (worker down) or unreachable: try the next one
                self.server.refused[index] += 1
                conn.close()
                continue
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except OSError as exc:  # reset or timed out after the request went out: 502
                self.server.failed[index] += 1
                self._answer(502, f"backend {host}:{port} failed: {exc}".encode(), {})
                return
            finally:
                conn.close()
            self.server.forwarded[index] += 1
            out = {k: v for k, v in resp.getheaders()
                   if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"}  # fmt: skip
            out["X-Proxy-Backend"] = f"{host}:{port}"
            self._answer(resp.status, data, out)
            return
        self._answer(503, b"no backend accepted the connection", {})

    do_GET = do_POST

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (its 3 s timeout): nothing to tell it

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class RoundRobinProxy:
    """The proxy served from a daemon thread of the calling process."""

    def __init__(self, backends: list[tuple[str, int]], port: int = 0,
                 timeout: float = 30.0) -> None:  # fmt: skip
        self.server = _Server(("127.0.0.1", port), backends, timeout)
        self.port = self.server.server_address[1]
        self._thread: threading.Thread | None = None

    def start(self) -> RoundRobinProxy:
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def stats(self) -> dict[str, list[int]]:
        s = self.server
        return {"forwarded": list(s.forwarded), "refused": list(s.refused),
                "failed": list(s.failed)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="host:port")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    backends = []
    for spec in args.backend:
        host, _, port = spec.rpartition(":")
        if host not in ("127.0.0.1", "localhost"):
            parser.error("backends must be on 127.0.0.1")
        backends.append((host, int(port)))
    server = _Server(("127.0.0.1", args.port), backends, args.timeout)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        print(f"proxy: forwarded {server.forwarded}, refused {server.refused}, "
              f"failed {server.failed}", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
