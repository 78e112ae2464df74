"""``knowledge``: browser flows/s with a passcode (knowledge) factor, against OTP-only flows.

One ACS process on real Redis and a stub DS, as in ``challenge``; ``benchmarks.flowgen`` plays
the cardholders of three catalog cards in turn:

- ``otp``: 4016000000000111, the code from the QA outbox (the baseline);
- ``passcode``: 4016000000000186, the passcode 123456 in the page's ``otp`` field;
- ``otp_passcode``: 4016000000000202, the code, then the passcode on a second page.

The passcode is checked against the cardholder's scrypt hash in a worker thread of the ACS
(``acs.issuer.vault``). Three rounds, the cards in a rotated order each round, each run
``--warmup`` seconds of flows and then ``--duration`` measured seconds (steady state: the ramp-up
of a slow flow is not counted). The verdicts are the median over the rounds of each card's
flows/s against the OTP flows/s of the same round (target >= 0.5 for both).

``python -m benchmarks knowledge --config DIR`` runs the ACS on another issuer directory (a copy
of ``config/`` with other passcode hashes, say) to measure another scrypt cost end to end.
"""

from __future__ import annotations

import base64
import hashlib
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks.challenge_flow import CpuMeter, StepFigures, _ds_stats, _last_json
from benchmarks.flowgen import PASSCODE, steps_for
from benchmarks.loadgen import run_child
from benchmarks.procs import (
    ROOT,
    BenchError,
    Server,
    start_acs,
    start_redis,
    start_stub_ds,
)
from benchmarks.registry import Context, Row, Section, Verdict, benchmark

TARGET_RATIO = 0.5
ROUNDS = 3


@dataclass(frozen=True, slots=True)
class Card:
    key: str
    label: str
    pan: str
    factors: tuple[str, ...]


CARDS = (
    Card("otp", "OTP only", "4016000000000111", ("otp",)),
    Card("passcode", "passcode only", "4016000000000186", ("passcode",)),
    Card("otp_passcode", "OTP then passcode", "4016000000000202", ("otp", "passcode")),
)
BASELINE = CARDS[0]

_STEP_LABELS = {
    "areq": "· AReq",
    "creq": "· CReq: 1st page",
    "outbox": "· outbox code",
    "submit": "· submit code",
    "passcode": "· submit passcode",
}


@dataclass(slots=True)
class CardRuns:
    """A card's measured runs over the rounds: flowgen's results and the CPU each process used."""

    card: Card
    runs: list[dict[str, Any]]
    cpu: dict[str, float]  # acs / redis / stub-ds / flowgen / machine -> CPU seconds, all rounds
    wall: float  # seconds the CPU was metered over, all rounds

    @property
    def completed(self) -> int:
        return sum(r["completed_total"] for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r["errors"] for r in self.runs)

    @property
    def flows_per_s(self) -> float:
        return float(sum(r["flows"] for r in self.runs) / sum(r["seconds"] for r in self.runs))

    def acs_ms_per_flow(self) -> float | None:
        if "acs" not in self.cpu or not self.completed:
            return None
        return self.cpu["acs"] / self.completed * 1000

    def step(self, name: str) -> StepFigures:
        """A step (or ``flow``) over all rounds: counts added, percentiles of the pooled runs
        approximated by the count-weighted mean of each run's (the runs are alike)."""
        parts = [r["steps"][name] for r in self.runs]
        count = sum(p["count"] for p in parts)

        def mean(field: str) -> float:
            return sum(p[field] * p["count"] for p in parts) / count if count else 0.0

        return StepFigures(
            count=count,
            per_s=count / sum(r["seconds"] for r in self.runs),
            mean_ms=mean("mean_ms"),
            p50_ms=mean("p50_ms"),
            p99_ms=mean("p99_ms"),
            max_ms=max(p["max_ms"] for p in parts),
            errors=sum(p["errors"] for p in parts),
        )


