"""Load generation in a separate process: ``wrk`` (preferred) or an asyncio fallback.

``wrk`` is C and needs one core for tens of thousands of requests/s, so it measures the server and
not itself. The fallback (``python -m benchmarks.loadgen``, aiohttp client) exists only for hosts
without wrk; it saturates well below the echo ceiling, so its ratios are not comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.procs import BenchError, Children

Tick = Callable[[float], None]  # called with elapsed seconds while a run is in progress


@dataclass(frozen=True, slots=True)
class LoadResult:
    tool: str
    requests: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors, timeouts and non-2xx answers

    def cells(self) -> dict[str, str]:
        return {
            "requests/s": f"{self.requests_per_s:,.0f}",
            "p50 ms": f"{self.p50_ms:.2f}",
            "p99 ms": f"{self.p99_ms:.2f}",
        }

    def as_json(self) -> dict[str, float | int | str]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class RoundRuns:
    """One variant's measured runs (a round each), its server CPU per request, and the median
    over the rounds of its requests/s over the baseline's (None: the baseline itself)."""

    runs: list[LoadResult]
    cpu_us: float | None
    ratio: float | None
    baseline: str  # names the ratio column ("/ direct") and JSON key ("ratio_to_direct")

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.runs)

    @property
    def requests_per_s(self) -> float:
        return self.requests / sum(r.seconds for r in self.runs)

    def cells(self) -> dict[str, str]:
        return {
            "requests/s": f"{self.requests_per_s:,.0f}",
            "p50 ms": f"{statistics.median(r.p50_ms for r in self.runs):.2f}",
            "p99 ms": f"{max(r.p99_ms for r in self.runs):.2f}",
            "CPU µs/req": f"{self.cpu_us:.0f}" if self.cpu_us is not None else "-",
            f"/ {self.baseline}": f"{self.ratio:.2f}" if self.ratio is not None else "1",
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "requests_per_s": round(self.requests_per_s, 1),
            "cpu_us_per_request": round(self.cpu_us, 1) if self.cpu_us is not None else None,
            f"ratio_to_{self.baseline}": round(self.ratio, 4) if self.ratio is not None else None,
            "rounds": [r.as_json() for r in self.runs],
        }


def choose_tool(preference: str) -> str:
    """``wrk`` when installed (or asked for), else ``python``."""
    if preference == "python":
        return "python"
    if shutil.which("wrk"):
        return "wrk"
    if preference == "wrk":
        raise BenchError("wrk not found on PATH: install it (Debian/Ubuntu: apt-get install wrk)")
    return "python"


def run_load(
    children: Children,
    tool: str,
    url: str,
    body_file: Path,
    *,
    duration: int,
    connections: int,
    threads: int,
    tick: Tick | None = None,
) -> LoadResult:
    """POST ``body_file`` to ``url`` for ``duration`` seconds and return the figures."""
    (result,) = run_loads_together(
        children, tool, [url], body_file, duration=duration, connections=connections,
        threads=threads, tick=tick,
    )  # fmt: skip
    return result


def run_loads_together(
    children: Children,
    tool: str,
    urls: list[str],
    body_file: Path,
    *,
    duration: int,
    connections: int,
    threads: int,
    tick: Tick | None = None,
) -> list[LoadResult]:
    """One load generator per URL, all at the same time (so every server meets the same
    conditions on a shared machine); the figures of each, in order."""
    name = "wrk" if tool == "wrk" else "loadgen"
    names = [name] if len(urls) == 1 else [f"{name}-{i}" for i in range(1, len(urls) + 1)]
    argvs = [_argv(children, tool, url, body_file, duration, connections, threads) for url in urls]
    outputs = run_children(children, list(zip(names, argvs, strict=True)), duration, tick)
    return [_parse(tool, output) for output in outputs]


def _argv(
    children: Children,
    tool: str,
    url: str,
    body_file: Path,
    duration: int,
    connections: int,
    threads: int,
) -> list[str]:
    if tool == "wrk":
        script = _wrk_script(children.workdir, body_file)
        return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                "-s", str(script), url]  # fmt: skip
    return [sys.executable, "-m", "benchmarks.loadgen", url, str(body_file),
            "--duration", str(duration), "--connections", str(connections)]  # fmt: skip


