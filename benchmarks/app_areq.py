"""``app-areq``: app-channel AReq -> ARes with a challenge (C), against the frictionless browser
ARes, on one ACS process on Redis.

An app C ARes costs what a browser one does not: a fresh ephemeral P-256 key, ECDH with the
SDK's key and the Concat KDF (the CEK, sealed in the session), and ``acsSignedContent``, a JWS
signed with the card range's algorithm (ES256 with the EC leaf, PS256 with the RSA one of the
test PKI). The figure is the app rate as a share of the frictionless browser rate (the ``areq``
benchmark's body, card 4016000000000012) measured on the same server in the same round.

Three bodies, each loaded by wrk (or the python fallback) for ``--duration`` seconds per round,
three rounds in turn (browser, ES256, PS256): the verdict is on the median of the rounds'
ES256/browser ratios, so that a busy moment of a shared machine weighs on one round only.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import msgspec
import redis
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from acs.crypto.signed_content import SigningAlgorithm
from benchmarks.app_sdk import KEYS_DIR, build_app_areq, ensure_keys, open_channel, signed_alg
from benchmarks.areq_load import PAN_Y, PATH, check_ares, post, write_areq_body
from benchmarks.loadgen import LoadResult, RoundRuns, choose_tool, run_load
from benchmarks.procs import BenchError, cpu_seconds, start_acs, start_redis
from benchmarks.registry import Context, Row, Section, Verdict, benchmark

TARGET_ES256 = 0.5  # app C ARes (ES256) / frictionless browser ARes
ROUNDS = 3
# Enrolled cardholders no test-card rule forces, one per signing algorithm (config/card-ranges.yaml:
# demo-visa signs ES256, demo-mastercard PS256); acctInfo's suspicious activity makes the default
# rules challenge both, by the same rules, so the two differ only in the signature.
APP_CARDS = {
    SigningAlgorithm.ES256: "4016000000000087",  # visa-plain-1
    SigningAlgorithm.PS256: "5105000000000045",  # mc-plain
}
# The load sends no CReq: without this every ARes's first-CReq timer would fire 30 s later and
# send an RReq (N, 14) per AReq while later rounds run.
NO_FIRST_CREQ_TIMEOUT = ["--first-creq-timeout", "86400"]
KEYS_PER_C_ARES = 2  # a transaction record and a challenge session


def check_app_ares(
    url: str, body: bytes, sdk_key: ec.EllipticCurvePrivateKey, roots: list[x509.Certificate],
    algorithm: SigningAlgorithm,
) -> dict[str, Any]:  # fmt: skip
    """One app AReq before loading: an ARes C whose acsSignedContent verifies to the root with
    ``algorithm``, and from which the SDK gets its CEK."""
    try:
        status, raw = post(url, body)
    except OSError as exc:
        raise BenchError(f"app AReq to {url} failed: {exc}") from exc
    try:
        ares: dict[str, Any] = json.loads(raw)
    except ValueError:
        ares = {}
    problem = None
    if status != 200 or ares.get("messageType") != "ARes" or ares.get("transStatus") != "C":
        problem = f"not an ARes with transStatus C (HTTP {status})"
    elif signed_alg(ares.get("acsSignedContent", "..")) != algorithm.value:
        problem = f"acsSignedContent is not signed with {algorithm.value}"
    else:
        try:
            open_channel(ares, sdk_key, roots=roots)
        except ValueError as exc:
            problem = str(exc)
    if problem:
        shown = json.dumps(ares, indent=2) if ares else raw[:2000].decode(errors="replace")
        raise BenchError(
            f"the {algorithm.value} app AReq: {problem}; fix the body in benchmarks/app_sdk.py or "
            f"the demo config. Answer:\n{shown[:4000]}"
        )
    return ares


def _settled(store: redis.Redis, limit: float = 10.0) -> int:
    """The database's key count once it stops changing (0.2 s apart): wrk leaves AReqs in flight."""
    deadline = time.monotonic() + limit
    count = int(store.dbsize())
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = int(store.dbsize())
        if now == count:
            break
        count = now
    return count


