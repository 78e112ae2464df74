"""``areq``: frictionless browser AReq throughput of the ACS on Redis, against an echo ceiling.

Both servers are one process each and are driven with the same load and the same ~2 KB body; the
ratio AReq/ceiling is what the ACS keeps of what aiohttp+msgspec alone can do on this machine.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import redis

from benchmarks.loadgen import LoadResult, choose_tool, run_load
from benchmarks.procs import BenchError, cpu_seconds, start_acs, start_echo, start_redis
from benchmarks.registry import Context, Row, Section, Verdict, benchmark

TARGET_RATIO = 0.30
PAN_Y = "4016000000000012"  # the demo config answers this card with transStatus Y
PATH = "/3ds/areq"


def build_areq(now: datetime | None = None) -> dict[str, Any]:
    """A frictionless 2.2.0 browser purchase as a DS forwards it, with the optional risk data
    merchants commonly send (what makes a real AReq ~2 KB rather than the ~1 KB minimum)."""
    now = now or datetime.now(UTC)
    return {
        "messageType": "AReq",
        "messageVersion": "2.2.0",
        "deviceChannel": "02",
        "messageCategory": "01",
        "threeDSServerTransID": str(uuid.uuid4()),
        "dsTransID": str(uuid.uuid4()),
        "dsReferenceNumber": "3DS_LOA_DIS_PPFU_020100_00010",
        "dsURL": "https://ds.example-scheme.com/3ds2/results",
        "threeDSServerRefNumber": "3DS_LOA_SER_PPFU_020100_00008",
        "threeDSServerURL": "https://3dss.example-psp.com/3ds2/rreq",
        "threeDSRequestorID": "10075020_TESTMERCH01",
        "threeDSRequestorName": "Example Grocers Ltd",
        "threeDSRequestorURL": "https://www.example-grocers.co.uk",
        "threeDSRequestorAuthenticationInd": "01",
        "threeDSCompInd": "Y",
        "notificationURL": "https://www.example-grocers.co.uk/checkout/3ds/notify",
        "acctNumber": PAN_Y,
        "cardExpiryDate": "2912",
        "acctInfo": {
            "chAccAgeInd": "05",
            "chAccDate": "20190314",
            "nbPurchaseAccount": "11",
            "paymentAccInd": "05",
            "shipAddressUsageInd": "04",
            "shipNameIndicator": "01",
            "suspiciousAccActivity": "01",
            "txnActivityYear": "23",
        },
        "merchantRiskIndicator": {
            "deliveryEmailAddress": "jane.doe@example.com",
            "deliveryTimeframe": "03",
            "reorderItemsInd": "02",
            "shipIndicator": "01",
        },
        "acquirerBIN": "40001234567",
        "acquirerMerchantID": "EXGROCERS000000001",
        "mcc": "5411",
        "merchantCountryCode": "826",
        "merchantName": "Example Grocers",
        "purchaseAmount": "4999",
        "purchaseCurrency": "978",
        "purchaseExponent": "2",
        "purchaseDate": now.strftime("%Y%m%d%H%M%S"),
        "transType": "01",
        "cardholderName": "Jane A Doe",
        "email": "jane.doe@example.com",
        "homePhone": {"cc": "44", "subscriber": "2079460123"},
        "mobilePhone": {"cc": "44", "subscriber": "7700900123"},
        "addrMatch": "Y",
        "billAddrLine1": "Flat 4",
        "billAddrLine2": "221 Baker Street",
        "billAddrCity": "London",
        "billAddrState": "LND",
        "billAddrPostCode": "NW1 6XE",
        "billAddrCountry": "826",
        "shipAddrLine1": "Flat 4",
        "shipAddrLine2": "221 Baker Street",
        "shipAddrCity": "London",
        "shipAddrState": "LND",
        "shipAddrPostCode": "NW1 6XE",
        "shipAddrCountry": "826",
        "browserAcceptHeader": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "browserIP": "192.0.2.45",
        "browserJavaEnabled": False,
        "browserJavascriptEnabled": True,
        "browserLanguage": "en-GB",
        "browserColorDepth": "24",
        "browserScreenHeight": "1080",
        "browserScreenWidth": "1920",
        "browserTZ": "0",
        "browserUserAgent": (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36"
        ),
    }


BODY_FILE = "areq.json"  # in the benchmark's work folder, for the load generator


def areq_body() -> bytes:
    return msgspec.json.encode(build_areq())


def write_areq_body(ctx: Context) -> tuple[bytes, Path]:
    """The AReq every load benchmark posts, and the file the load generator reads it from."""
    body = areq_body()
    path = ctx.workdir / BODY_FILE
    path.write_bytes(body)
    return body, path


def post(url: str, body: bytes) -> tuple[int, bytes]:
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(resp.status), resp.read()


def check_ares(url: str, body: bytes) -> dict[str, Any]:
    """One AReq before loading: the load only means something if it is the frictionless-Y path."""
    try:
        status, raw = post(url, body)
    except OSError as exc:
        raise BenchError(f"AReq to {url} failed: {exc}") from exc
    try:
        answer: dict[str, Any] = json.loads(raw)
    except ValueError:
        answer = {}
    if status != 200 or answer.get("messageType") != "ARes" or answer.get("transStatus") != "Y":
        shown = json.dumps(answer, indent=2) if answer else raw[:2000].decode(errors="replace")
        raise BenchError(
            f"the benchmark AReq did not get an ARes with transStatus Y (HTTP {status}); "
            f"fix the body in benchmarks/areq_load.py or the demo config. Answer:\n{shown}"
        )
    return answer


def load(ctx: Context, tool: str, text: str, url: str, seconds: int) -> LoadResult:
    opts = ctx.options
    with ctx.steps.step(text, seconds) as tick:
        return run_load(ctx.children, tool, url, ctx.workdir / BODY_FILE, duration=seconds,
                        connections=opts.connections, threads=opts.threads, tick=tick)  # fmt: skip


def measure(
    ctx: Context, tool: str, text: str, url: str, pid: int
) -> tuple[LoadResult, float | None]:
    """A measured run and the server's CPU per request in µs: steadier than requests/s when the
    machine is shared, so the figure to compare across changes."""
    before = cpu_seconds(pid)
    result = load(ctx, tool, text, url, ctx.options.duration)
    after = cpu_seconds(pid)
    if before is None or after is None or not result.requests:
        return result, None
    return result, (after - before) / result.requests * 1e6


@benchmark("areq", "frictionless browser AReq on Redis vs an aiohttp JSON echo ceiling")
def areq(ctx: Context) -> Section:
    opts = ctx.options
    tool = choose_tool(opts.loadgen)
    body, _ = write_areq_body(ctx)
    ctx.steps.note(f"AReq body: {len(body):,} bytes; load generator: {tool}")

    # Start everything first so a broken setup fails before any time is spent measuring.
    with ctx.steps.step("starting redis-server"):
        redis_server = start_redis(ctx.children)
    with ctx.steps.step("starting acs (redis store)"):
        acs_server = start_acs(ctx.children, redis_server.url)
        acs_url = acs_server.url + PATH
    with ctx.steps.step("starting echo server"):
        echo_server = start_echo(ctx.children)
    with ctx.steps.step("checking the AReq gets ARes Y"):
        check_ares(acs_url, body)

    echo_url = echo_server.url + PATH
    load(ctx, tool, "echo ceiling: warm-up", echo_url, opts.warmup)
    echo, echo_cpu = measure(ctx, tool, "echo ceiling: measuring", echo_url, echo_server.proc.pid)
    ctx.children.stop(echo_server.proc)  # the ACS run gets the CPU the echo server had

    load(ctx, tool, "AReq on Redis: warm-up", acs_url, opts.warmup)
    store = redis.Redis.from_url(redis_server.url)
    try:
        before = int(store.dbsize())
        acs, acs_cpu = measure(ctx, tool, "AReq on Redis: measuring", acs_url, acs_server.proc.pid)
        # Every ARes is stored as a transaction record and an Erro is not, so new keys >=
        # completed requests shows the load was all ARes (wrk cannot tell: Erro is HTTP 200).
        stored = int(store.dbsize()) - before
    finally:
        store.close()

    ratio = acs.requests_per_s / echo.requests_per_s
    section = Section(
        name="areq",
        title=f"AReq throughput (POST {PATH}, {len(body):,} byte body)",
        rows=[
            Row("echo_ceiling", "echo ceiling (aiohttp + msgspec)", echo),
            Row("areq_redis", "AReq on Redis (acs serve)", acs),
        ],
        verdicts=[Verdict("ratio", "AReq / ceiling", ratio, TARGET_RATIO)],
        meta={
            "body_bytes": len(body),
            "tool": tool,
            "ares_stored": stored,
            "echo_cpu_us_per_request": echo_cpu,
            "acs_cpu_us_per_request": acs_cpu,
        },
        notes=[
            "every request reuses one threeDSServerTransID/dsTransID (the ACS does not dedupe "
            "frictionless AReqs); each still gets its own acsTransID and stored record",
            f"every request is for one card ({PAN_Y}), so its per-card velocity history grows "
            "through the run: the worst case for per-card counters",
        ],
    )
    if echo_cpu is not None and acs_cpu is not None:
        section.notes.append(
            f"server CPU per request: echo {echo_cpu:.1f} µs, ACS {acs_cpu:.1f} µs (the ACS's own "
            f"work is the difference: {acs_cpu - echo_cpu:.1f} µs); at full load the ratio is "
            f"about {echo_cpu / acs_cpu:.2f}"
        )
    if stored < acs.requests:
        section.notes.append(
            f"only {stored:,} ARes records stored for {acs.requests:,} AReqs: some answers were "
            "Erro, not ARes; the figures are not those of the frictionless path"
        )
    for row in section.rows:
        if row.result.errors:
            section.notes.append(f"{row.label}: {row.result.errors:,} socket/HTTP errors")
    if tool != "wrk":
        section.notes.append(
            "measured with the python fallback load generator, not wrk: it saturates before "
            "the echo server does, so the ceiling is understated and the ratio overstated "
            "(apt-get install wrk)"
        )
    return section
