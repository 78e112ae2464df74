"""``acs sdk``: run an app challenge headlessly against an ACS, as a 3DS SDK would.

It sends the app AReq to ``--acs`` (as the DS forwards it), checks the ARes's acsSignedContent
against ``--root``, then shows each CRes screen and answers it with the next ``--answer`` (or a
prompt, on a terminal). Special answers: ``outbox`` (the code the ACS sent, from GET
/qa/outbox), ``approve`` / ``deny`` (the banking app's answer to an out-of-band screen, by POST
/issuer/oob/{acsTransID}, then continue), ``cancel``, ``resend``.

Exit status: 0 when the challenge ended with a final CRes (or the ARes needed none), 1 when a
check failed or the ACS answered an Erro, 2 for bad usage (no root certificate, no answer left).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

from acs.sdk.areq import APP, VERSIONS, purchase_areq
from acs.sdk.client import AREQ_PATH, AppChallenge, TransportError, describe, post_json
from acs.sdk.errors import ErroReceived, SdkCheckError
from acs.sdk.jose import ENCS
from acs.sdk.session import SdkSession

DEFAULT_ROOT = Path(".acs/keys/root-ca.crt")  # what `make run` trusts (acs keys init .acs/keys)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # messages whole, not cut at 80 columns


class UsageError(Exception):
    """The command cannot go on as given; the message says what to pass."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sdk",
        help="run an app challenge headlessly, as a 3DS SDK",
        description=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--acs", default="http://127.0.0.1:8443", help="the ACS's base URL")
    p.add_argument("--card", required=True, help="the acctNumber (a test card: GET /qa/test-cards)")
    p.add_argument(
        "--answer",
        action="append",
        default=[],
        help="the answer to the next screen, in order (repeat it): a code, option names "
        "(comma-separated), continue, outbox, approve, deny, cancel or resend",
    )
    p.add_argument(
        "--root",
        type=Path,
        default=None,
        help=f"PEM root the acsSignedContent x5c must chain to (default {DEFAULT_ROOT}, as "
        "`make run` makes; `acs serve` prints the one it uses)",
    )
    p.add_argument("--version", default="2.2.0", choices=VERSIONS, help="messageVersion")
    p.add_argument("--enc", default="A128CBC-HS256", choices=ENCS, help="the CReq's JWE enc")
    p.add_argument(
        "--ui-types",
        default="01,02,03,04,05",
        help="sdkUiType offered, comma-separated (default 01,02,03,04,05)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=JSON",
        help="an AReq field to override, such as purchaseAmount='\"9101\"' (repeat it)",
    )
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")


def _overrides(items: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--set {item!r}: write FIELD=VALUE, such as purchaseAmount=9101")
        try:
            fields[name] = json.loads(raw)
        except ValueError:
            fields[name] = raw  # a bare string
    return fields


def _root(path: Path | None) -> bytes:
    chosen = path or DEFAULT_ROOT
    try:
        return chosen.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"--root {chosen}: {exc.strerror or exc}; give the root-ca.crt of the ACS's test PKI "
            "(`acs keys init DIR` makes DIR/root-ca.crt; `acs serve` prints the one it trusts)"
        ) from exc


def _qa_headers() -> dict[str, str]:
    token = os.environ.get("ACS_QA_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


async def _get_json(http: aiohttp.ClientSession, url: str) -> Any:
    try:
        async with http.get(url, headers=_qa_headers()) as resp:
            data = await resp.json(content_type=None)
            if resp.status != 200:
                raise TransportError(f"GET {url}: HTTP {resp.status}: {data}")
            return data
    except (aiohttp.ClientError, ValueError) as exc:
        raise TransportError(f"GET {url}: {exc}") from exc


async def outbox_code(http: aiohttp.ClientSession, base: str, acs_trans_id: str) -> str:
    """The newest code the ACS sent for this transaction (GET /qa/outbox)."""
    entries = await _get_json(http, f"{base}/qa/outbox?acsTransID={acs_trans_id}")
    codes = [e.get("code") for e in entries if isinstance(e, dict) and e.get("code")]
    if not codes:
        raise UsageError(f"the outbox has no code for {acs_trans_id} (is this a code challenge?)")
    return str(codes[-1])


async def oob_decision(
    http: aiohttp.ClientSession, base: str, acs_trans_id: str, decision: str
) -> None:
    url = f"{base}/issuer/oob/{acs_trans_id}"
    body = {"decision": "approve" if decision == "approve" else "deny"}
    async with http.post(url, json=body, headers=_qa_headers()) as resp:
        if resp.status != 200:
            raise TransportError(f"POST {url}: HTTP {resp.status}: {await resp.text()}")


def _show(title: str, lines: list[tuple[str, str]]) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, text in lines:
        table.add_row(label, text)
    out.print(table)


async def run(args: argparse.Namespace, ask: Callable[[str], str] | None) -> dict[str, Any]:
    """The whole exchange; returns what --json prints."""
    base = args.acs.rstrip("/")
    root = _root(args.root)
    answers = list(args.answer)
    sdk = SdkSession(
        message_version=args.version,
        enc=args.enc,
        sdk_ui_types=[t.strip() for t in args.ui_types.split(",") if t.strip()],
    )
    areq = sdk.areq(purchase_areq(args.card, version=args.version, channel=APP))
    areq |= _overrides(args.set)
    report: dict[str, Any] = {"acctNumber": f"{args.card[:6]}...{args.card[-4:]}"}
    async with aiohttp.ClientSession() as http:
        ares = await post_json(http, base + AREQ_PATH, areq)
        report["ares"] = ares
        if ares.get("messageType") == "Erro":
            raise ErroReceived(ares, encrypted=False)
        if not args.json:
            _show(
                "ARes", [(k, str(ares.get(k))) for k in ("transStatus", "acsTransID") if k in ares]
            )
        if ares.get("transStatus") != "C":
            report["transStatus"] = ares.get("transStatus")
            return report
        sdk.accept_ares(ares, root)
        challenge = AppChallenge(http, sdk)
        report["screens"] = challenge.screens
        cres = await challenge.start()
        while challenge.final is None:
            if not args.json:
                _show(f"CRes {cres.get('acsCounterAtoS')}", describe(cres))
            if answers:
                value = answers.pop(0)
            elif ask is not None:
                value = ask("answer (a code, option names, continue, outbox, approve, cancel): ")
            else:
                raise UsageError(
                    f"no --answer left for the screen showing (acsUiType {cres.get('acsUiType')}):"
                    " give one more --answer"
                )
            acs_trans_id = str(ares["acsTransID"])
            if value == "outbox":
                value = await outbox_code(http, base, acs_trans_id)
            elif value in ("approve", "deny"):
                await oob_decision(http, base, acs_trans_id, value)
                value = "continue"
            try:
                cres = await challenge.answer(value)
            except ValueError as exc:
                raise UsageError(f"--answer {value!r}: {exc}") from exc
        if not args.json:
            _show("final CRes", describe(cres))
        report["transStatus"] = cres.get("transStatus")
        return report


def main(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty() and not args.json
    try:
        report = asyncio.run(run(args, input if interactive else None))
    except UsageError as exc:
        err.print(f"acs sdk: {exc}", highlight=False)
        return 2
    except (SdkCheckError, ErroReceived, TransportError) as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}))
        err.print(f"acs sdk: {exc}", highlight=False)
        return 1
    if args.json:
        print(json.dumps(report))
    else:
        out.print(f"transStatus {report.get('transStatus')}", highlight=False)
    return 0
