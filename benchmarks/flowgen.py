"""The ``challenge`` and ``knowledge`` load generator: virtual cardholders completing browser
challenges over HTTP.

Runs as its own process (``python -m benchmarks.flowgen``) so its CPU is not the ACS's. Each of
``--connections`` cardholders repeats one flow, the way a 3DS Server and a browser drive it:

1. ``areq``   POST /3ds/areq, a challenge card: expects an ARes with transStatus C and an acsURL
2. ``creq``   POST the base64url ``creq`` to the acsURL: expects the code page and its form token
3. ``outbox`` GET /qa/outbox?acsTransID=...: the code the ACS "sent" (the cardholder's phone)
4. ``submit`` POST /3ds/challenge/step with the token and the code: expects the final page with
   a ``cres`` whose transStatus is Y (the ACS sends the RReq before it answers)

That is the default, ``--factors otp`` on the OTP card. ``--pan`` and ``--factors`` play other
catalog cards: each factor after the CReq is ``otp`` (steps ``outbox`` and ``submit``, as above)
or ``passcode`` (step ``passcode``: POST the ``--passcode`` in the page's ``otp`` field, on a page
that asks for it in a password field). Every answer but the last must be the next factor's page
(a fresh form token, no ``cres``); the last must be the final page, transStatus Y. So
``--pan 4016000000000186 --factors passcode`` is areq, creq, passcode and ``--pan
4016000000000202 --factors otp,passcode`` is areq, creq, outbox, submit, passcode.

New flows start until ``--duration`` has passed; flows in flight then finish (they count in the
totals, which the stub DS's RReq count is checked against, not in the rate). With ``--warmup S``
flows run S seconds before the measured ``--duration`` begins: only steps that end within the
measured seconds count in the rates and latencies, so a slow flow's ramp-up is not measured.
Prints one JSON object on its last line. ``--check`` runs one flow and exits 1, saying why, if it
fails.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec

from acs.risk.sample import base_areq

PAN = "4016000000000111"  # catalog challenge card (OTP by SMS): always transStatus C
NOTIFICATION_URL = "https://merchant.example/notify"
SESSION_DATA = "bench-session-data"
STEPS = ("areq", "creq", "outbox", "submit")  # the default flow's: one OTP factor
FACTORS = ("otp", "passcode")
PASSCODE = "123456"  # the demo cardholders' passcode (config/cardholders.yaml)
TIMEOUT_S = 30.0

_TOKEN = re.compile(r'name="token" value="([^"]+)"')
_CRES = re.compile(r'name="cres" value="([^"]+)"')
_PASSWORD = re.compile(r'name="otp"[^>]*type="password"|type="password"[^>]*name="otp"')
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class Unexpected(Exception):
    """An answer a real 3DS Server or browser would not have accepted."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step


def steps_for(factors: tuple[str, ...]) -> tuple[str, ...]:
    """The steps of a flow with these factors: ``("otp",)`` gives ``STEPS``."""
    names = {"otp": ("outbox", "submit"), "passcode": ("passcode",)}
    return ("areq", "creq", *(step for factor in factors for step in names[factor]))


@dataclass(slots=True)
class Tally:
    deadline: float
    steps: tuple[str, ...] = STEPS
    measure_from: float = 0.0  # steps that end before this (the warm-up) are not counted
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # first error text per step
    started: int = 0
    completed: int = 0  # flows that got their final page, drain included

    def __post_init__(self) -> None:
        self.latencies = self.latencies or {name: [] for name in (*self.steps, "flow")}

    def step(self, name: str, began: float) -> float:
        ended = time.perf_counter()
        if self.measure_from <= ended <= self.deadline:
            self.latencies[name].append(ended - began)
        return ended

    def failed(self, step: str, detail: str) -> None:
        self.errors[step] += 1
        self.samples.setdefault(step, detail[:300])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _snippet(body: bytes | str) -> str:
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    return " ".join(text.split())[:200]


def _next_page(step: str, page: str, factor: str) -> str:
    """The form token of the page that asks for ``factor``."""
    token = _TOKEN.search(page)
    if token is None:
        raise Unexpected(step, f"no form token on the page: {_snippet(page)}")
    if factor == "passcode" and _PASSWORD.search(page) is None:
        raise Unexpected(step, f"not the passcode page (no password field): {_snippet(page)}")
    return token.group(1)


