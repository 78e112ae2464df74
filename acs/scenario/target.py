"""Where scenarios run: an ACS started in this process (the default) or one at a URL, and the
stub Directory Server the runner hosts for dsURL, which records each RReq and answers an RRes.

Both are reached over HTTP on loopback, so a scenario drives the in-process ACS exactly as it
drives a remote one. In process, protocol timers are short and each scenario may shorten them
further (``timers:``); against a URL the server's own timers hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from acs.app import build_services, create_app
from acs.config import ProtocolTimers, Settings
from acs.issuer.config_files import ConfigError, load_issuer_config
from acs.protocol.messages import RReq, acknowledgement
from acs.scenario.model import CatalogCard, Timers
from acs.services import Services

# short enough for a suite, long enough for a busy two-core machine
IN_PROCESS_TIMERS = dict(
    poll_seconds=0.05, rres_wait_seconds=1.0, rreq_retry_seconds=0.2, timer_lease_seconds=2.0
)
TIMEOUT = aiohttp.ClientTimeout(total=30)
_decode_rreq = msgspec.json.Decoder(RReq).decode


class TargetError(Exception):
    """The ACS cannot be reached or answered something no scenario step can use."""


def _loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass(slots=True)
class StubDs:
    """The DS end of dsURL: every RReq by acsTransID, answered with an RRes."""

    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def rreq(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            rreq = _decode_rreq(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            erro = {"messageType": "Erro", "errorCode": "203", "errorDetail": str(exc)[:200]}
            return web.json_response(erro)
        async with self.arrived:
            self.received.setdefault(rreq.acsTransID, []).append(msgspec.json.decode(raw))
            self.arrived.notify_all()
        return web.Response(
            body=msgspec.json.encode(acknowledgement(rreq)), content_type="application/json"
        )

    async def wait(self, acs_trans_id: str, seconds: float) -> dict[str, Any] | None:
        """The first RReq for the transaction, waiting up to ``seconds`` for it."""
        async with self.arrived:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.arrived.wait_for(lambda: acs_trans_id in self.received), seconds
                )
        got = self.received.get(acs_trans_id)
        return got[0] if got else None


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    sock = _loopback_socket()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}"


@dataclass(slots=True)
class Target:
    """An ACS at ``base_url``, the runner's HTTP client and its stub DS."""

    base_url: str
    http: aiohttp.ClientSession
    ds: StubDs
    ds_url: str
    root_pem: bytes | None  # what acsSignedContent must chain to (None: no app scenarios)
    qa_token: str | None = None
    services: Services | None = None  # in process: its timers can be shortened per scenario
    # authenticator-app codes given so far: the ACS takes each time step's code once
    spent_totp: set[tuple[str, int]] = field(default_factory=set)

    @property
    def in_process(self) -> bool:
        return self.services is not None

    @property
    def qa_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.qa_token}"} if self.qa_token else {}

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(HTTP status, JSON answer) of a QA or issuer API call."""
        url = self.base_url + path
        try:
            async with self.http.request(
                method, url, json=body, headers=self.qa_headers, timeout=TIMEOUT
            ) as resp:
                text = await resp.text()
                try:
                    return resp.status, msgspec.json.decode(text) if text else None
                except msgspec.DecodeError:
                    return resp.status, text[:300]
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TargetError(f"{method} {url}: {type(exc).__name__} {exc}".strip()) from exc

    async def get(self, path: str) -> Any:
        status, data = await self.request("GET", path)
        if status != 200:
            hint = " (set ACS_QA_TOKEN)" if status in (401, 403) else ""
            raise TargetError(f"GET {path}: HTTP {status}{hint}: {data}")
        return data

    async def catalog(self) -> dict[str, CatalogCard]:
        cards = await self.get("/qa/test-cards")
        if not isinstance(cards, list):
            raise TargetError(f"GET /qa/test-cards: not a list of cards: {cards!r:.200}")
        return {
            c["scenario"]: CatalogCard(c["acctNumber"], dict(c.get("areq") or {}))
            for c in cards
            if isinstance(c, dict) and "scenario" in c and "acctNumber" in c
        }

    @contextlib.contextmanager
    def timers(self, wanted: Timers) -> Iterator[None]:
        """The scenario's protocol timers for its run (in process; a no-op against a URL)."""
        if self.services is None:
            yield
            return
        live = self.services.settings.timers  # the object every part of the ACS reads
        saved = {f.name: getattr(live, f.name) for f in fields(ProtocolTimers)}
        for f in msgspec.structs.fields(Timers):
            if (value := getattr(wanted, f.name)) is not None:
                setattr(live, f.name, value)
        try:
            yield
        finally:
            for name, value in saved.items():
                setattr(live, name, value)


def cardholders(config_dir: Path) -> dict[str, str]:
    """Cardholder id -> PAN from the issuer directory (``cardholder:`` in a scenario)."""
    try:
        issuer = load_issuer_config(config_dir)
    except ConfigError:
        return {}  # the in-process ACS reports a bad directory itself; a URL has its own
    return {c.id: c.pan for c in issuer.cardholders if c.id and c.pan}


@contextlib.asynccontextmanager
async def stub_ds() -> AsyncIterator[tuple[StubDs, str]]:
    ds = StubDs()
    app = web.Application()
    app.router.add_post("/ds/rreq", ds.rreq)
    runner, url = await _serve(app)
    try:
        yield ds, url + "/ds/rreq"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def in_process(config_dir: Path, rules: Path, store: str = "memory") -> AsyncIterator[Target]:
    """An ACS on a loopback port of this process, with short timers, and its stub DS."""
    sock = _loopback_socket()
    port = sock.getsockname()[1]
    settings = Settings(
        host="127.0.0.1",
        port=port,
        store=store,
        config_dir=config_dir,
        rules_path=rules,
        data_key=os.urandom(32),
        timers=ProtocolTimers(**IN_PROCESS_TIMERS),  # type: ignore[arg-type]
    )
    services = await build_services(settings)
    runner = web.AppRunner(create_app(services), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        async with stub_ds() as (ds, ds_url), aiohttp.ClientSession() as http:
            yield Target(
                base_url=settings.public_url,
                http=http,
                ds=ds,
                ds_url=ds_url,
                root_pem=services.pki.root_pem(),
                services=services,
            )
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def remote(
    base_url: str, root_pem: bytes | None, qa_token: str | None, ds_url: str | None
) -> AsyncIterator[Target]:
    """An ACS at a URL. The stub DS listens on loopback; ``ds_url`` replaces it when the ACS
    cannot reach this machine (RReqs are then read from the transaction record)."""
    async with stub_ds() as (ds, local_ds_url), aiohttp.ClientSession() as http:
        target = Target(
            base_url=base_url.rstrip("/"),
            http=http,
            ds=ds,
            ds_url=ds_url or local_ds_url,
            root_pem=root_pem,
            qa_token=qa_token,
        )
        status, _ = await target.request("GET", "/healthz")
        if status != 200:
            raise TargetError(f"{base_url}/healthz answered HTTP {status}: is it an acs?")
        yield target
