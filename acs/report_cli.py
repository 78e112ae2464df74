"""``acs report data-quality``: the data-quality report of a running ACS (``GET
/qa/data-quality``), or read straight from its Redis store (``--store``), as a table, JSON or an
HTML page with charts."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

from acs.config import DEFAULT_PORT, env
from acs.risk import data_quality
from acs.risk.data_quality_html import write_html
from acs.since import parse_since
from acs.store.store import Store, StoreUnavailable


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="reports on what the ACS has seen")
    kinds = report.add_subparsers(dest="report", required=True)
    p = kinds.add_parser(
        "data-quality",
        help="which risk fields each 3DS Requestor omits, and how decisions differ",
        description="Per threeDSRequestorID: the risk signals its AReqs leave out (acctInfo, "
        "merchantRiskIndicator, addresses, browser fields, ...), how often, and the challenge "
        "and frictionless rates of AReqs with and without each. Reads a running ACS's "
        "GET /qa/data-quality (sending ACS_QA_TOKEN when set), or its Redis store.",
    )
    p.add_argument(
        "--since",
        default="24h",
        help="from when: an age (15m, 2h, 7d), epoch seconds or an ISO 8601 date-time "
        "(default 24h)",
    )
    p.add_argument(
        "--target",
        default=env("TARGET", f"http://127.0.0.1:{DEFAULT_PORT}"),
        help=f"the ACS to ask (default http://127.0.0.1:{DEFAULT_PORT}) [ACS_TARGET]",
    )
    p.add_argument(
        "--store", help="read this Redis store (redis://...) instead of asking an ACS over HTTP"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML page with charts")


def main(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        since = parse_since(args.since, time.time())
    except ValueError as exc:
        console.print(f"acs report: --{exc}")
        return 2
    where = args.store or args.target
    try:
        with console.status(f"reading the transaction records of {where} ..."):
            report = asyncio.run(_fetch(args, since))
    except ReportError as exc:
        console.print(f"acs report: {exc}")
        return 1
    if args.html:
        try:
            write_html(report, args.html)
        except OSError as exc:
            console.print(f"acs report: --html {args.html}: {exc.strerror or exc}")
            return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(Console(), report)
    if args.html:
        console.print(f"HTML report written to {args.html}")
    return 0


class ReportError(Exception):
    """Why the report could not be read; the message says what to do."""


async def _fetch(args: argparse.Namespace, since: float) -> dict[str, Any]:
    if args.store:
        return await _from_store(args.store, since)
    return await _from_acs(args.target.rstrip("/"), since)


async def _from_store(url: str, since: float) -> dict[str, Any]:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ReportError(f"--store {url!r}: give the ACS's Redis URL, such as redis://localhost")
    store = Store.connect(url)
    try:
        return await data_quality.report(store, since)
    except StoreUnavailable as exc:
        raise ReportError(f"{exc}; check --store") from exc
    finally:
        await store.close()


async def _from_acs(target: str, since: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if (token := env("QA_TOKEN")) else {}
    url = f"{target}/qa/data-quality"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http,
            http.get(url, params={"since": str(since)}, headers=headers) as resp,
        ):
            body = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise ReportError(
            f"cannot read {url}: {exc or type(exc).__name__}; start the ACS (acs serve) or "
            "give --target URL"
        ) from exc
    if resp.status != 200 or not isinstance(body, dict) or "requestors" not in body:
        error = body.get("error") if isinstance(body, dict) else None
        hint = body.get("hint") if isinstance(body, dict) else None
        raise ReportError(
            f"{url} answered HTTP {resp.status}: {error or body}" + (f" ({hint})" if hint else "")
        )
    return body


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.0f} pt"


def _print(console: Console, report: dict[str, Any]) -> None:
    for requestor in report["requestors"]:
        title = requestor["threeDSRequestorID"]
        if requestor.get("threeDSRequestorName"):
            title += f" ({requestor['threeDSRequestorName']})"
        table = Table(
            title=f"{title}: {requestor['transactions']} AReqs, challenged "
            f"{_pct(requestor['challenge_rate'])}",
            title_justify="left",
        )
        table.add_column("signal")
        table.add_column("omitted", justify="right")
        table.add_column("challenged with", justify="right")
        table.add_column("challenged without", justify="right")
        table.add_column("difference", justify="right")
        for s in requestor["signals"]:
            table.add_row(
                s["signal"],
                f"{s['omitted']}/{s['applicable']} ({_pct(s['omitted_rate'])})",
                _pct(s["with"]["challenge_rate"]),
                _pct(s["without"]["challenge_rate"]),
                _points(s["challenge_rate_difference"]),
            )
        console.print(table)
    summary = Table(title="data quality", title_justify="left")
    summary.add_column("threeDSRequestorID")
    summary.add_column("AReqs", justify="right")
    summary.add_column("signals omitted (any AReq)", justify="right")
    summary.add_column("most omitted")
    for requestor in report["requestors"]:
        omitted = [s for s in requestor["signals"] if s["omitted"]]
        worst = max(omitted, key=lambda s: s["omitted_rate"] or 0, default=None)
        summary.add_row(
            requestor["threeDSRequestorID"],
            str(requestor["transactions"]),
            f"{len(omitted)} of {len(requestor['signals'])}",
            f"{worst['signal']} ({_pct(worst['omitted_rate'])})" if worst else "-",
        )
    console.print(summary)
    if not report["requestors"]:
        console.print("no AReqs in this window: widen --since, or send some first")
