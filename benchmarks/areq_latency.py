"""``latency``: AReq latency at a fixed 1,000 AReq/s (a rate, not saturation), open loop.

The ACS runs as deployed by default: ``acs serve`` with no flags but the Redis store, so at the
default log level (info), its JSON logs going to a real file (``.bench/latency/acs.log``). The
open-loop generator (``benchmarks/openloop.py``) sends the ``areq`` benchmark's frictionless AReq
on a fixed schedule and measures each answer from its scheduled send time, so a stall of the
server counts in every request it held up (no coordinated omission).

On a shared machine the neighbours' load is part of any tail: while the ACS or Redis waits for a
core, nothing is served. So the run also samples, every 50 ms, how long each waited for a CPU
(``/proc/<pid>/schedstat``), reports it, and gives the percentiles of the requests whose whole
time in flight fell in windows where they did not wait (``quiet``) beside those of all
requests. The verdict is on all requests.
"""

from __future__ import annotations

import bisect

from benchmarks.areq_load import PATH, check_ares, write_areq_body
from benchmarks.openloop import OpenLoopResult, percentile, read_samples, run_open_loop
from benchmarks.procs import (
    RunQueueSampler,
    cpu_seconds,
    machine_cpu_seconds,
    start_acs,
    start_redis,
)
from benchmarks.registry import Context, Row, Section, Verdict, benchmark

RATE = 1000  # AReq/s
TARGET_P99_MS = 5.0
WINDOW_S = 0.05
QUIET_WAIT_MS = 2.5  # ACS + Redis run-queue wait per 50 ms window (5%) below which it is quiet


def quiet_latencies(
    samples: list[tuple[float, float]], windows: list[tuple[float, dict[str, float]]]
) -> list[float]:
    """Latencies (ms) of the requests in flight only during quiet windows."""
    ends = [end for end, _ in windows]
    waited = [sum(w.values()) for _, w in windows]
    quiet = []
    for due, latency in samples:
        first = bisect.bisect_left(ends, due)
        last = bisect.bisect_left(ends, due + latency / 1000)
        if last >= len(ends):
            continue  # after the last window: unknown
        if max(waited[first : last + 1]) < QUIET_WAIT_MS:
            quiet.append(latency)
    quiet.sort()
    return quiet


@benchmark("latency", "AReq p50/p99 latency at a fixed 1,000 AReq/s (open loop, default config)")
def latency(ctx: Context) -> Section:
    opts = ctx.options
    body, body_file = write_areq_body(ctx)
    ctx.steps.note(
        f"AReq body: {len(body):,} bytes; open-loop generator (benchmarks/openloop.py), "
        f"{RATE:,} AReq/s"
    )
    with ctx.steps.step("starting redis-server"):
        redis_server = start_redis(ctx.children)
    with ctx.steps.step("starting acs (redis store, default log level: info)"):
        acs = start_acs(ctx.children, redis_server.url, log_level=None)
    url = acs.url + PATH
    with ctx.steps.step("checking the AReq gets ARes Y"):
        check_ares(url, body)

    samples_file = ctx.workdir / "samples.jsonl"
    before, machine_before = cpu_seconds(acs.proc.pid), machine_cpu_seconds()
    seconds = opts.warmup + opts.duration
    pids = {"acs": acs.proc.pid, "redis": redis_server.proc.pid}
    with (
        ctx.steps.step(
            f"{RATE:,} AReq/s: {opts.warmup}s warm-up, {opts.duration}s measured", seconds
        ) as tick,
        RunQueueSampler(pids, WINDOW_S) as sampler,
    ):
        result = run_open_loop(ctx.children, "openloop", url, body_file,
                               rate=RATE, duration=opts.duration, warmup=opts.warmup,
                               expect='"messageType":"ARes"', samples=samples_file,
                               tick=tick)  # fmt: skip
    after, machine_after = cpu_seconds(acs.proc.pid), machine_cpu_seconds()
    quiet = quiet_latencies(read_samples(samples_file), sampler.windows)

    rows = [Row("open_loop", "all requests", result)]
    if quiet:
        rows.append(Row("quiet", "quiet windows only", _QuietRows(quiet)))
    section = Section(
        name="latency",
        title=f"AReq latency at {RATE:,} AReq/s, open loop (POST {PATH}, Redis, log level info)",
        rows=rows,
        verdicts=[Verdict("p99", "p99 latency ms", result.p99_ms, TARGET_P99_MS, at_most=True)],
        meta={
            "rate": RATE,
            "generator": "benchmarks/openloop.py",
            "run_queue_ms": {n: sampler.total_ms(n) for n in pids},
            "window_wait_ms": {
                f"p{p}": percentile(sorted(sum(w.values()) for _, w in sampler.windows), p)
                for p in (10, 25, 50, 75, 90)
            },
            "quiet_requests": len(quiet),
            "quiet_p50_ms": percentile(quiet, 50),
            "quiet_p99_ms": percentile(quiet, 99),
            "lag_p50_ms": result.lag_p50_ms,
            "lag_p99_ms": result.lag_p99_ms,
            "worst": result.worst,
        },
        notes=_notes(result, sampler, quiet, seconds),
        uses_load=False,
    )
    if before is not None and after is not None and result.requests:
        section.notes.append(
            f"ACS process CPU: {(after - before) / seconds:.0%} of one core "
            f"({(after - before) / (RATE * seconds) * 1e6:.0f} µs per AReq at this rate)"
        )
    if machine_before is not None and machine_after is not None:
        busy = (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1])
        section.meta["machine_busy"] = busy
        section.notes.append(f"the machine's CPUs were {busy:.0%} busy (this run included)")
    return section


