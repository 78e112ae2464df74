"""``app-challenge``: complete app (3DS SDK) OTP challenges per second, one ACS process on Redis.

The app-channel twin of ``challenge``: ``benchmarks.appflowgen`` processes play 3DS SDKs, each
repeating app AReq -> the SDK's ECDH and CEK from acsSignedContent -> JWE CReq 000 (the code
screen) -> the code from the QA outbox -> JWE CReq 001 with it -> the final CRes (Y). The stub DS
answers the RReq each completed challenge sends, and counts them. The client is spread over
``CLIENT_PROCS`` processes that start their measured window at the same moment.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from typing import Any

from benchmarks.app_sdk import KEYS_DIR, ensure_keys
from benchmarks.appflowgen import PAN
from benchmarks.challenge_flow import CpuMeter, StepFigures, _cpu_notes, _ds_stats, _last_json
from benchmarks.flowgen import STEPS, Tally, summary
from benchmarks.procs import BenchError, Server, start_acs, start_redis, start_stub_ds
from benchmarks.registry import Context, Row, Section, Verdict, benchmark

TARGET_FLOWS_PER_S = 250.0
CLIENT_PROCS = 2  # asyncio clients; each is one core at most
STARTUP_S = 2.0  # for the client processes to import and connect before the window opens

_STEP_LABELS = {
    "areq": "1 AReq + ECDH, CEK",
    "creq": "2 CReq 000: code screen",
    "outbox": "3 code from outbox",
    "submit": "4 CReq 001: final CRes",
    "flow": "whole flow",
}


def _argv(acs: Server, ds_url: str, *more: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.appflowgen", acs.url, ds_url,
            "--keys", str(KEYS_DIR), *more]  # fmt: skip


def _check_flow(ctx: Context, acs: Server, ds_url: str) -> dict[str, Any]:
    """One flow before loading, with the signed content verified to the root."""
    proc = ctx.children.spawn("appflowgen-check", _argv(acs, ds_url, "--check"))
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        raise BenchError("one app challenge did not finish within 60 s") from None
    finally:
        ctx.children.stop(proc)
    output = ctx.children.log_path("appflowgen-check").read_text(errors="replace")
    result = _last_json(output, "appflowgen --check")
    if result["completed_total"] != 1 or result["verified"] != 1:
        raise BenchError(
            "one app challenge did not complete; fix the flow in benchmarks/appflowgen.py or the "
            f"demo config ({PAN} must be a catalog challenge card). What failed:\n"
            + "\n".join(result["error_samples"].values())
        )
    return result


def merge(results: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """The client processes' figures as one run: their raw latencies merged, counts summed."""
    tally = Tally(deadline=0.0)
    for result in results:
        for name, values in result["latencies_ms"].items():
            tally.latencies[name].extend(v / 1000 for v in values)
        tally.errors += Counter(result["errors_by_step"])
        for step, sample in result["error_samples"].items():
            tally.samples.setdefault(step, sample)
        tally.started += result["started_total"]
        tally.completed += result["completed_total"]
    merged = summary(tally, seconds, max(r["drained_s"] for r in results))
    return merged | {
        "cpu_s": sum(r["cpu_s"] for r in results),
        "verified": sum(r["verified"] for r in results),
        "late_s": max(r["late_s"] for r in results),
    }


def _clients(
    ctx: Context, text: str, acs: Server, ds_url: str, seconds: int, meter: CpuMeter
) -> dict[str, Any]:
    """``CLIENT_PROCS`` clients sharing ``--connections`` SDKs, measured over one window of
    ``seconds`` that opens for all at once; ``meter`` covers that window and the drain."""
    start_at = time.time() + STARTUP_S
    total = ctx.options.connections
    procs = []
    for i in range(CLIENT_PROCS):
        share = total // CLIENT_PROCS + (i < total % CLIENT_PROCS)
        if share:
            more = ["--duration", str(seconds), "--connections", str(share),
                    "--start-at", f"{start_at:.3f}"]  # fmt: skip
            name = f"appflowgen-{i + 1}"
            procs.append((name, ctx.children.spawn(name, _argv(acs, ds_url, *more))))
    with ctx.steps.step(text, seconds) as tick:
        time.sleep(max(0.0, start_at - time.time()))
        began = time.monotonic()
        try:
            with meter:
                for name, proc in procs:
                    while proc.poll() is None:
                        elapsed = time.monotonic() - began
                        tick(min(elapsed, seconds))
                        if elapsed > seconds + 30:
                            raise BenchError(f"{name} did not finish within {seconds + 30} s")
                        time.sleep(0.1)
        finally:
            for _, proc in procs:
                ctx.children.stop(proc)
    results = []
    for name, proc in procs:
        output = ctx.children.log_path(name).read_text(errors="replace")
        if proc.returncode != 0:
            raise BenchError(f"{name} exited with code {proc.returncode}:\n{output[-2000:]}")
        results.append(_last_json(output, name))
    return merge(results, seconds)


