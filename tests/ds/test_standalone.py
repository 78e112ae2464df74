"""`acs ds` alone: the DS front routes over HTTP to an ACS in another server (here: acs on a
real port), and answers for an ACS that is slow (402) or not there (405)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from acs.cli import main
from acs.ds.standalone import Standalone, StandaloneError, create_standalone
from tests.conftest import ROOT
from tests.ds.test_ds_front import FRICTIONLESS, SMS_CARD, node
from tests.ds.three_ds_server import ThreeDSServer, browser_areq, preq
from tests.redis_server import free_port


async def standalone(aiohttp_client: Any, acs_url: str, **options: Any) -> TestClient:
    port = free_port()
    settings = Standalone(
        acs_url=acs_url,
        port=port,
        config_dir=ROOT / "config",
        base_url=f"http://127.0.0.1:{port}",
        **options,
    )
    app = await create_standalone(settings)
    client: TestClient = await aiohttp_client(
        app, server_kwargs={"port": port, "host": "127.0.0.1"}
    )
    return client


async def test_routes_to_a_remote_acs_and_relays_its_rreq(aiohttp_client: Any) -> None:
    stub = await ThreeDSServer().start()
    try:
        acs = await node(aiohttp_client)
        ds = await standalone(aiohttp_client, str(acs.make_url("/3ds/areq")))
        ares = await (await ds.post("/ds/areq", json=browser_areq(FRICTIONLESS, stub.url))).json()
        assert ares["transStatus"] == "Y", ares
        ares = await (await ds.post("/ds/areq", json=browser_areq(SMS_CARD, stub.url))).json()
        assert ares["transStatus"] == "C", ares
        received = (await (await acs.get(f"/qa/transactions/{ares['acsTransID']}")).json())["areq"]
        assert received["dsURL"] == str(ds.make_url("/ds/rreq"))  # the remote ACS's RReq target
        # the ACS ends the challenge (a cancel) and sends its RReq to this DS
        pres = await (await ds.post("/ds/preq", json=preq("2.2.0"))).json()
        assert pres["cardRangeData"][0]["threeDSMethodURL"] == str(acs.make_url("/3ds/method"))
        relay = await ds.get(f"/ds/transactions/{ares['dsTransID']}")
        assert (await relay.json())["record"]["acs"] == str(acs.make_url("/3ds/areq"))
    finally:
        await stub.close()


async def test_a_slow_acs_gets_erro_402_and_a_missing_one_405(aiohttp_client: Any) -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/3ds/areq", slow)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        ds = await standalone(
            aiohttp_client, str(server.make_url("/3ds/areq")), ares_timeout_seconds=0.2
        )
        erro = await (
            await ds.post("/ds/areq", json=browser_areq(FRICTIONLESS, "https://x.test"))
        ).json()
        assert (erro["errorCode"], erro["errorComponent"]) == ("402", "D"), erro
        assert erro["errorMessageType"] == "AReq" and erro["dsTransID"]
    finally:
        await server.close()
    closed = f"http://127.0.0.1:{free_port()}/3ds/areq"
    ds = await standalone(aiohttp_client, closed)
    erro = await (
        await ds.post("/ds/areq", json=browser_areq(FRICTIONLESS, "https://x.test"))
    ).json()
    assert (erro["errorCode"], erro["errorComponent"]) == ("405", "D"), erro


async def test_an_acs_answering_no_emv_message(aiohttp_client: Any) -> None:
    async def junk(_request: web.Request) -> web.Response:
        return web.Response(text="<html>maintenance</html>", status=503)

    app = web.Application()
    app.router.add_post("/3ds/areq", junk)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        ds = await standalone(aiohttp_client, str(server.make_url("/3ds/areq")))
        erro = await (
            await ds.post("/ds/areq", json=browser_areq(FRICTIONLESS, "https://x.test"))
        ).json()
        assert (erro["errorCode"], erro["errorComponent"]) == ("101", "D"), erro
        assert "503" in erro["errorDetail"] and "maintenance" in erro["errorDetail"]
    finally:
        await server.close()


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"acs_url": "ftp://acs"}, "--acs-url"),
        ({"config_dir": Path("/nonexistent")}, "--config"),
        ({"tls_cert": Path("x.crt")}, "--tls-key"),
        ({"client_ca": Path("ca.crt")}, "--tls-cert"),
    ],
)
def test_settings_that_cannot_work_say_why(options: dict[str, Any], says: str) -> None:
    values = {"acs_url": "http://127.0.0.1:8443/3ds/areq", "config_dir": ROOT / "config"}
    with pytest.raises(StandaloneError, match=says.replace("-", r"\-")):
        Standalone(**(values | options)).check()


def test_the_command_refuses_a_bad_acs_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ds", "--acs-url", "nope", "--config", str(ROOT / "config")]) == 2
    err = capsys.readouterr().err
    assert "acs ds: cannot start" in err and "--acs-url" in err
