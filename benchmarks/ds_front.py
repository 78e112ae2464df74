"""``ds-front``: frictionless AReq through the DS front (``/ds/areq``) against the same AReq
straight to the ACS (``/3ds/areq``), on one ``acs serve --ds`` process on Redis.

The DS front reads the 3DS Server's AReq, checks the fields a DS checks, adds dsTransID,
dsReferenceNumber and dsURL, hands it to the in-process ACS and relays the ARes. The figure is
its rate as a share of the direct rate: what the DS's own work costs. Both bodies are the
``areq`` benchmark's ~2 KB browser purchase (card 4016000000000012, ARes Y); the direct one
carries the DS fields already, the DS one does not (a DS refuses them from a 3DS Server).

Same server, same load generator, same load: ``ROUNDS`` rounds of direct then DS, the card's
velocity counters reset before each run (``DELETE /qa/cards/{pan}/state``) so neither path meets
a longer history; the verdict is on the median of the rounds' DS/direct ratios.
"""

from __future__ import annotations

import statistics
import time
import urllib.request
from pathlib import Path

import msgspec
import redis

from benchmarks.areq_load import PAN_Y, build_areq, check_ares
from benchmarks.loadgen import LoadResult, RoundRuns, choose_tool, run_load
from benchmarks.procs import BenchError, cpu_seconds, start_acs, start_redis
from benchmarks.registry import Context, Row, Section, Verdict, benchmark

TARGET_RATIO = 0.7
ROUNDS = 5  # a busy moment of the shared machine weighs on one round of the median only
DIRECT_PATH = "/3ds/areq"  # DS -> ACS
DS_PATH = "/ds/areq"  # 3DS Server -> DS front -> in-process ACS
DS_FIELDS = ("dsTransID", "dsReferenceNumber", "dsURL")  # only a DS adds these
# The ACS stores one transaction record per ARes on either path; the DS keeps nothing for a
# frictionless answer (no RReq can follow), so the key count tells the two paths apart.
KEYS_PER_ARES = 1


def bodies(workdir: Path) -> dict[str, tuple[bytes, Path]]:
    """(body, file for the load generator) of each path: one AReq, with and without the DS's
    fields."""
    direct = build_areq()
    from_3ds_server = {k: v for k, v in direct.items() if k not in DS_FIELDS}
    out: dict[str, tuple[bytes, Path]] = {}
    for name, message in (("direct", direct), ("ds", from_3ds_server)):
        body = msgspec.json.encode(message)
        path = workdir / f"areq-{name}.json"
        path.write_bytes(body)
        out[name] = (body, path)
    return out


def check_ds_ares(url: str, body: bytes) -> None:
    """The DS path must be the frictionless-Y path too, with the DS's own dsTransID."""
    ares = check_ares(url, body)
    if not ares.get("dsTransID") or ares.get("dsReferenceNumber") is None:
        raise BenchError(
            f"the ARes through {DS_PATH} lacks the DS's dsTransID/dsReferenceNumber: is --ds "
            f"on? Answer: {ares}"
        )


def reset_card(base: str) -> None:
    """Start the card's velocity counters and payments again (QA route, open on loopback)."""
    req = urllib.request.Request(f"{base}/qa/cards/{PAN_Y}/state", method="DELETE")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
    except OSError as exc:
        raise BenchError(f"DELETE /qa/cards/{PAN_Y}/state failed ({exc}): is /qa open?") from exc


def settled(store: redis.Redis, limit: float = 10.0) -> int:
    """The key count once it stops changing (0.2 s apart): wrk leaves AReqs in flight."""
    deadline = time.monotonic() + limit
    count = int(store.dbsize())
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = int(store.dbsize())
        if now == count:
            break
        count = now
    return count


