"""``areq-logs``: AReq throughput at the default log level (info) against ``--log-level warning``.

Two ACS processes on one redis-server (a database each), one at each level, driven with the
``areq`` benchmark's frictionless AReq load side by side: a wrk each, started together. They
share the machine's CPUs (the scheduler gives each its fair share), so what logging costs shows
as a lower rate for the info server, and whatever else the shared machine does at that moment
weighs on both alike. (Run one after the other, the two rates differed by up to 30% on a busy
shared machine, whatever the level; side by side, two servers at the same level stay within ~5%.)
Five rounds; the verdict is on the median of their info/warning ratios of requests per second.

Each server writes its stdout (the JSON logs) and stderr to a real file,
``.bench/areq-logs/acs-<level>.log``, as a deployment's log collector has them. Afterwards the
info server's ``areq`` events are counted against the records it stored: one per AReq.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from typing import Any

import redis

from benchmarks.areq_load import PATH, check_ares, write_areq_body
from benchmarks.loadgen import LoadResult, choose_tool, run_loads_together
from benchmarks.procs import Server, cpu_seconds, start_acs, start_redis
from benchmarks.registry import Context, Row, Section, Verdict, benchmark

TARGET_RATIO = 0.90
LEVELS = ("warning", "info")
ROUNDS = 5  # side by side, two servers at one level differ by up to ~5% in a round
EVENT = b'"event":"areq"'
ARES = b'"messageType":"ARes"'


@dataclass(frozen=True, slots=True)
class LevelRun:
    """One measured run: wrk's figures and the server's CPU per request."""

    load: LoadResult
    cpu_us: float | None

    def cells(self) -> dict[str, str]:
        cpu = f"{self.cpu_us:.1f}" if self.cpu_us is not None else "-"
        return {**self.load.cells(), "server CPU µs/req": cpu}

    def as_json(self) -> dict[str, Any]:
        return {**self.load.as_json(), "cpu_us_per_request": self.cpu_us}


def _settled(store: redis.Redis, limit: float = 10.0) -> int:
    """The database's key count once it stops changing (0.2 s apart)."""
    deadline = time.monotonic() + limit
    count = int(store.dbsize())
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = int(store.dbsize())
        if now == count:
            break
        count = now
    return count


def _ratio(runs: dict[str, LevelRun]) -> float:
    return runs["info"].load.requests_per_s / runs["warning"].load.requests_per_s


def _mean_cpu(runs: list[LevelRun]) -> float | None:
    """CPU µs per request over several runs, weighed by their requests."""
    if any(r.cpu_us is None for r in runs):
        return None
    return sum((r.cpu_us or 0.0) * r.load.requests for r in runs) / sum(
        r.load.requests for r in runs
    )


def _db_url(url: str, db: int) -> str:
    return url.rsplit("/", 1)[0] + f"/{db}"


def _count_events(ctx: Context, server: Server) -> tuple[int, int, int, dict[str, Any] | None]:
    """``areq`` events in a server's log file, those for an ARes, their mean size in bytes, and
    the last one."""
    data = ctx.children.log_path(server.name).read_bytes()
    lines = [line for line in data.splitlines() if EVENT in line]
    ares = sum(1 for line in lines if ARES in line)
    last = json.loads(lines[-1]) if lines else None
    size = sum(len(line) + 1 for line in lines) // len(lines) if lines else 0
    return len(lines), ares, size, last