@benchmark("app-challenge", "complete app OTP challenge flows/s (AReq, JWE CReqs, code) on Redis")
def app_challenge(ctx: Context) -> Section:
    opts = ctx.options
    with ctx.steps.step("test PKI (acs keys init .bench/keys)"):
        ensure_keys()
    with ctx.steps.step("starting redis-server"):
        redis_server = start_redis(ctx.children)
    with ctx.steps.step("starting stub DS"):
        ds = start_stub_ds(ctx.children)
    with ctx.steps.step("starting acs (redis store, --base-url, --keys)"):
        acs = start_acs(ctx.children, redis_server.url, base_url=True,
                        extra=["--keys", str(KEYS_DIR)])  # fmt: skip
    ds_url = f"{ds.url}/rreq"
    with ctx.steps.step("checking one app challenge end to end (signed content verified)"):
        _check_flow(ctx, acs, ds_url)

    servers = [acs, redis_server, ds]
    warm = _clients(
        ctx, "app challenge flows: warm-up", acs, ds_url, opts.warmup, CpuMeter(servers)
    )
    meter = CpuMeter(servers)
    run = _clients(ctx, "app challenge flows: measuring", acs, ds_url, opts.duration, meter)
    cpu_meta, cpu_notes = _cpu_notes(meter, run["cpu_s"], run["completed_total"], "sdk clients")
    stats = _ds_stats(ds)

    completed = 1 + warm["completed_total"] + run["completed_total"]  # the check flow, too
    rreqs, rreqs_y = stats["received"], stats["trans_status"].get("Y", 0)
    steps = run["steps"]
    section = Section(
        name="app-challenge",
        title=(
            f"App challenge flows on Redis (one acs serve, {opts.connections} SDKs in "
            f"{CLIENT_PROCS} processes, card {PAN}, ES256, A128CBC-HS256)"
        ),
        rows=[Row(name, _STEP_LABELS[name], StepFigures.of(steps[name])) for name in STEPS]
        + [Row("flow", _STEP_LABELS["flow"], StepFigures.of(steps["flow"]))],
        verdicts=[
            Verdict(
                "flows_per_s",
                "complete app challenge flows/s",
                run["flows_per_s"],
                TARGET_FLOWS_PER_S,
            ),
        ],
        meta={
            "flows": run["flows"],
            "flows_per_s": round(run["flows_per_s"], 2),
            "errors": run["errors"],
            "errors_by_step": run["errors_by_step"],
            "flows_completed_total": completed,
            "rreqs_received": rreqs,
            "rreqs_y": rreqs_y,
            "rreq": stats,
            "client_processes": CLIENT_PROCS,
            "signed_content_verified": run["verified"],
            "drain_s": round(run["drained_s"] - run["seconds"], 3),
            **cpu_meta,
        },
        notes=[
            f"errors (any unexpected answer) in the measured run: {run['errors']:,}"
            + (f" {run['errors_by_step']}" if run["errors"] else ""),
            f"RReqs at the stub DS: {rreqs:,} ({rreqs_y:,} with transStatus Y) for {completed:,} "
            "flows completed (check, warm-up and measured runs, in-flight flows included)",
            "a flow: POST /3ds/areq (app), the SDK's ECDH + Concat KDF on acsSignedContent, "
            "POST acsURL (JWE CReq 000), GET /qa/outbox, POST acsURL (JWE CReq 001 with the "
            "code); the ACS sends the RReq before it answers the last one. 'per s' counts "
            "steps finished within the measured seconds",
            f"acsSignedContent verified (x5c chain to the root, signature) on "
            f"{run['verified']:,} flows of the run (one in 100), and on the check flow",
        ],
    )
    section.notes += cpu_notes
    if rreqs != completed or rreqs_y != completed or stats["duplicates"] or stats["invalid"]:
        section.notes.append(
            f"RReq MISMATCH: {rreqs:,} received ({rreqs_y:,} Y, {stats['duplicates']:,} "
            f"duplicates, {stats['invalid']:,} invalid) vs {completed:,} completed flows"
        )
    if run["late_s"] > 0.1:
        section.notes.append(
            f"a client process was ready {run['late_s']:.2f} s after the window opened: the "
            "rate is understated"
        )
    if warm["errors"]:
        section.notes.append(f"errors in the warm-up run: {warm['errors_by_step']}")
    for step, sample in run["error_samples"].items():
        section.notes.append(f"first {step} error: {sample}")
    return section