@dataclass(frozen=True, slots=True)
class CardFigures:
    """A card's row: its rate, the ratio to OTP flows, latency and the ACS's CPU per flow."""

    flows_per_s: float
    ratio: float | None  # median over the rounds of flows/s against OTP's in the same round
    flow: StepFigures
    acs_ms_per_flow: float | None
    errors: int

    def cells(self) -> dict[str, str]:
        cpu = self.acs_ms_per_flow
        return {
            "flows/s": f"{self.flows_per_s:,.1f}",
            "ratio to OTP": "" if self.ratio is None else f"{self.ratio:.2f}",
            "mean ms": f"{self.flow.mean_ms:.1f}",
            "p50 ms": f"{self.flow.p50_ms:.1f}",
            "p99 ms": f"{self.flow.p99_ms:.1f}",
            "ACS CPU ms/flow": "-" if cpu is None else f"{cpu:.2f}",
            "errors": f"{self.errors:,}",
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "flows_per_s": round(self.flows_per_s, 2),
            "ratio_to_otp": None if self.ratio is None else round(self.ratio, 4),
            "flow": self.flow.as_json(),
            "acs_cpu_ms_per_flow": None if self.acs_ms_per_flow is None else round(
                self.acs_ms_per_flow, 3
            ),
            "errors": self.errors,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class StepRow:
    """One step of a card's flow: its share of the flow's time."""

    figures: StepFigures

    def cells(self) -> dict[str, str]:
        f = self.figures
        return {"mean ms": f"{f.mean_ms:.1f}", "p50 ms": f"{f.p50_ms:.1f}",
                "p99 ms": f"{f.p99_ms:.1f}", "errors": f"{f.errors:,}"}  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return self.figures.as_json()


@dataclass(frozen=True, slots=True)
class Scrypt:
    """The scrypt profile of the passcode hash the ACS checks, and what one verify costs here."""

    n: int
    r: int
    p: int
    verify_ms: float  # CPU time of one verify (median of a few, in this process)
    wall_ms: float  # its wall time: more when other processes want the cores

    @property
    def memory_mib(self) -> float:
        return 128 * self.n * self.r * self.p / 2**20

    def describe(self) -> str:
        log_n = self.n.bit_length() - 1
        n = f"2^{log_n}" if self.n == 1 << log_n else str(self.n)
        return f"N={n}, r={self.r}, p={self.p} ({self.memory_mib:.0f} MiB)"

    def as_json(self) -> dict[str, Any]:
        return {"n": self.n, "r": self.r, "p": self.p, "memory_mib": round(self.memory_mib, 1),
                "verify_cpu_ms": round(self.verify_ms, 2),
                "verify_wall_ms": round(self.wall_ms, 2)}  # fmt: skip


def _passcode_hashes(config: Path) -> dict[str, str]:
    """PAN -> passcode hash of the cardholders in ``config``'s cardholders.yaml."""
    try:
        doc = yaml.safe_load((config / "cardholders.yaml").read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise BenchError(f"cannot read {config / 'cardholders.yaml'}: {exc}") from exc
    return {
        str(ch.get("pan")): str(ch["passcode_hash"])
        for ch in (doc or {}).get("cardholders") or []
        if isinstance(ch, dict) and ch.get("passcode_hash")
    }


def _scrypt(stored: str, rounds: int = 5) -> Scrypt | None:
    """Time a verify of ``PASSCODE`` against ``stored`` the way the vault does it."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(v.isdigit() for v in parts[1:4]):
        return None
    n, r, p = (int(v) for v in parts[1:4])
    salt, digest = base64.b64decode(parts[4]), base64.b64decode(parts[5])
    cpu, wall = [], []
    for _ in range(rounds):
        began, began_cpu = time.perf_counter(), time.thread_time()
        hashlib.scrypt(PASSCODE.encode(), salt=salt, n=n, r=r, p=p, dklen=len(digest))
        cpu.append(time.thread_time() - began_cpu)
        wall.append(time.perf_counter() - began)
    return Scrypt(n, r, p, statistics.median(cpu) * 1000, statistics.median(wall) * 1000)


def _argv(acs: Server, ds_url: str, card: Card) -> list[str]:
    return [sys.executable, "-m", "benchmarks.flowgen", acs.url, ds_url,
            "--pan", card.pan, "--factors", ",".join(card.factors)]  # fmt: skip


def _check(ctx: Context, acs: Server, ds_url: str, card: Card) -> None:
    """One flow of the card before loading: a broken setup fails here with the reason."""
    name = f"flowgen-check-{card.key}"
    # flowgen --check exits 1 when the flow fails: run_child then raises with its output
    output = run_child(ctx.children, name, [*_argv(acs, ds_url, card), "--check"], 30, None)
    result = _last_json(output, f"flowgen --check ({card.label})")
    if result["completed_total"] != 1:
        raise BenchError(f"what failed: {result['error_samples']}")


def _measure(
    ctx: Context, acs: Server, servers: list[Server], ds_url: str, card: Card, text: str
) -> tuple[dict[str, Any], dict[str, float], float]:
    opts = ctx.options
    argv = [*_argv(acs, ds_url, card), "--duration", str(opts.duration),
            "--warmup", str(opts.warmup), "--connections", str(opts.connections)]  # fmt: skip
    seconds = opts.warmup + opts.duration
    with ctx.steps.step(text, seconds) as tick, CpuMeter(servers) as meter:
        output = run_child(ctx.children, f"flowgen-{card.key}", argv, seconds, tick)
    run = _last_json(output, f"flowgen ({card.label})")
    return run, {**meter.used, "flowgen": run.get("cpu_s", 0.0)}, meter.wall


def _check_or_explain(ctx: Context, acs: Server, ds_url: str, card: Card) -> None:
    try:
        _check(ctx, acs, ds_url, card)
    except BenchError as exc:
        raise BenchError(
            f"one {card.label} flow ({card.pan}, factors {'+'.join(card.factors)}) did not "
            f"complete; the demo passcode must be {PASSCODE}. {exc}"
        ) from exc


@benchmark(
    "knowledge", "browser flows/s with a passcode (scrypt) against OTP-only flows, one ACS on Redis"
)
def knowledge(ctx: Context) -> Section:
    opts = ctx.options
    config = Path(opts.config) if opts.config else ROOT / "config"
    hashes = _passcode_hashes(config)
    with ctx.steps.step("starting redis-server"):
        redis_server = start_redis(ctx.children)
    with ctx.steps.step("starting stub DS"):
        ds = start_stub_ds(ctx.children)
    extra = ["--config", str(config)] if opts.config else []
    with ctx.steps.step(f"starting acs (redis store, --base-url{', --config ' if extra else ''}"
                        f"{extra[-1] if extra else ''})"):  # fmt: skip
        acs = start_acs(ctx.children, redis_server.url, base_url=True, extra=extra)
    ds_url = f"{ds.url}/rreq"
    with ctx.steps.step("checking one flow of each card end to end"):
        for card in CARDS:
            _check_or_explain(ctx, acs, ds_url, card)
    with ctx.steps.step("timing one scrypt verify of the passcode hash (this process)"):
        stored = hashes.get(CARDS[1].pan)
        scrypt = _scrypt(stored) if stored else None

    servers = [acs, redis_server, ds]
    results = {card.key: CardRuns(card, [], {}, 0.0) for card in CARDS}
    for round_no in range(ROUNDS):
        order = CARDS[round_no:] + CARDS[:round_no]  # each card first once, OTP beside each
        for card in order:
            text = f"round {round_no + 1}/{ROUNDS}: {card.label}"
            run, used, wall = _measure(ctx, acs, servers, ds_url, card, text)
            runs = results[card.key]
            runs.runs.append(run)
            runs.wall += wall
            for name, seconds in used.items():
                runs.cpu[name] = runs.cpu.get(name, 0.0) + seconds
    stats = _ds_stats(ds)
    return _section(ctx, results, scrypt, stats, config if opts.config else None)


def _ratios(results: dict[str, CardRuns], card: Card) -> list[float]:
    base = results[BASELINE.key].runs
    return [
        run["flows_per_s"] / b["flows_per_s"] if b["flows_per_s"] else 0.0
        for run, b in zip(results[card.key].runs, base, strict=True)
    ]


def _section(
    ctx: Context,
    results: dict[str, CardRuns],
    scrypt: Scrypt | None,
    stats: dict[str, Any],
    config: Path | None,
) -> Section:
    opts = ctx.options
    rows: list[Row] = []
    verdicts: list[Verdict] = []
    meta: dict[str, Any] = {"rounds": ROUNDS, "cards": {}, "cores": os.cpu_count() or 1}
    ratio_of: dict[str, float] = {}
    for card in CARDS:
        runs = results[card.key]
        ratios = _ratios(results, card)
        ratio = statistics.median(ratios) if card is not BASELINE else None
        if ratio is not None:
            ratio_of[card.key] = ratio
        figures = CardFigures(runs.flows_per_s, ratio, runs.step("flow"),
                              runs.acs_ms_per_flow(), runs.errors)  # fmt: skip
        rows.append(Row(card.key, card.label, figures))
        rows += [
            Row(f"{card.key}.{step}", f"  {_STEP_LABELS[step]}", StepRow(runs.step(step)))
            for step in steps_for(card.factors)
        ]
        meta["cards"][card.key] = {
            "pan": card.pan,
            "factors": list(card.factors),
            "flows_per_s_by_round": [round(r["flows_per_s"], 2) for r in runs.runs],
            "ratio_to_otp_by_round": None if card is BASELINE else [round(x, 4) for x in ratios],
            "flows_completed_total": runs.completed,
            "acs_cpu_cost_ratio_to_otp": _cost_ratio(results, card),
            "errors_by_step": _merged(r["errors_by_step"] for r in runs.runs),
            "cpu_share": {k: round(v / runs.wall, 3) for k, v in runs.cpu.items()}
            if runs.wall
            else {},
        }
        if card is not BASELINE:
            verdicts.append(Verdict(f"{card.key}_ratio",
                                    f"{card.label} flows/s ÷ OTP flows/s (median of {ROUNDS})",
                                    ratio or 0.0, TARGET_RATIO))  # fmt: skip
    section = Section(
        name="knowledge",
        title=(
            f"Browser flows with a passcode factor on Redis (one acs serve, {opts.connections} "
            f"cardholders, {ROUNDS} rounds)"
        ),
        rows=rows,
        verdicts=verdicts,
        meta=meta,
    )
    section.notes += _notes(results, scrypt, stats, ratio_of, config)
    if scrypt is not None:
        meta["scrypt"] = scrypt.as_json()
    meta["rreq"] = stats
    return section


def _cost_ratio(results: dict[str, CardRuns], card: Card) -> float | None:
    """ACS CPU per OTP-only flow over ACS CPU per flow of ``card``."""
    base, own = results[BASELINE.key].acs_ms_per_flow(), results[card.key].acs_ms_per_flow()
    if card is BASELINE or base is None or not own:
        return None
    return round(base / own, 4)


def _merged(parts: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


def _notes(
    results: dict[str, CardRuns],
    scrypt: Scrypt | None,
    stats: dict[str, Any],
    ratio_of: dict[str, float],
    config: Path | None,
) -> list[str]:
    notes = ["cards: " + "; ".join(f"{c.label} {c.pan}" for c in CARDS) + " (the baseline first)"]
    if config is not None:
        notes.append(f"the ACS ran with --config {config}")
    cores = os.cpu_count() or 1
    workers = min(32, cores + 4)  # asyncio.to_thread's default executor
    if scrypt is not None:
        notes.append(
            f"passcode hash: scrypt {scrypt.describe()}; one verify costs {scrypt.verify_ms:.1f} "
            f"ms of CPU ({scrypt.wall_ms:.1f} ms wall; timed in this process), so the {cores} "
            f"cores could check at most ~{cores * 1000 / scrypt.verify_ms:,.0f} passcodes/s "
            f"with nothing else running; the ACS runs them in asyncio.to_thread ({workers} "
            "worker threads)"
        )
    base = results[BASELINE.key].acs_ms_per_flow()
    for card in CARDS:
        runs = results[card.key]
        share = ", ".join(f"{name} {runs.cpu[name] / runs.wall:.0%}"
                          for name in ("acs", "redis", "stub-ds", "flowgen")
                          if name in runs.cpu and runs.wall)  # fmt: skip
        line = f"{card.label}: CPU in cores during its runs: {share}"
        if "machine" in runs.cpu and runs.wall:
            ours = sum(runs.cpu[n] for n in ("acs", "redis", "stub-ds", "flowgen") if n in runs.cpu)
            other = max(runs.cpu["machine"] - ours, 0.0) / runs.wall
            line += f"; other processes {other:.0%} (the bench itself included)"
        own = runs.acs_ms_per_flow()
        if own is not None and base is not None and card is not BASELINE:
            line += f"; ACS CPU per flow {own:.2f} ms, {own - base:+.2f} ms against OTP only"
            if scrypt is not None:
                line += f" (one scrypt verify: {scrypt.verify_ms:.1f} ms)"
            line += (
                f": a CPU-cost ratio of {base / own:.2f} (the flows/s ratio when the ACS is held "
                "to a fixed share of the CPU, as neighbours do; above it only as far as the "
                "verify runs on another core)"
            )
        notes.append(line)
    for card in CARDS[1:]:
        passcode = results[card.key].step("passcode")
        if scrypt is not None and passcode.count:
            notes.append(
                f"{card.label}: the passcode submit takes {passcode.mean_ms:.0f} ms on average "
                f"(p50 {passcode.p50_ms:.0f} ms), of which one verify is {scrypt.verify_ms:.0f} "
                "ms: the rest is waiting for a worker thread and a core"
            )
    completed = sum(r.completed for r in results.values()) + len(CARDS)  # the checks, too
    rreqs, rreqs_y = stats["received"], stats["trans_status"].get("Y", 0)
    notes.append(
        f"RReqs at the stub DS: {rreqs:,} ({rreqs_y:,} with transStatus Y) for {completed:,} "
        "flows completed (checks, warm-ups and measured runs, in-flight flows included)"
    )
    if rreqs != completed or rreqs_y != completed or stats["duplicates"] or stats["invalid"]:
        notes.append(
            f"RReq MISMATCH: {rreqs:,} received ({rreqs_y:,} Y, {stats['duplicates']:,} "
            f"duplicates, {stats['invalid']:,} invalid) vs {completed:,} completed flows"
        )
    for card in CARDS:
        runs = results[card.key]
        if runs.errors:
            samples = _merged_samples(r["error_samples"] for r in runs.runs)
            notes.append(f"{card.label}: {runs.errors:,} errors; first: {samples}")
    missed = [k for k, v in ratio_of.items() if v < TARGET_RATIO]
    if missed and scrypt is not None and base is not None:
        notes.append(
            "the passcode check is the difference: measure another scrypt cost end to end with "
            "--config DIR (a copy of config/ whose passcode_hash values are made with that cost)"
        )
    notes.append(
        "a round runs each card for --warmup s (not counted) then --duration s; the ratio is "
        "each round's card flows/s over the OTP flows/s of that round; p50/p99 of the rows are "
        "the rounds' weighed by their flows"
    )
    return notes


def _merged_samples(parts: Any) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        for key, value in part.items():
            merged.setdefault(key, value)
    return merged
