"""A result owed to the DS survives a crash of whoever owed it: SIGKILL of the ACS process, or of
Redis (with AOF), while an RReq attempt is waiting for its RRes. The RReq timer is held (leased)
from the moment the result is fixed, so when the lease ends some node sends the RReq again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from acs.risk.sample import base_areq
from tests.conftest import ROOT
from tests.flows.test_browser_flow import creq_field, cres_of, token_of
from tests.flows.test_two_nodes import _up
from tests.redis_server import RedisServer, free_port

CARD = "4016000000000111"  # catalog card: the magic code 111111 authenticates


class HangingDS:
    """Takes the first RReq and holds it without answering until released; answers the rest."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.first = asyncio.Event()
        self.release = asyncio.Event()
        self.arrived = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/rreq", self.rreq)
        self.server = TestServer(app)

    async def rreq(self, request: web.Request) -> web.Response:
        body = await request.json()
        async with self.arrived:
            self.received.append(body)
            self.arrived.notify_all()
        if len(self.received) == 1:
            self.first.set()
            await self.release.wait()
        return web.json_response(
            {
                "messageType": "RRes",
                "messageVersion": body["messageVersion"],
                **{k: body[k] for k in ("threeDSServerTransID", "acsTransID", "dsTransID")},
                "resultsStatus": "01",
            }
        )

    async def wait_for(self, count: int, seconds: float = 30.0) -> None:
        async with asyncio.timeout(seconds), self.arrived:
            await self.arrived.wait_for(lambda: len(self.received) >= count)


@contextmanager
def node(store: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.acs_node", str(port), store],
        cwd=ROOT,
        env={**os.environ, "ACS_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)


@asynccontextmanager
async def hanging_ds() -> AsyncIterator[HangingDS]:
    ds = HangingDS()
    await ds.server.start_server()
    try:
        yield ds
    finally:
        ds.release.set()
        await ds.server.close()


async def challenge_until_rreq(
    http: aiohttp.ClientSession, base: str, ds: HangingDS
) -> tuple[str, asyncio.Task[tuple[int, str]], dict[str, str]]:
    """Run a challenge to a Y on ``base``; return when its RReq reached the DS (and hangs there)."""
    areq = base_areq(
        acctNumber=CARD,
        dsURL=str(ds.server.make_url("/rreq")),
        notificationURL="https://merchant.example/notify",
        threeDSServerTransID=str(uuid.uuid4()),
    )
    async with http.post(f"{base}/3ds/areq", json=areq) as resp:
        ares = await resp.json()
    assert ares.get("transStatus") == "C", ares
    async with http.post(f"{base}/3ds/challenge", data={"creq": creq_field(ares)}) as resp:
        html = await resp.text()
    form = {"token": token_of(html), "action": "submit", "otp": "111111"}

    async def submit() -> tuple[int, str]:
        async with http.post(f"{base}/3ds/challenge/step", data=form) as resp:
            return resp.status, await resp.text()

    pending = asyncio.create_task(submit())
    async with asyncio.timeout(30):  # a bound, not a wait: loaded CI machines are slow
        await ds.first.wait()
    return ares["acsTransID"], pending, form


async def rreq_state(http: aiohttp.ClientSession, base: str, acs_trans_id: str) -> dict[str, Any]:
    async with http.get(f"{base}/qa/transactions/{acs_trans_id}") as resp:
        view = await resp.json()
    return view["challenge"]["rreq"]


async def test_sigkill_of_the_acs_mid_rreq_is_delivered_by_another_node() -> None:
    redis = RedisServer()
    redis.start()
    try:
        with node(redis.url) as (a, proc_a), node(redis.url) as (b, _):
            await asyncio.gather(_up(int(a.rsplit(":", 1)[1])), _up(int(b.rsplit(":", 1)[1])))
            async with hanging_ds() as ds, aiohttp.ClientSession() as http:
                acs_trans_id, pending, _ = await challenge_until_rreq(http, a, ds)
                os.kill(proc_a.pid, signal.SIGKILL)
                proc_a.wait(timeout=10)
                ds.release.set()
                await ds.wait_for(2)  # node b, once the lease of node a ran out
                assert {r["acsTransID"] for r in ds.received} == {acs_trans_id}
                assert ds.received[1]["transStatus"] == "Y"
                assert (await rreq_state(http, b, acs_trans_id))["status"] == "delivered"
                pending.cancel()
    finally:
        redis.stop()


async def test_sigkill_of_redis_mid_rreq_is_delivered_after_it_restarts() -> None:
    redis = RedisServer(persist=True)  # AOF, fsync always: what was written survives
    redis.start()
    try:
        with node(redis.url) as (a, _):
            await _up(int(a.rsplit(":", 1)[1]))
            async with hanging_ds() as ds, aiohttp.ClientSession() as http:
                acs_trans_id, pending, form = await challenge_until_rreq(http, a, ds)
                assert redis.proc is not None
                os.kill(redis.proc.pid, signal.SIGKILL)
                redis.proc.wait(timeout=10)
                redis.proc = None
                ds.release.set()  # the RRes arrives, but the ACS cannot record it
                status, page = await pending
                assert (status, "403" in page) == (503, True)  # transient failure: retry
                redis.start()
                await ds.wait_for(2)
                assert {r["acsTransID"] for r in ds.received} == {acs_trans_id}
                async with asyncio.timeout(30):  # a bound, not a wait: loaded CI machines are slow
                    while (  # noqa: ASYNC110 - another process's state, read over HTTP
                        await rreq_state(http, a, acs_trans_id)
                    )["status"] != "delivered":
                        await asyncio.sleep(0.1)
                # the cardholder's retry of the same form gets the final CRes for the merchant
                async with http.post(f"{a}/3ds/challenge/step", data=form) as resp:
                    assert cres_of(await resp.text())["transStatus"] == "Y"
    finally:
        redis.stop()
