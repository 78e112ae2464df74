"""An open-loop load generator: requests on a fixed schedule, latency from the scheduled time.

wrk and hey are closed-loop: a connection sends its next request only once the previous one is
answered, so a server stall also delays the requests that would have measured it (coordinated
omission) and the tail looks shorter than it is. Debian has no wrk2. Here request ``i`` is due at
``start + i / rate`` whatever happened before, and its latency is answer time minus due time, so a
stall counts in every request it held up. A request due while every connection is busy waits for
one (or a new connection), its wait counted.

It runs as its own process (``run_open_loop`` spawns it), so it shares no event loop with anything
measured: asyncio with raw protocols, the request bytes built once, no garbage collector; about a
tenth of a core at 1,000 requests/s, light on a shared machine. Its event loop waits in select(2),
whose timeout has microseconds (epoll's has milliseconds: a request would leave up to 1 ms late);
what lateness remains (``lag``: a busy machine, the timer slack) is counted in the latency, never
in the server's favour, and reported on its own.

    python -m benchmarks.openloop http://127.0.0.1:8443/3ds/areq areq.json --rate 1000

prints one JSON line (``OpenLoopResult``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import json
import math
import selectors
import sys
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.loadgen import Tick, run_child
from benchmarks.procs import BenchError, Children

DRAIN_SECONDS = 5.0  # after the last due time, how long answers are awaited
INITIAL_CONNECTIONS = 8
MAX_CONNECTIONS = 256  # beyond, a due request waits for a connection to free up


@dataclass(frozen=True, slots=True)
class OpenLoopResult:
    rate: float  # requests/s asked for
    sent_per_s: float  # requests/s actually sent in the measured window
    requests: int  # due in the measured window
    errors: int  # not HTTP 200 with the expected text, connection lost, or unanswered
    unanswered: int  # still waiting at the end (counted in the percentiles at the wait so far)
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    mean_ms: float
    lag_p50_ms: float  # the generator's lateness: send time - due time
    lag_p99_ms: float
    lag_max_ms: float
    connections: int  # opened in all
    worst: list[tuple[float, float]] = field(default_factory=list)  # (seconds in, latency ms)

    def cells(self) -> dict[str, str]:
        return {
            "sent/s": f"{self.sent_per_s:,.0f}",
            "p50 ms": f"{self.p50_ms:.2f}",
            "p90 ms": f"{self.p90_ms:.2f}",
            "p99 ms": f"{self.p99_ms:.2f}",
            "p99.9 ms": f"{self.p999_ms:.2f}",
            "max ms": f"{self.max_ms:.1f}",
            "gen. lag p99 ms": f"{self.lag_p99_ms:.2f}",
            "errors": f"{self.errors:,}",
        }

    def as_json(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def run_open_loop(
    children: Children,
    name: str,
    url: str,
    body_file: Path,
    *,
    rate: float,
    duration: int,
    warmup: int,
    expect: str,
    samples: Path | None = None,
    tick: Tick | None = None,
) -> OpenLoopResult:
    """Run the generator as a child for ``warmup + duration`` seconds; its figures (and every
    measured request in ``samples``, see ``read_samples``)."""
    argv = [sys.executable, "-m", "benchmarks.openloop", url, str(body_file),
            "--rate", str(rate), "--duration", str(duration), "--warmup", str(warmup),
            "--expect", expect]  # fmt: skip
    if samples is not None:
        argv += ["--samples", str(samples)]
    total = warmup + duration
    output = run_child(children, name, argv, total + int(DRAIN_SECONDS), tick)
    try:
        data = json.loads(output.strip().splitlines()[-1])
        data["worst"] = [tuple(w) for w in data["worst"]]
        return OpenLoopResult(**data)
    except (ValueError, IndexError, TypeError, KeyError) as exc:
        raise BenchError(f"open-loop generator failed:\n{output[-2000:]}") from exc


def read_samples(path: Path) -> list[tuple[float, float]]:
    """The ``--samples`` file: (due time as Unix time, latency ms) per measured request."""
    with path.open() as lines:
        return [(float(a), float(b)) for a, b in (json.loads(line) for line in lines)]


def percentile(ordered: list[float], p: float) -> float:
    """The nearest-rank percentile of an ordered list."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ------------------------------------------------------------------------------ the child


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, gen: _Generator) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.due = 0.0  # due time of the request in flight
        self.busy = False
        self.need = -1  # bytes of the whole answer once its head is read
        self.head = 0
        self.status = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, due: float, now: float) -> None:
        assert self.transport is not None
        self.due, self.busy = due, True
        self.gen.sent(due, now)
        self.transport.write(self.gen.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.need < 0:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buffer[:end]).lower()
                self.status = int(head[9:12]) if head[:5] == b"http/" else 0
                at = head.find(b"\r\ncontent-length:")
                length = int(head[at + 17 : head.find(b"\r\n", at + 2)]) if at >= 0 else 0
                self.head, self.need = end + 4, end + 4 + length
            if len(self.buffer) < self.need:
                return
            body = bytes(self.buffer[self.head : self.need])
            del self.buffer[: self.need]
            self.need = -1
            self.busy = False
            self.gen.answered(self, self.status == 200 and self.gen.expect in body)

    def connection_lost(self, exc: Exception | None) -> None:
        self.gen.lost(self)


