"""Two ACS processes on one real Redis: the AReq goes to one, the CReq and the code to the other."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import aiohttp

from acs.risk.sample import base_areq
from tests.conftest import ROOT
from tests.flows.test_browser_flow import StubDS, creq_field, cres_of, token_of
from tests.redis_server import RedisServer, free_port


async def _up(port: int) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"acs on port {port} did not start")


async def test_a_challenge_started_on_one_node_finishes_on_another() -> None:
    redis = RedisServer()
    redis.start()
    ds = StubDS()
    await ds.server.start_server()
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "ACS_DATA_KEY": "ab" * 32,
        "ACS_STORE": redis.url,
        "ACS_LOG_LEVEL": "warning",
    }
    nodes = [
        subprocess.Popen(  # noqa: ASYNC220 - started once; waiting happens over HTTP
            [
                sys.executable,
                "-m",
                "acs.cli",
                "serve",
                "--port",
                str(p),
                "--base-url",
                f"http://127.0.0.1:{p}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for p in ports
    ]
    try:
        await asyncio.gather(*(_up(p) for p in ports))
        a, b = (f"http://127.0.0.1:{p}" for p in ports)
        async with aiohttp.ClientSession() as http:
            body = base_areq(
                acctNumber="4016000000000111",
                dsURL=ds.url,
                threeDSServerTransID=str(uuid.uuid4()),
                notificationURL="https://merchant.example/notify",
            )
            async with http.post(f"{a}/3ds/areq", json=body) as resp:
                ares = await resp.json()
            assert ares["transStatus"] == "C" and ares["acsURL"].startswith(a)
            async with http.post(f"{b}/3ds/challenge", data={"creq": creq_field(ares)}) as resp:
                html = await resp.text()
                assert resp.status == 200, html[:300]
            async with http.get(
                f"{a}/qa/outbox", params={"acsTransID": ares["acsTransID"]}
            ) as resp:
                code = (await resp.json())[-1]["code"]
            async with http.post(
                f"{b}/3ds/challenge/step",
                data={"token": token_of(html), "action": "submit", "otp": code},
            ) as resp:
                assert cres_of(await resp.text())["transStatus"] == "Y"
            async with http.get(f"{a}/qa/transactions/{ares['acsTransID']}") as resp:
                view = await resp.json()
        assert view["challenge"]["result"]["trans_status"] == "Y"
        assert view["challenge"]["rreq"]["status"] == "delivered"
        assert ds.received[0]["transStatus"] == "Y"
    finally:
        for node in nodes:
            node.terminate()
            node.wait(timeout=10)
        await ds.server.close()
        redis.stop()
