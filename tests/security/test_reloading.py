"""The reloader: reloads off the signal handler's thread, coalesced, outliving a bad reload."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.slack.reloading import FileWatcher, Reloader
from knowledge_base.cache import files_digest


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class GatedReload:
    """A reload that blocks until the test opens the gate, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.running = threading.Event()
        self.gate = threading.Event()

    def __call__(self) -> None:
        self.calls += 1
        self.running.set()
        assert self.gate.wait(5), "the test never opened the gate"


@pytest.fixture
def gated() -> Iterator[tuple[Reloader, GatedReload]]:
    reload = GatedReload()
    reloader = Reloader(reload)
    reloader.start()
    yield reloader, reload
    reload.gate.set()
    reloader.stop()


def test_requests_during_a_reload_coalesce_into_one_more(gated) -> None:  # noqa: ANN001
    reloader, reload = gated
    reloader.request()
    assert reload.running.wait(5)
    for _ in range(500):  # more than the pipe's buffer holds, too
        reloader.request()
    reload.gate.set()
    wait_until(lambda: reloader.reloads == 2)
    time.sleep(0.2)
    assert reload.calls == 2, "many requests during one reload make exactly one more"


def test_a_request_after_the_reload_finished_reloads_again(gated) -> None:  # noqa: ANN001
    reloader, reload = gated
    reload.gate.set()
    for expected in (1, 2, 3):
        reloader.request()
        wait_until(lambda expected=expected: reloader.reloads == expected)
    assert reload.calls == 3


def test_a_failing_reload_does_not_stop_the_reloader(caplog: pytest.LogCaptureFixture) -> None:
    outcomes = iter([RuntimeError("disk on fire"), None])

    def reload() -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    reloader = Reloader(reload)
    reloader.start()
    try:
        reloader.request()
        wait_until(lambda: reloader.reloads == 1)
        reloader.request()
        wait_until(lambda: reloader.reloads == 2)
    finally:
        reloader.stop()
    assert "disk on fire" in caplog.text


def test_stop_ends_the_thread_and_later_requests_are_ignored() -> None:
    reloader = Reloader(lambda: None)
    reloader.start()
    reloader.stop(timeout=2)
    assert not reloader._thread.is_alive()
    reloader.request()  # a SIGHUP arriving after shutdown must not write to a closed pipe
    assert reloader.reloads == 0


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
def test_a_signal_storm_never_blocks_the_main_thread() -> None:
    """Each reload takes 50 ms; 200 signals in a row would take 10 s if the handler reloaded."""
    reloads: list[float] = []
    reloader = Reloader(lambda: (time.sleep(0.05), reloads.append(time.monotonic())))
    reloader.start()
    previous = signal.signal(signal.SIGHUP, lambda _signum, _frame: reloader.request())
    try:
        started = time.monotonic()
        for _ in range(200):
            signal.raise_signal(signal.SIGHUP)  # the handler runs here, on this thread
        assert time.monotonic() - started < 1.0, "the signal handler did the reloading"
        wait_until(lambda: reloader.reloads >= 1)
        time.sleep(0.2)
        assert 1 <= reloader.reloads <= 3, reloader.reloads
    finally:
        signal.signal(signal.SIGHUP, previous)
        reloader.stop()


def test_the_watcher_reloads_once_per_change_to_the_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("articles: []\n", encoding="utf-8")
    changes: list[int] = []
    watcher = FileWatcher(lambda: files_digest(tmp_path), lambda: changes.append(1), 0.02)
    watcher.start()
    try:
        time.sleep(0.2)
        assert changes == [], "nothing changed: nothing to reload"
        (tmp_path / "a.yaml").write_text("articles: []\n# edited\n", encoding="utf-8")
        wait_until(lambda: len(changes) == 1)
        (tmp_path / "b.yaml").write_text("articles: []\n", encoding="utf-8")  # a new file
        wait_until(lambda: len(changes) == 2)
        time.sleep(0.2)
        assert len(changes) == 2, "each change reloads once"
    finally:
        watcher.stop()


def test_the_watcher_outlives_an_unreadable_moment_and_a_failing_read() -> None:
    readings: list[str | None | Exception] = ["v1", None, OSError("gone"), "v1", "v2"]
    changes: list[int] = []

    def fingerprint() -> str | None:
        value = readings.pop(0) if readings else "v2"
        if isinstance(value, Exception):
            raise value
        return value

    watcher = FileWatcher(fingerprint, lambda: changes.append(1), 0.01)
    watcher.start()
    try:
        wait_until(lambda: not readings)
        time.sleep(0.1)
        # None (a file mid-save) and a failing read are not changes; v2 is, once.
        assert changes == [1]
    finally:
        watcher.stop()
