"""Redis goes away mid-test: the ACS answers Erro 403 (transient), then recovers on its own."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from acs.app import build_services, create_app
from tests.conftest import make_settings
from tests.protocol import samples
from tests.redis_server import RedisServer


async def _status(client: TestClient) -> dict:
    resp = await client.post(
        "/3ds/areq", json=samples.areq("2.2.0", "02", "01", pan="4016000000000012")
    )
    assert resp.status == 200
    return await resp.json()


async def test_redis_outage_gives_403_then_service_again(aiohttp_client) -> None:
    server = RedisServer(persist=True)
    server.start()
    try:
        services = await build_services(make_settings(server.url))
        client = await aiohttp_client(create_app(services))
        assert (await _status(client))["transStatus"] == "Y"

        server.stop()
        erro = await _status(client)
        assert erro["messageType"] == "Erro"
        assert erro["errorCode"] == "403"
        assert erro["errorComponent"] == "A"
        assert "store" in erro["errorDetail"]
        assert "threeDSServerTransID" in erro
        health = await client.get("/healthz")
        assert health.status == 503

        server.start()
        assert (await _status(client))["transStatus"] == "Y"
        assert (await client.get("/healthz")).status == 200
    finally:
        server.stop()


async def test_a_hung_redis_gives_403_fast_and_answers_stay_in_step(aiohttp_client) -> None:
    """SIGSTOP freezes Redis without closing sockets: batches time out, later answers match."""
    import os
    import signal

    server = RedisServer()
    server.start()
    try:
        services = await build_services(make_settings(server.url))
        client = await aiohttp_client(create_app(services))
        assert (await _status(client))["transStatus"] == "Y"
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            erro = await _status(client)
            assert erro["errorCode"] == "403"
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        for _ in range(3):  # responses must not be shifted onto later commands
            ares = await _status(client)
            assert ares["transStatus"] == "Y"
            record = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
            assert record["acsTransID"] == ares["acsTransID"]
    finally:
        server.stop()


async def test_redis_outage_during_a_challenge_shows_a_page_then_carries_on(aiohttp_client) -> None:
    from tests.flows.test_browser_flow import creq_field, cres_of, token_of

    server = RedisServer(persist=True)
    server.start()
    try:
        services = await build_services(make_settings(server.url))
        client = await aiohttp_client(create_app(services))
        body = samples.areq("2.2.0", "02", "01", pan="4016000000000111")
        ares = await (await client.post("/3ds/areq", json=body)).json()
        assert ares["transStatus"] == "C"
        server.stop()
        down = await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
        assert down.status == 503
        assert "text/html" in down.headers["Content-Type"] and "403" in await down.text()
        server.start()
        page = await (await client.post("/3ds/challenge", data={"creq": creq_field(ares)})).text()
        final = await client.post(
            "/3ds/challenge/step",
            data={"token": token_of(page), "action": "submit", "otp": "111111"},
        )
        assert cres_of(await final.text())["transStatus"] == "Y"
    finally:
        server.stop()