async def _submit(http: aiohttp.ClientSession, acs: str, step: str, token: str, text: str) -> str:
    form = {"token": token, "action": "submit", "otp": text}
    async with http.post(f"{acs}/3ds/challenge/step", data=form) as resp:
        page = await resp.text()
        if resp.status != 200:
            raise Unexpected(step, f"HTTP {resp.status}: {_snippet(page)}")
    return page


async def flow(
    http: aiohttp.ClientSession,
    acs: str,
    template: dict[str, Any],
    tally: Tally,
    factors: tuple[str, ...] = ("otp",),
    passcode: str = PASSCODE,
) -> None:
    """One cardholder's challenge, step by step; raises ``Unexpected`` at the first bad answer."""
    began = start = time.perf_counter()
    body = dict(template, threeDSServerTransID=str(uuid.uuid4()))
    async with http.post(
        f"{acs}/3ds/areq", data=_encode(body), headers={"Content-Type": "application/json"}
    ) as resp:
        raw = await resp.read()
        if resp.status != 200:
            raise Unexpected("areq", f"HTTP {resp.status}: {_snippet(raw)}")
    ares = _decode(raw)
    if not isinstance(ares, dict) or ares.get("transStatus") != "C" or not ares.get("acsURL"):
        raise Unexpected("areq", f"expected an ARes with transStatus C: {_snippet(raw)}")
    began = tally.step("areq", began)

    creq = {
        "threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"],
        "messageType": "CReq",
        "messageVersion": ares["messageVersion"],
        "challengeWindowSize": "05",
    }
    form = {"creq": b64url(_encode(creq)), "threeDSSessionData": SESSION_DATA}
    async with http.post(ares["acsURL"], data=form) as resp:
        page = await resp.text()
        if resp.status != 200:
            raise Unexpected("creq", f"HTTP {resp.status}: {_snippet(page)}")
    token = _next_page("creq", page, factors[0])
    step = "creq"
    began = tally.step(step, began)

    for i, factor in enumerate(factors):
        if factor == "otp":
            code = await _outbox_code(http, acs, ares["acsTransID"])
            began = tally.step("outbox", began)
            step = "submit"
        else:
            code, step = passcode, "passcode"
        page = await _submit(http, acs, step, token, code)
        if i + 1 < len(factors):
            if _CRES.search(page) is not None:
                raise Unexpected(step, f"the final page came before the {factors[i + 1]} page")
            token = _next_page(step, page, factors[i + 1])
            began = tally.step(step, began)

    found = _CRES.search(page)
    if found is None:
        raise Unexpected(step, f'no name="cres" on the final page: {_snippet(page)}')
    cres = json.loads(base64.urlsafe_b64decode(found.group(1) + "=" * (-len(found.group(1)) % 4)))
    if cres.get("transStatus") != "Y" or cres.get("acsTransID") != ares["acsTransID"]:
        raise Unexpected(step, f"final CRes is not Y for this transaction: {cres}")
    ended = tally.step(step, began)
    tally.completed += 1
    if tally.measure_from <= ended <= tally.deadline:
        tally.latencies["flow"].append(ended - start)


async def _outbox_code(http: aiohttp.ClientSession, acs: str, acs_trans_id: str) -> str:
    async with http.get(f"{acs}/qa/outbox", params={"acsTransID": acs_trans_id}) as resp:
        raw = await resp.read()
        if resp.status != 200:
            raise Unexpected("outbox", f"HTTP {resp.status}: {_snippet(raw)}")
    messages = _decode(raw)
    if not isinstance(messages, list) or not messages or not messages[-1].get("code"):
        raise Unexpected("outbox", f"no code in the outbox: {_snippet(raw)}")
    return str(messages[-1]["code"])