@benchmark("areq-logs", "AReq throughput at the default --log-level info vs warning")
def areq_logs(ctx: Context) -> Section:
    opts = ctx.options
    tool = choose_tool(opts.loadgen)
    body, body_file = write_areq_body(ctx)
    ctx.steps.note(f"AReq body: {len(body):,} bytes; load generator: {tool}")

    with ctx.steps.step("starting redis-server"):
        redis_server = start_redis(ctx.children)
    servers: dict[str, Server] = {}
    dbs = {"warning": 1, "info": 2}
    for level, db in dbs.items():
        with ctx.steps.step(f"starting acs (redis store, log level {level})"):
            servers[level] = start_acs(
                ctx.children,
                _db_url(redis_server.url, db),
                log_level=None if level == "info" else level,  # info: the default, no flag
                name=f"acs-{level}",
            )
        with ctx.steps.step(f"checking the AReq gets ARes Y ({level})"):
            check_ares(servers[level].url + PATH, body)

    def together(text: str, seconds: int) -> list[LoadResult]:
        urls = [servers[level].url + PATH for level in LEVELS]
        with ctx.steps.step(text, seconds) as tick:
            return run_loads_together(ctx.children, tool, urls, body_file,
                                      duration=seconds, connections=opts.connections,
                                      threads=opts.threads, tick=tick)  # fmt: skip

    together("both levels side by side: warm-up", opts.warmup)
    seconds = max(2, opts.duration // 2)
    rounds: list[dict[str, LevelRun]] = []
    for n in range(1, ROUNDS + 1):
        before = {level: cpu_seconds(servers[level].proc.pid) for level in LEVELS}
        results = together(f"round {n}/{ROUNDS}: both levels side by side", seconds)
        after = {level: cpu_seconds(servers[level].proc.pid) for level in LEVELS}
        rounds.append({})
        for level, result in zip(LEVELS, results, strict=True):
            used, was = after[level], before[level]
            cpu_us = (
                (used - was) / result.requests * 1e6 if used and was and result.requests else None
            )
            rounds[-1][level] = LevelRun(result, cpu_us)
    ratios = sorted(
        r["info"].load.requests_per_s / r["warning"].load.requests_per_s for r in rounds
    )
    ratio = statistics.median(ratios)

    store = redis.Redis.from_url(_db_url(redis_server.url, dbs["info"]))
    try:
        # wrk stops with AReqs in flight: the server finishes them (record, then event) first
        stored = _settled(store)  # records, plus the directory's few keys
        records = sum(1 for _ in store.scan_iter(match="acs:{*}:txn", count=10_000))
    finally:
        store.close()
    events, ares_events, event_bytes, last = _count_events(ctx, servers["info"])
    warning_events = _count_events(ctx, servers["warning"])[0]

    cpu = {level: _mean_cpu([r[level] for r in rounds]) for level in LEVELS}
    section = Section(
        name="areq_logs",
        title=f"AReq throughput by log level, side by side (POST {PATH}, frictionless, Redis)",
        rows=[
            Row(f"{level}_{n}", f"round {n}: {level}", r[level])
            for n, r in enumerate(rounds, 1)
            for level in LEVELS
        ],
        verdicts=[
            Verdict(
                "ratio", f"AReq/s at info / at warning (median of {ROUNDS})", ratio, TARGET_RATIO
            )
        ],
        meta={
            "ratios": ratios,
            "cpu_us_per_request": cpu,
            "info_events": events,
            "info_ares_events": ares_events,
            "info_records": records,
            "info_event_bytes": event_bytes,
            "warning_events": warning_events,
            "redis_keys": stored,
            "tool": tool,
        },
        notes=[
            f"info/warning per round: {', '.join(f'{r:.3f}' for r in ratios)}",
            "the two servers ran at the same time and shared the machine: each rate is what "
            "one server does with about half of it, not what it does alone (see `areq`)",
            f"logs go to real files (.bench/areq-logs/acs-info.log, acs-warning.log): the info "
            f"server wrote {ares_events:,} areq events with an ARes for {records:,} stored AReqs "
            f"({ares_events / records if records else 0:.2f} per AReq, ~{event_bytes} bytes "
            f"each) and {events - ares_events:,} with an Erro; the warning server "
            f"{warning_events:,}",
        ],
    )
    cpu_w, cpu_i = cpu["warning"], cpu["info"]
    if cpu_w is not None and cpu_i is not None:
        section.notes.append(
            f"server CPU per AReq: warning {cpu_w:.1f} µs, info {cpu_i:.1f} µs (logging costs "
            f"{cpu_i - cpu_w:.1f} µs; CPU ratio warning/info {cpu_w / cpu_i:.2f})"
        )
    if records and ares_events != records:
        section.notes.append(
            f"MISMATCH: {ares_events:,} ARes events for {records:,} stored AReqs; expected "
            "exactly one each"
        )
    if last is not None:
        shown = {k: last[k] for k in ("event", "transStatus", "rule", "ms") if k in last}
        section.notes.append(f"an info event: {len(last)} fields, e.g. {json.dumps(shown)}")
    for level in LEVELS:
        errors = sum(r[level].load.errors for r in rounds)
        if errors:
            section.notes.append(f"{errors:,} socket/HTTP errors at {level}")
    return section