@benchmark("ds-front", "frictionless AReq through the DS front vs straight to the ACS")
def ds_front(ctx: Context) -> Section:
    opts = ctx.options
    tool = choose_tool(opts.loadgen)
    paths = bodies(ctx.workdir)
    ctx.steps.note(
        f"bodies: direct {len(paths['direct'][0]):,} bytes, DS {len(paths['ds'][0]):,} bytes; "
        f"load generator: {tool}"
    )
    with ctx.steps.step("starting redis-server"):
        redis_server = start_redis(ctx.children)
    with ctx.steps.step("starting acs --ds (redis store)"):
        acs = start_acs(ctx.children, redis_server.url, extra=["--ds"])
    urls = {"direct": acs.url + DIRECT_PATH, "ds": acs.url + DS_PATH}
    with ctx.steps.step("checking both paths get ARes Y"):
        check_ares(urls["direct"], paths["direct"][0])
        check_ds_ares(urls["ds"], paths["ds"][0])

    def run(name: str, text: str, seconds: int) -> LoadResult:
        with ctx.steps.step(text, seconds) as tick:
            return run_load(
                ctx.children, tool, urls[name], paths[name][1], duration=seconds,
                connections=opts.connections, threads=opts.threads, tick=tick,
            )  # fmt: skip

    for name in paths:
        run(name, f"{name}: warm-up", opts.warmup)
    runs: dict[str, list[LoadResult]] = {name: [] for name in paths}
    cpu = dict.fromkeys(paths, 0.0)
    stored = dict.fromkeys(paths, 0)
    cpu_known = True
    store = redis.Redis.from_url(redis_server.url)
    try:
        for n in range(1, ROUNDS + 1):
            for name in paths:
                reset_card(acs.url)
                keys_before = settled(store)
                before = cpu_seconds(acs.proc.pid)
                runs[name].append(run(name, f"round {n}/{ROUNDS}: {name}", opts.duration))
                after = cpu_seconds(acs.proc.pid)
                stored[name] += settled(store) - keys_before
                if before is None or after is None:
                    cpu_known = False
                else:
                    cpu[name] += after - before
    finally:
        store.close()

    ratio = statistics.median(
        d.requests_per_s / s.requests_per_s for d, s in zip(runs["ds"], runs["direct"], strict=True)
    )
    cpus = {
        name: cpu[name] / sum(r.requests for r in results) * 1e6 if cpu_known else None
        for name, results in runs.items()
    }
    labels = {"direct": f"straight to the ACS ({DIRECT_PATH})", "ds": f"DS front ({DS_PATH})"}
    section = Section(
        name="ds-front",
        title=f"DS front AReq throughput (one acs serve --ds on Redis, {ROUNDS} rounds)",
        rows=[
            Row(
                name,
                labels[name],
                RoundRuns(results, cpus[name], None if name == "direct" else ratio, "direct"),
            )
            for name, results in runs.items()
        ],
        verdicts=[Verdict("ratio", "DS front / direct", ratio, TARGET_RATIO)],
        meta={
            "tool": tool,
            "rounds": ROUNDS,
            "body_bytes": {name: len(body) for name, (body, _) in paths.items()},
            "card": PAN_Y,
            "keys_stored": stored,
        },
        notes=[
            f"the ratio is the median over {ROUNDS} rounds of the round's DS requests/s over the "
            "direct requests/s; the card's counters are reset before every run",
        ],
    )
    direct_cpu, ds_cpu = cpus["direct"], cpus["ds"]
    if direct_cpu is not None and ds_cpu is not None:
        section.meta["cpu_ratio"] = round(direct_cpu / ds_cpu, 4)
        section.notes.append(
            f"server CPU per request: direct {direct_cpu:.0f} µs, DS front {ds_cpu:.0f} µs (the "
            f"DS's own work: {ds_cpu - direct_cpu:.0f} µs); by CPU the ratio is "
            f"{direct_cpu / ds_cpu:.2f}"
        )
    for name, results in runs.items():
        requests = sum(r.requests for r in results)
        if stored[name] < KEYS_PER_ARES * requests:
            section.notes.append(
                f"{labels[name]}: {stored[name]:,} keys stored for {requests:,} AReqs: some "
                "answers were Erro, not ARes; the figures are not the frictionless path's"
            )
        errors = sum(r.errors for r in results)
        if errors:
            section.notes.append(f"{labels[name]}: {errors:,} socket/HTTP errors")
    if tool != "wrk":
        section.notes.append(
            "measured with the python fallback load generator, not wrk: it saturates early, so "
            "the ratio is overstated (apt-get install wrk)"
        )
    return section