async def run(
    acs: str,
    ds_url: str,
    duration: float,
    connections: int,
    pan: str = PAN,
    factors: tuple[str, ...] = ("otp",),
    passcode: str = PASSCODE,
    warmup: float = 0.0,
) -> dict[str, Any]:
    template = base_areq(
        acctNumber=pan,
        dsURL=ds_url,
        notificationURL=NOTIFICATION_URL,
        threeDSServerTransID=str(uuid.uuid4()),
    )
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        start = time.perf_counter()
        tally = Tally(
            deadline=start + warmup + duration,
            steps=steps_for(factors),
            measure_from=start + warmup,
        )

        async def cardholder() -> None:
            while time.perf_counter() < tally.deadline:
                tally.started += 1
                try:
                    await flow(http, acs, template, tally, factors, passcode)
                except Unexpected as exc:
                    tally.failed(exc.step, str(exc))
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    tally.failed("other", f"{type(exc).__name__}: {exc}")

        await asyncio.gather(*(cardholder() for _ in range(connections)))
        drained = time.perf_counter() - start - warmup  # from the measured start
    # CPU since this process started, imports included: the parent meters the whole child.
    return summary(tally, duration, drained) | {"cpu_s": time.process_time()}


def _pct(sorted_s: list[float], p: float) -> float:
    if not sorted_s:
        return 0.0
    return sorted_s[min(len(sorted_s) - 1, int(p / 100 * len(sorted_s)))] * 1000


def summary(tally: Tally, duration: float, drained: float) -> dict[str, Any]:
    steps: dict[str, dict[str, float | int]] = {}
    for name, values in tally.latencies.items():
        values.sort()
        steps[name] = {
            "count": len(values),
            "per_s": len(values) / duration,
            "mean_ms": sum(values) / len(values) * 1000 if values else 0.0,
            "p50_ms": _pct(values, 50),
            "p90_ms": _pct(values, 90),
            "p99_ms": _pct(values, 99),
            "max_ms": values[-1] * 1000 if values else 0.0,
            "errors": tally.errors.get(name, 0),
        }
    steps["flow"]["errors"] = sum(tally.errors.values())  # a failed step fails its flow
    return {
        "seconds": duration,
        "drained_s": drained,
        "flows": len(tally.latencies["flow"]),
        "flows_per_s": len(tally.latencies["flow"]) / duration,
        "started_total": tally.started,
        "completed_total": tally.completed,
        "errors": sum(tally.errors.values()),
        "errors_by_step": dict(tally.errors),
        "error_samples": tally.samples,
        "steps": steps,
    }


async def check(
    acs: str,
    ds_url: str,
    pan: str = PAN,
    factors: tuple[str, ...] = ("otp",),
    passcode: str = PASSCODE,
) -> dict[str, Any]:
    template = base_areq(acctNumber=pan, dsURL=ds_url, notificationURL=NOTIFICATION_URL)
    tally = Tally(deadline=float("inf"), steps=steps_for(factors))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as http:
        try:
            await flow(http, acs, template, tally, factors, passcode)
        except Unexpected as exc:
            tally.failed(exc.step, str(exc))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            tally.failed("other", f"{type(exc).__name__}: {exc}")
    return summary(tally, 1.0, 0.0)


def _factors(text: str) -> tuple[str, ...]:
    factors = tuple(f.strip() for f in text.split(","))
    if not factors or any(f not in FACTORS for f in factors) or len(set(factors)) != len(factors):
        raise argparse.ArgumentTypeError(f"a comma-separated list of distinct {'/'.join(FACTORS)}")
    return factors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="browser challenge flows against an ACS")
    parser.add_argument("acs_url", help="the ACS base URL, e.g. http://127.0.0.1:8443")
    parser.add_argument("ds_url", help="dsURL for the AReqs: where the ACS sends the RReq")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=0, help="seconds before --duration")
    parser.add_argument("--connections", type=int, default=32, help="concurrent cardholders")
    parser.add_argument("--check", action="store_true", help="one flow; exit 1 if it fails")
    parser.add_argument("--pan", default=PAN, help=f"the challenge card ({PAN})")
    parser.add_argument(
        "--factors", type=_factors, default=("otp",),
        help="the challenge's factors in order, otp and/or passcode (otp)",
    )  # fmt: skip
    parser.add_argument("--passcode", default=PASSCODE, help=f"for a passcode page ({PASSCODE})")
    args = parser.parse_args(argv)
    acs = args.acs_url.rstrip("/")
    plan = (args.pan, args.factors, args.passcode)
    if args.check:
        result = asyncio.run(check(acs, args.ds_url, *plan))
    else:
        result = asyncio.run(
            run(acs, args.ds_url, args.duration, args.connections, *plan, args.warmup)
        )
    print(json.dumps(result), flush=True)
    return 1 if args.check and result["completed_total"] != 1 else 0


if __name__ == "__main__":
    sys.exit(main())
