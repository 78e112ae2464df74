"""Child processes: spawn, wait until they serve, and always stop them (also on Ctrl-C).

Children run in their own session so a terminal Ctrl-C reaches only this process, which then
stops them in order (terminate, then kill); nothing is left running whatever way the run ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent  # the project: acs finds config/ and rules/ here


class BenchError(RuntimeError):
    """A benchmark cannot run; the message says what to install or fix."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    url: str  # base URL (http://host:port or redis://host:port/0)
    proc: subprocess.Popen[bytes]


class Children:
    """Owns every child process of a run; ``close`` stops whatever is still running."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._logs: list[IO[bytes]] = []

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def spawn(
        self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` with stdout+stderr to ``<workdir>/<name>.log``."""
        log = self.log_path(name).open("wb")
        self._logs.append(log)
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise BenchError(f"cannot run {argv[0]}: {exc}") from exc
        self._procs.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
        if proc.poll() is None:
            # The whole process group: catches anything the child itself forked.
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        self._procs = [(n, p) for n, p in self._procs if p is not proc]

    def close(self) -> None:
        # A second Ctrl-C must not cut the clean-up short and leave children behind.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for _name, proc in reversed(self._procs):
                self.stop(proc)
            for log in self._logs:
                log.close()
            self._logs.clear()
        finally:
            signal.signal(signal.SIGINT, previous)

    def tail(self, name: str, lines: int = 15) -> str:
        try:
            text = self.log_path(name).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # start_new_session: pgid == pid


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _wait(
    children: Children,
    name: str,
    proc: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    timeout: float,
    hint: str,
) -> None:
    """Poll ``ready()`` until true; fail with the child's log tail when it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if ready():
            return
        time.sleep(0.05)
    why = f"exited with code {proc.returncode}" if proc.poll() is not None else "timed out"
    children.stop(proc)
    tail = children.tail(name)
    log = children.log_path(name)
    raise BenchError(
        f"{name} did not start ({why}).\n{hint}\nlast lines of {log}:\n{tail or '(empty)'}"
    )


def start_redis(children: Children) -> Server:
    """A throwaway redis-server: free port, no RDB, no AOF."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError(
            "redis-server not found on PATH: install it (Debian/Ubuntu: apt-get install "
            "redis-server; macOS: brew install redis)"
        )
    port = free_port()
    datadir = children.workdir / "redis"
    datadir.mkdir(exist_ok=True)
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(datadir)]  # fmt: skip
    proc = children.spawn("redis", argv)
    _wait(children, "redis", proc, lambda: _tcp_open(port), 10,
          "Check that `redis-server --port 0` runs on this machine.")  # fmt: skip
    return Server("redis", f"redis://127.0.0.1:{port}/0", proc)


def acs_binary() -> str:
    # The console script next to this interpreter (make bench runs .venv/bin/python).
    beside = Path(sys.executable).parent / "acs"
    found = str(beside) if beside.exists() else shutil.which("acs")
    if found is None:
        raise BenchError(
            f"the `acs` command is not installed next to {sys.executable}: run `make install` "
            "(pip install -e '.[test,dev]')"
        )
    return found


def start_acs(
    children: Children,
    store_url: str,
    *,
    base_url: bool = False,
    log_level: str | None = "warning",
    name: str = "acs",
    extra: Sequence[str] = (),
) -> Server:
    """``acs serve`` on a free port against ``store_url``, once its /healthz answers 200.

    ``base_url``: pass ``--base-url`` (its own address), the public URL in acsURL and the pages.
    ``log_level``: ``--log-level``; None leaves the default (info). Its stdout (the JSON logs) and
    stderr go to ``<workdir>/<name>.log``, a real file, as a deployment's log collector has them.
    ``extra``: more ``acs serve`` flags (``--keys DIR``, ``--first-creq-timeout S``...).
    """
    port = free_port()
    # Inherited ACS_* settings would change what is measured; pass only the data key.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACS_")}
    env["ACS_DATA_KEY"] = os.urandom(32).hex()
    base = f"http://127.0.0.1:{port}"
    argv = [acs_binary(), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--store", store_url]  # fmt: skip
    if log_level is not None:
        argv += ["--log-level", log_level]
    if base_url:
        argv += ["--base-url", base]
    argv += extra
    proc = children.spawn(name, argv, env=env)
    _wait(children, name, proc, lambda: _http_ok(f"{base}/healthz"), 60,
          "Run `.venv/bin/acs serve` by hand to see why; `make install` reinstalls the "
          "project and its dependencies.")  # fmt: skip
    return Server(name, base, proc)


def start_echo(children: Children) -> Server:
    """The JSON echo server (the ceiling), once its /healthz answers 200."""
    port = free_port()
    argv = [sys.executable, "-m", "benchmarks.echo_server", "--host", "127.0.0.1",
            "--port", str(port)]  # fmt: skip
    proc = children.spawn("echo", argv)
    base = f"http://127.0.0.1:{port}"
    _wait(children, "echo", proc, lambda: _http_ok(f"{base}/healthz"), 30,
          "It needs aiohttp and msgspec in this interpreter: run `make install`.")  # fmt: skip
    return Server("echo", base, proc)


def start_stub_ds(children: Children) -> Server:
    """The stub DS (``benchmarks.stub_ds``): answers RReq with RRes; base URL, /rreq to post."""
    port = free_port()
    argv = [sys.executable, "-m", "benchmarks.stub_ds", "--host", "127.0.0.1",
            "--port", str(port)]  # fmt: skip
    proc = children.spawn("stub-ds", argv)
    base = f"http://127.0.0.1:{port}"
    _wait(children, "stub-ds", proc, lambda: _http_ok(f"{base}/healthz"), 30,
          "It needs aiohttp and msgspec in this interpreter: run `make install`.")  # fmt: skip
    return Server("stub-ds", base, proc)


def cpu_seconds(pid: int) -> float | None:
    """User+system CPU seconds a process has used so far (Linux /proc; None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> tuple[float, float] | None:
    """(busy, total) CPU seconds over all cores since boot (Linux /proc/stat; None elsewhere)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    ticks = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
    hz = os.sysconf("SC_CLK_TCK")
    total = sum(ticks)
    return (total - ticks[3] - ticks[4]) / hz, total / hz


def run_queue_ns(pid: int) -> int | None:
    """Nanoseconds a process has waited for a CPU so far: runnable, not running, because other
    processes had the cores (Linux ``/proc/<pid>/schedstat``, its main thread; None elsewhere)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None


class RunQueueSampler:
    """Samples, every ``interval`` seconds in a thread, how long each process waited for a CPU.

    On a shared machine that is the neighbours' share of a latency tail: a request cannot be
    served while the server (or its store) waits for a core. ``windows`` holds (Unix time at the
    window's end, {name: ms waited in the window}).
    """

    def __init__(self, pids: dict[str, int], interval: float = 0.05) -> None:
        self.pids = pids
        self.interval = interval
        self.windows: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="run-queue", daemon=True)

    def __enter__(self) -> RunQueueSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _read(self) -> dict[str, int]:
        return {n: ns for n, pid in self.pids.items() if (ns := run_queue_ns(pid)) is not None}

    def _run(self) -> None:
        last = self._read()
        while not self._stop.wait(self.interval):
            now = self._read()
            waited = {n: (ns - last[n]) / 1e6 for n, ns in now.items() if n in last}
            self.windows.append((time.time(), waited))
            last = now

    def total_ms(self, name: str) -> float:
        return sum(w.get(name, 0.0) for _, w in self.windows)