def _parse(tool: str, output: str) -> LoadResult:
    if tool == "wrk":
        return parse_wrk(output)
    try:
        return LoadResult(**json.loads(output.strip().splitlines()[-1]))
    except (ValueError, IndexError, TypeError) as exc:
        raise BenchError(f"python load generator failed:\n{output[-2000:]}") from exc


def run_child(
    children: Children, name: str, argv: list[str], duration: int, tick: Tick | None
) -> str:
    """Run a load child (``duration`` seconds long, ticking) to its end; its whole log."""
    (output,) = run_children(children, [(name, argv)], duration, tick)
    return output


def run_children(
    children: Children, named: list[tuple[str, list[str]]], duration: int, tick: Tick | None
) -> list[str]:
    """Run load children side by side (each ``duration`` seconds long, ticking) to their end;
    the whole log of each."""
    procs = [(name, children.spawn(name, argv)) for name, argv in named]
    start = time.monotonic()
    limit = duration + 30  # wrk stops itself; this only guards against a hang
    for name, proc in procs:
        while True:
            try:
                proc.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - start
                if tick:
                    tick(min(elapsed, duration))
                if elapsed > limit:
                    for _, running in procs:
                        children.stop(running)
                    raise BenchError(f"{name} did not finish within {limit}s") from None
    outputs = []
    for name, proc in procs:
        children.stop(proc)  # already exited: only drops it from the supervisor
        output = children.log_path(name).read_text(errors="replace")
        if proc.returncode != 0:
            raise BenchError(f"{name} exited with code {proc.returncode}:\n{output[-2000:]}")
        outputs.append(output)
    return outputs


def _wrk_script(workdir: Path, body_file: Path) -> Path:
    # The body is read from a file so any JSON is safe; a Lua long bracket quotes the path.
    script = workdir / "post.lua"
    script.write_text(
        "-- generated by benchmarks/loadgen.py: POST the AReq body on every request\n"
        f"local f = assert(io.open([==[{body_file}]==], 'rb'))\n"
        "wrk.body = f:read('*a')\n"
        "f:close()\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return script


# ------------------------------------------------------------------------------ wrk output

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def parse_wrk(output: str) -> LoadResult:
    """Figures from ``wrk --latency`` output (its "Latency Distribution" block)."""
    percentiles = {float(p): float(v) * _UNIT_MS[u] for p, v, u in _PERCENTILE.findall(output)}
    rps, total = _RPS.search(output), _TOTAL.search(output)
    if rps is None or total is None or 50.0 not in percentiles or 99.0 not in percentiles:
        raise BenchError(f"cannot read wrk output:\n{output[-2000:]}")
    errors = sum(int(n) for m in _SOCKET.findall(output) for n in m)
    non_2xx = _NON_2XX.search(output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return LoadResult(
        tool="wrk",
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * _UNIT_MS[total.group(3)] / 1000,
        requests_per_s=float(rps.group(1)),
        p50_ms=percentiles[50.0],
        p99_ms=percentiles[99.0],
        errors=errors,
    )


# ------------------------------------------------------------------- asyncio fallback (child)


async def _python_load(url: str, body: bytes, duration: float, connections: int) -> LoadResult:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        deadline = start + duration

        async def worker() -> None:
            nonlocal errors
            while (sent := time.perf_counter()) < deadline:
                try:
                    async with session.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        ok = 200 <= resp.status < 400
                except aiohttp.ClientError:
                    ok = False
                latencies.append(time.perf_counter() - sent)
                errors += not ok

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    n = len(latencies)
    return LoadResult("python", n, elapsed, n / elapsed, pct(50), pct(99), errors)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="asyncio POST load generator (wrk fallback)")
    parser.add_argument("url")
    parser.add_argument("body_file", type=Path)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    result = asyncio.run(
        _python_load(args.url, args.body_file.read_bytes(), args.duration, args.connections)
    )
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
