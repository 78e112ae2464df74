"""``challenge``: complete browser challenge flows per second, one ACS process on real Redis.

No browser: ``benchmarks.flowgen`` (its own process) plays N cardholders, each repeating AReq ->
CReq -> the code from the QA outbox -> submit -> the final page with ``cres``. A stub DS process
(``benchmarks.stub_ds``) answers the RReq each completed challenge sends, and counts them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, fields
from typing import Any

from benchmarks.flowgen import PAN, STEPS
from benchmarks.loadgen import run_child
from benchmarks.procs import (
    BenchError,
    Server,
    cpu_seconds,
    machine_cpu_seconds,
    start_acs,
    start_redis,
    start_stub_ds,
)
from benchmarks.registry import Context, Row, Section, Verdict, benchmark

TARGET_FLOWS_PER_S = 300.0

_STEP_LABELS = {
    "areq": "1 AReq",
    "creq": "2 CReq: code page",
    "outbox": "3 code from outbox",
    "submit": "4 submit: final page",
    "flow": "whole flow",
}


@dataclass(frozen=True, slots=True)
class StepFigures:
    """One step (or the whole flow) over the measured run."""

    count: int
    per_s: float
    mean_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int

    @classmethod
    def of(cls, data: dict[str, Any]) -> StepFigures:
        return cls(**{f.name: data[f.name] for f in fields(cls)})

    def cells(self) -> dict[str, str]:
        return {
            "done": f"{self.count:,}",
            "per s": f"{self.per_s:,.0f}",
            "p50 ms": f"{self.p50_ms:.2f}",
            "p99 ms": f"{self.p99_ms:.2f}",
            "max ms": f"{self.max_ms:.1f}",
            "errors": f"{self.errors:,}",
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "per_s": round(self.per_s, 2),
            "mean_ms": round(self.mean_ms, 3),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "errors": self.errors,
        }


def _flowgen(ctx: Context, text: str, acs: Server, ds_url: str, seconds: int) -> dict[str, Any]:
    argv = [sys.executable, "-m", "benchmarks.flowgen", acs.url, ds_url,
            "--duration", str(seconds), "--connections", str(ctx.options.connections)]  # fmt: skip
    with ctx.steps.step(text, seconds) as tick:
        output = run_child(ctx.children, "flowgen", argv, seconds, tick)
    return _last_json(output, "flowgen")


def _last_json(output: str, name: str) -> dict[str, Any]:
    try:
        result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise BenchError(f"{name} printed no result:\n{output[-2000:]}") from exc
    return result


def _check_flow(ctx: Context, acs: Server, ds_url: str) -> dict[str, Any]:
    """One flow before loading: a broken setup fails here with the reason, not as a low rate."""
    argv = [sys.executable, "-m", "benchmarks.flowgen", acs.url, ds_url, "--check"]
    proc = ctx.children.spawn("flowgen-check", argv)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        raise BenchError("one browser challenge did not finish within 60 s") from None
    finally:
        ctx.children.stop(proc)
    output = ctx.children.log_path("flowgen-check").read_text(errors="replace")
    result = _last_json(output, "flowgen --check")
    if result["completed_total"] != 1:
        raise BenchError(
            "one browser challenge did not complete; fix the flow in benchmarks/flowgen.py or the "
            f"demo config ({PAN} must be a catalog challenge card). What failed:\n"
            + "\n".join(result["error_samples"].values())
        )
    return result


class CpuMeter:
    """CPU seconds used by our servers and by the whole machine over a ``with`` block."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers
        self.used: dict[str, float] = {}  # name (or "machine") -> CPU seconds
        self.wall = 0.0
        self._start: dict[str, float | None] = {}
        self._started = 0.0

    def _sample(self) -> dict[str, float | None]:
        sample = {s.name: cpu_seconds(s.proc.pid) for s in self.servers}
        sample["bench"] = time.process_time()  # this process: progress display, polling
        machine = machine_cpu_seconds()
        sample["machine"] = machine[0] if machine else None
        return sample

    def __enter__(self) -> CpuMeter:
        self._start, self._started = self._sample(), time.monotonic()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.monotonic() - self._started
        end = self._sample()
        for name, begin in self._start.items():
            finish = end.get(name)
            if begin is not None and finish is not None:
                self.used[name] = finish - begin