class _QuietRows:
    """Percentiles of the quiet requests, in the columns of ``OpenLoopResult``."""

    def __init__(self, latencies: list[float]) -> None:
        self.latencies = latencies

    def cells(self) -> dict[str, str]:
        lat = self.latencies
        return {
            "sent/s": f"{len(lat):,} req",
            "p50 ms": f"{percentile(lat, 50):.2f}",
            "p90 ms": f"{percentile(lat, 90):.2f}",
            "p99 ms": f"{percentile(lat, 99):.2f}",
            "p99.9 ms": f"{percentile(lat, 99.9):.2f}",
            "max ms": f"{lat[-1]:.1f}",
        }

    def as_json(self) -> dict[str, float | int]:
        lat = self.latencies
        return {
            "requests": len(lat),
            **{f"p{p}_ms".replace(".", ""): percentile(lat, p) for p in (50, 90, 99, 99.9)},
            "max_ms": lat[-1],
        }


def _notes(
    result: OpenLoopResult, sampler: RunQueueSampler, quiet: list[float], seconds: float
) -> list[str]:
    waits = ", ".join(
        f"{name} {sampler.total_ms(name) / seconds:.1f} ms/s" for name in sampler.pids
    )
    notes = [
        "latency is from each request's scheduled send time (no coordinated omission); the "
        f"generator's own lateness is in it: p50 {result.lag_p50_ms:.2f} ms, "
        f"p99 {result.lag_p99_ms:.2f} ms",
        f"waiting for a CPU while runnable (other processes had the cores): {waits}",
        f"quiet windows: 50 ms in which the ACS and Redis together waited < {QUIET_WAIT_MS} ms "
        f"for a CPU; {len(quiet) / max(result.requests, 1):.0%} of the requests were in flight "
        "only in such windows",
        "slowest (s into the run: ms): "
        + ", ".join(f"{t:.2f}s: {ms:.1f}" for t, ms in result.worst[-5:]),
    ]
    if result.errors:
        notes.append(
            f"{result.errors:,} errors ({result.unanswered:,} unanswered at the end): answers "
            "that were not HTTP 200 with an ARes"
        )
    if result.sent_per_s < RATE * 0.98:
        notes.append(f"the generator sent only {result.sent_per_s:,.0f}/s: it fell behind")
    return notes