class _Generator:
    def __init__(
        self, url: str, body: bytes, rate: float, duration: float, warmup: float, expect: bytes
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.request = (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        self.rate, self.duration, self.warmup, self.expect = rate, duration, warmup, expect
        self.idle: list[_Connection] = []
        self.conns: set[_Connection] = set()
        self.waiting: collections.deque[float] = collections.deque()  # due times, no connection
        self.open = 0
        self.opening = 0
        self.opened = 0
        self.in_flight = 0
        self.start = 0.0
        self.measure_from = 0.0
        self.latencies: list[float] = []
        self.when: list[float] = []
        self.lags: list[float] = []
        self.errors = 0
        self.sent_measured = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.drained: asyncio.Event | None = None  # set once the last answer is in

    # --- connections

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        self.opening += 1
        try:
            _, conn = await loop.create_connection(lambda: _Connection(self), self.host, self.port)
        except OSError:
            self.opening -= 1
            if self.waiting:  # a request waits for it: it failed
                self._error(self.waiting.popleft(), loop.time())
            return
        self.opening -= 1
        self.open += 1
        self.opened += 1
        self.conns.add(conn)
        self._free(conn)

    def _spawn_connect(self) -> None:
        task = asyncio.get_running_loop().create_task(self._connect())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _free(self, conn: _Connection) -> None:
        if self.waiting:
            conn.send(self.waiting.popleft(), asyncio.get_running_loop().time())
        else:
            self.idle.append(conn)

    # --- requests

    def _issue(self, due: float, now: float) -> None:
        self.in_flight += 1
        while self.idle:
            conn = self.idle.pop()
            if conn.transport is not None and not conn.transport.is_closing():
                conn.send(due, now)
                return
        self.waiting.append(due)
        if self.opening < len(self.waiting) and self.open + self.opening < MAX_CONNECTIONS:
            self._spawn_connect()

    def sent(self, due: float, now: float) -> None:
        if due >= self.measure_from:
            self.sent_measured += 1
            self.lags.append(now - due)

    def answered(self, conn: _Connection, ok: bool) -> None:
        now = asyncio.get_running_loop().time()
        self._record(conn.due, now, ok)
        self._free(conn)

    def lost(self, conn: _Connection) -> None:
        self.open -= 1
        self.conns.discard(conn)
        if conn in self.idle:
            self.idle.remove(conn)
        if conn.busy:
            conn.busy = False
            self._error(conn.due, asyncio.get_running_loop().time())

    def _error(self, due: float, now: float) -> None:
        self._record(due, now, False)

    def _record(self, due: float, now: float, ok: bool) -> None:
        self.in_flight -= 1
        if not self.in_flight and self.drained is not None:
            self.drained.set()
        if due < self.measure_from:
            return
        self.latencies.append(now - due)
        self.when.append(due - self.measure_from)
        self.errors += not ok

    async def run(self) -> OpenLoopResult:
        loop = asyncio.get_running_loop()
        for _ in range(INITIAL_CONNECTIONS):
            await self._connect()
        if not self.idle:
            raise SystemExit(f"cannot connect to {self.host}:{self.port}")
        self.start = loop.time() + 0.05
        self.measure_from = self.start + self.warmup
        total = int(self.rate * (self.warmup + self.duration))
        interval = 1.0 / self.rate
        i = 0
        while i < total:
            due = self.start + i * interval
            now = loop.time()
            if now < due:
                await asyncio.sleep(due - now)
                now = loop.time()
            while i < total and self.start + i * interval <= now:
                self._issue(self.start + i * interval, now)
                i += 1
        if self.in_flight:
            self.drained = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.drained.wait(), DRAIN_SECONDS)
        end = loop.time()
        unanswered = 0
        for due in list(self.waiting) + [c.due for c in self.conns if c.busy]:
            if due >= self.measure_from:
                self.latencies.append(end - due)
                self.when.append(due - self.measure_from)
                unanswered += 1
        return self._result(unanswered)

    def _result(self, unanswered: int) -> OpenLoopResult:
        order = sorted(range(len(self.latencies)), key=self.latencies.__getitem__)
        lat = [self.latencies[i] * 1000 for i in order]
        lags = sorted(x * 1000 for x in self.lags)
        worst = sorted(
            ((round(self.when[i], 3), round(self.latencies[i] * 1000, 2)) for i in order[-10:]),
        )
        return OpenLoopResult(
            rate=self.rate,
            sent_per_s=self.sent_measured / self.duration,
            requests=len(lat),
            errors=self.errors + unanswered,
            unanswered=unanswered,
            p50_ms=percentile(lat, 50),
            p90_ms=percentile(lat, 90),
            p99_ms=percentile(lat, 99),
            p999_ms=percentile(lat, 99.9),
            max_ms=lat[-1] if lat else 0.0,
            mean_ms=sum(lat) / len(lat) if lat else 0.0,
            lag_p50_ms=percentile(lags, 50),
            lag_p99_ms=percentile(lags, 99),
            lag_max_ms=lags[-1] if lags else 0.0,
            connections=self.opened,
            worst=worst,
        )


def _precise_loop() -> asyncio.AbstractEventLoop:
    """An event loop on select(2): microsecond timeouts (a few hundred sockets at most here)."""
    return asyncio.SelectorEventLoop(selectors.SelectSelector())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="open-loop POST load generator")
    parser.add_argument("url")
    parser.add_argument("body_file", type=Path)
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--expect", default="", help="text every good answer contains")
    parser.add_argument(
        "--samples", type=Path, help="also write every measured request (due time as Unix "
        "time, latency ms) there, one JSON array per line, to line stalls up with server events"
    )  # fmt: skip
    args = parser.parse_args(argv)
    gc.disable()  # its own pauses would show as the server's latency; a short run needs none
    gen = _Generator(
        args.url,
        args.body_file.read_bytes(),
        args.rate,
        args.duration,
        args.warmup,
        args.expect.encode(),
    )
    started = time.monotonic()
    with asyncio.Runner(loop_factory=_precise_loop) as runner:
        result = runner.run(gen.run())
    print(f"# {time.monotonic() - started:.1f}s", file=sys.stderr)
    if args.samples:
        wall = time.time() - time.monotonic() + gen.measure_from  # loop.time() is monotonic
        with args.samples.open("w") as out:
            for when, latency in zip(gen.when, gen.latencies, strict=True):
                out.write(f"[{wall + when:.6f}, {latency * 1000:.3f}]\n")
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