def _cpu_notes(
    meter: CpuMeter, loadgen_cpu: float, flows_total: int, client: str = "flowgen"
) -> tuple[dict[str, Any], list[str]]:
    """Where the CPU went during the measured run, and the ACS's own cost per flow; ``client``
    names the load generator's share."""
    used, wall = meter.used, meter.wall
    if "acs" not in used or wall <= 0:
        return {}, []
    cores = os.cpu_count() or 1
    shares: dict[str, float] = {
        name: used[name] / wall for name in ("acs", "redis", "stub-ds") if name in used
    }
    shares[client] = loadgen_cpu / wall
    meta: dict[str, Any] = {
        "cores": cores,
        "cpu_share": {k: round(v, 3) for k, v in shares.items()},
        "acs_cpu_ms_per_flow": round(used["acs"] / flows_total * 1000, 3) if flows_total else None,
    }
    parts = ", ".join(f"{name} {share:.0%}" for name, share in shares.items())
    notes = [f"CPU during the measured run, in cores ({cores} on this machine): {parts}"]
    if "machine" in used:
        ours = sum(used[n] for n in (*shares, "bench") if n in used) + loadgen_cpu
        other = max(used["machine"] - ours, 0.0)
        meta["cpu_share"]["other_processes"] = round(other / wall, 3)
        notes[0] += f"; other processes {other / wall:.0%}"
        if other / wall > 0.2:
            notes.append(
                "other processes used the CPU during the run: the rate is understated; compare "
                "the ACS CPU per flow, which does not depend on them"
            )
    if flows_total and used["acs"] > 0:
        per_flow = used["acs"] / flows_total
        meta["acs_flows_per_cpu_s"] = round(1 / per_flow, 1)
        notes.append(
            f"ACS CPU per flow: {per_flow * 1000:.2f} ms, so one fully busy ACS core would "
            f"complete about {1 / per_flow:,.0f} flows/s"
        )
    return meta, notes


def _ds_stats(ds: Server) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"{ds.url}/stats", timeout=5) as resp:
            stats: dict[str, Any] = json.loads(resp.read())
    except OSError as exc:
        raise BenchError(f"the stub DS did not report its RReq count: {exc}") from exc
    return stats


@benchmark("challenge", "complete browser challenge flows/s (AReq, CReq, code, submit) on Redis")
def challenge(ctx: Context) -> Section:
    opts = ctx.options
    with ctx.steps.step("starting redis-server"):
        redis_server = start_redis(ctx.children)
    with ctx.steps.step("starting stub DS"):
        ds = start_stub_ds(ctx.children)
    with ctx.steps.step("starting acs (redis store, --base-url)"):
        acs = start_acs(ctx.children, redis_server.url, base_url=True)
    ds_url = f"{ds.url}/rreq"
    with ctx.steps.step("checking one challenge flow end to end"):
        _check_flow(ctx, acs, ds_url)

    warm = _flowgen(ctx, "challenge flows: warm-up", acs, ds_url, opts.warmup)
    with CpuMeter([acs, redis_server, ds]) as meter:
        run = _flowgen(ctx, "challenge flows: measuring", acs, ds_url, opts.duration)
    cpu_meta, cpu_notes = _cpu_notes(meter, run.get("cpu_s", 0.0), run["completed_total"])
    stats = _ds_stats(ds)

    completed = 1 + warm["completed_total"] + run["completed_total"]  # the check flow, too
    rreqs, rreqs_y = stats["received"], stats["trans_status"].get("Y", 0)
    steps = run["steps"]
    section = Section(
        name="challenge",
        title=(
            f"Browser challenge flows on Redis (one acs serve, {opts.connections} cardholders, "
            f"card {PAN})"
        ),
        rows=[Row(name, _STEP_LABELS[name], StepFigures.of(steps[name])) for name in STEPS]
        + [Row("flow", _STEP_LABELS["flow"], StepFigures.of(steps["flow"]))],
        verdicts=[
            Verdict(
                "flows_per_s", "complete challenge flows/s", run["flows_per_s"], TARGET_FLOWS_PER_S
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
            "drain_s": round(run["drained_s"] - run["seconds"], 3),
            **cpu_meta,
        },
        notes=[
            f"errors (any unexpected answer) in the measured run: {run['errors']:,}"
            + (f" {run['errors_by_step']}" if run["errors"] else ""),
            f"RReqs at the stub DS: {rreqs:,} ({rreqs_y:,} with transStatus Y) for {completed:,} "
            "flows completed (check, warm-up and measured runs, in-flight flows included)",
            "a flow: POST /3ds/areq, POST acsURL (creq), GET /qa/outbox, POST "
            "/3ds/challenge/step; the ACS sends the RReq before it answers the last one. 'per s' "
            "counts steps finished within the measured seconds",
        ],
    )
    section.notes += cpu_notes
    if rreqs != completed or rreqs_y != completed or stats["duplicates"] or stats["invalid"]:
        section.notes.append(
            f"RReq MISMATCH: {rreqs:,} received ({rreqs_y:,} Y, {stats['duplicates']:,} "
            f"duplicates, {stats['invalid']:,} invalid) vs {completed:,} completed flows"
        )
    if warm["errors"]:
        section.notes.append(f"errors in the warm-up run: {warm['errors_by_step']}")
    for step, sample in run["error_samples"].items():
        section.notes.append(f"first {step} error: {sample}")
    return section
