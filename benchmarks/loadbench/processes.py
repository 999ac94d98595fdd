"""The processes under test: `supportbot run --http` workers on free ports of 127.0.0.1, the
round-robin proxy in front of them (benchmarks/_proxy.py), and the CPU time they use."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def supportbot_command() -> list[str]:
    """The `supportbot` command of this virtual environment (or `python -m bot`)."""
    exe = Path(sys.executable).parent / "supportbot"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot"]


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
        """Start worker `index` on its port, appending to its log."""
        log = open(self.logdir / f"worker{index}.log", "ab")  # noqa: SIM115 - the child owns it
        self.procs[index] = subprocess.Popen(
            [*supportbot_command(), "run", "--http", "--port", str(self.ports[index]),
             "--host", "127.0.0.1"],
            cwd=self.logdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the benchmark, which stops them in order
        )  # fmt: skip
        log.close()

    def wait_ready(self, index: int, timeout: float = 60.0) -> None:
        """Wait until worker `index` answers /healthz; raise if it exits or takes too long."""
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
        """Start every worker, then wait until each is ready."""
        for index in range(len(self.ports)):
            self.start(index)
        for index in range(len(self.ports)):
            self.wait_ready(index)

    def kill(self, index: int) -> int:
        """SIGKILL worker `index`, keeping its CPU seconds; its pid."""
        proc = self.procs[index]
        assert proc is not None
        self.cpu[index] += process_cpu_seconds(proc.pid) or 0.0
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        return proc.pid

    def cpu_seconds(self) -> list[float]:
        """CPU seconds of each worker so far, killed processes included."""
        return [done + ((process_cpu_seconds(p.pid) or 0.0) if p and p.poll() is None else 0.0)
                for done, p in zip(self.cpu, self.procs, strict=True)]  # fmt: skip

    def stop_all(self) -> None:
        """SIGTERM every live worker; SIGKILL one that has not exited 10 s later."""
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
        """The last `lines` lines of worker `index`'s log."""
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
        """Stop the proxy; its counts per worker (forwarded, refused, failed) from its log."""
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
