"""Reloads asked for by a signal, done on a thread of their own, coalesced.

A signal handler runs on the main thread between two bytecodes, possibly inside a lock that
thread already holds (logging, a buffered stream, an Event's condition) and possibly inside
another signal handler. So the handler only writes one byte to a pipe, which takes no lock and
never blocks; the reloader thread reads every pending byte at once, so any number of requests
made while one reload runs cause exactly one more.

`FileWatcher` asks for the same reload when the knowledge base's files change: several workers
share KB_PATH, and an article one of them approves (or an editor saves) must reach the others
without anyone sending each of them a SIGHUP.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class FileWatcher:
    """Every `interval` seconds, `fingerprint()` (a hash of the files; None when unreadable);
    when it differs from the last one read, `changed()`."""

    def __init__(
        self,
        fingerprint: Callable[[], str | None],
        changed: Callable[[], object],
        interval: float,
        name: str = "supportbot-kb-watcher",
    ) -> None:
        self._fingerprint = fingerprint
        self._changed = changed
        self._interval = interval
        self._stop = threading.Event()
        self._seen = fingerprint()  # what the process started with
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.changes = 0  # changes seen, for logs and tests

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                now = self._fingerprint()
            except Exception:  # the watcher must outlive a bad read; the next pass retries
                log.exception("could not read the knowledge base's files")
                continue
            # Mid-save (a file unreadable for a moment) is not a change: wait for a whole read.
            if now is None or now == self._seen:
                continue
            self._seen = now
            self.changes += 1
            log.info("knowledge base files changed: reloading")
            self._changed()


class Reloader:
    """Runs `reload` on its own thread each time it is asked, at most one pending at a time."""

    def __init__(self, reload: Callable[[], object], name: str = "supportbot-reloader") -> None:
        self._reload = reload
        self._read, self._write = os.pipe()
        # Non-blocking both ways: a full pipe already holds a pending request, so a write that
        # would block is dropped and the signal handler never waits; reads drain what is there.
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.reloads = 0  # reloads finished (or failed), for logs and tests

    def start(self) -> None:
        """Start the reloader thread."""
        self._thread.start()

    def request(self) -> None:
        """Ask for a reload; safe to call from a signal handler: one write, no lock."""
        if not self._stopping:  # once stopped, the descriptor may be closed and reused
            self._poke()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the reload in progress, if any; pending requests are dropped."""
        if self._stopping:
            return
        self._stopping = True
        self._poke()  # wake the thread, which now sees it must stop
        if self._thread.is_alive():
            self._thread.join(timeout)
        if not self._thread.is_alive():  # a reload stuck past the timeout keeps its pipe
            os.close(self._read)
            os.close(self._write)

    def _poke(self) -> None:
        # A full pipe already holds a wake-up that has not been read: one more adds nothing.
        with contextlib.suppress(OSError):
            os.write(self._write, b"\0")

    def _run(self) -> None:
        while True:
            select.select([self._read], [], [])
            if self._stopping:
                return
            # Take every request made so far: the one reload below satisfies them all.
            self._drain()
            try:
                self._reload()
            except Exception:  # the reloader must outlive a bad reload; the next SIGHUP retries
                log.exception("knowledge base reload failed")
            self.reloads += 1

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError):  # nothing more to read
            while os.read(self._read, 4096):
                pass