@benchmark("app-areq", "app AReq -> ARes C (ES256 and PS256 signed content) vs browser ARes Y")
def app_areq(ctx: Context) -> Section:
    opts = ctx.options
    tool = choose_tool(opts.loadgen)
    with ctx.steps.step("test PKI (acs keys init .bench/keys)"):
        roots = ensure_keys()
    sdk_key = ec.generate_private_key(ec.SECP256R1())  # one SDK key for every request
    browser_body, browser_file = write_areq_body(ctx)
    bodies: dict[str, tuple[bytes, Path]] = {"browser": (browser_body, browser_file)}
    for alg, pan in APP_CARDS.items():
        body = msgspec.json.encode(build_app_areq(pan, sdk_key, suspicious=True))
        path = ctx.workdir / f"app-areq-{alg.value.lower()}.json"
        path.write_bytes(body)
        bodies[alg.value] = (body, path)
    ctx.steps.note(
        "bodies: "
        + ", ".join(f"{k} {len(b):,} bytes" for k, (b, _) in bodies.items())
        + f"; load generator: {tool}"
    )

    with ctx.steps.step("starting redis-server"):
        redis_server = start_redis(ctx.children)
    with ctx.steps.step("starting acs (redis store, --keys)"):
        extra = ["--keys", str(KEYS_DIR), *NO_FIRST_CREQ_TIMEOUT]
        acs_server = start_acs(ctx.children, redis_server.url, extra=extra)
        url = acs_server.url + PATH
    with ctx.steps.step("checking the answers (browser Y; app C, signed content verified)"):
        check_ares(url, browser_body)
        for alg in APP_CARDS:
            check_app_ares(url, bodies[alg.value][0], sdk_key, roots, alg)

    def run(name: str, text: str, seconds: int) -> LoadResult:
        with ctx.steps.step(text, seconds) as tick:
            return run_load(
                ctx.children, tool, url, bodies[name][1], duration=seconds,
                connections=opts.connections, threads=opts.threads, tick=tick,
            )  # fmt: skip

    for name in bodies:
        run(name, f"{name}: warm-up", opts.warmup)
    runs: dict[str, list[LoadResult]] = {name: [] for name in bodies}
    cpu: dict[str, float] = dict.fromkeys(bodies, 0.0)
    stored: dict[str, int] = dict.fromkeys(bodies, 0)
    cpu_known = True
    store = redis.Redis.from_url(redis_server.url)
    try:
        for n in range(1, ROUNDS + 1):
            for name in bodies:
                keys_before = _settled(store)
                before = cpu_seconds(acs_server.proc.pid)
                result = run(name, f"round {n}/{ROUNDS}: {name}", opts.duration)
                after = cpu_seconds(acs_server.proc.pid)
                stored[name] += _settled(store) - keys_before
                runs[name].append(result)
                if before is None or after is None:
                    cpu_known = False
                else:
                    cpu[name] += after - before
    finally:
        store.close()

    browser = runs["browser"]
    rows: list[Row] = []
    ratios: dict[str, float] = {}
    cpus: dict[str, float | None] = {}
    for name, results in runs.items():
        ratio = None
        if name != "browser":
            ratio = statistics.median(
                r.requests_per_s / b.requests_per_s for r, b in zip(results, browser, strict=True)
            )
            ratios[name] = ratio
        requests = sum(r.requests for r in results)
        cpu_us = cpus[name] = cpu[name] / requests * 1e6 if cpu_known and requests else None
        label = "browser ARes Y" if name == "browser" else f"app ARes C, {name}"
        rows.append(Row(name.lower(), label, RoundRuns(results, cpu_us, ratio, "browser")))
    section = Section(
        name="app-areq",
        title=f"App AReq throughput (POST {PATH}, one acs serve on Redis, {ROUNDS} rounds)",
        rows=rows,
        verdicts=[Verdict("es256_ratio", "app ES256 / browser", ratios["ES256"], TARGET_ES256)],
        meta={
            "tool": tool,
            "rounds": ROUNDS,
            "body_bytes": {k: len(b) for k, (b, _) in bodies.items()},
            "ratios": {k: round(v, 4) for k, v in ratios.items()},
            "cards": {"browser": PAN_Y, **{a.value: p for a, p in APP_CARDS.items()}},
            "keys_stored": stored,
        },
        notes=[
            f"ratios are the median over {ROUNDS} rounds of the round's app requests/s over the "
            f"browser's; PS256 / browser: {ratios['PS256']:.2f} (no target)",
            f"app cards {APP_CARDS[SigningAlgorithm.ES256]} (ES256) and "
            f"{APP_CARDS[SigningAlgorithm.PS256]} (PS256) with suspiciousAccActivity 02: "
            "both challenged by the default rules' suspicious-activity rule; browser card "
            f"{PAN_Y} (test-card rule Y)",
            "every app request reuses one body: one sdkTransID, threeDSServerTransID and SDK "
            "ephemeral key (the ACS makes its own key and acsTransID per AReq); the first-CReq "
            "timeout is a day so no timeout RReq fires during the run",
        ],
    )
    if all(c is not None for c in cpus.values()):
        base = cpus["browser"] or 1.0
        section.notes.append(
            "server CPU per request: "
            + ", ".join(f"{k} {c:.0f} µs" for k, c in cpus.items() if c is not None)
            + "; by CPU the ratios would be "
            + ", ".join(f"{k} {base / c:.2f}" for k, c in cpus.items() if k != "browser" and c)
        )
        section.meta["cpu_ratios"] = {
            k: round(base / c, 4) for k, c in cpus.items() if k != "browser" and c
        }
    for alg in APP_CARDS:
        requests = sum(r.requests for r in runs[alg.value])
        if stored[alg.value] < KEYS_PER_C_ARES * requests:
            section.notes.append(
                f"{alg.value}: {stored[alg.value]:,} keys stored for {requests:,} AReqs (expected "
                f"{KEYS_PER_C_ARES} per C ARes): some answers were Erro, not ARes C"
            )
    for row, results in zip(rows, runs.values(), strict=True):
        errors = sum(r.errors for r in results)
        if errors:
            section.notes.append(f"{row.label}: {errors:,} socket/HTTP errors")
    if tool != "wrk":
        section.notes.append(
            "measured with the python fallback load generator, not wrk: it saturates early, so "
            "the ratios are understated (apt-get install wrk)"
        )
    return section
