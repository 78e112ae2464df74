"""The DS front end to end: a stub 3DS Server talks to the DS front of `serve --ds`, which routes
to the ACS in the same process; challenges end with the RReq relayed and the RRes back."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from acs.app import create_app
from acs.config import ProtocolTimers
from acs.sdk.client import AppChallenge
from acs.sdk.session import SdkSession
from acs.web.appkeys import SERVICES
from tests.conftest import fresh_services
from tests.ds.three_ds_server import ThreeDSServer, app_areq, browser_areq
from tests.flows.test_browser_flow import code_for, cres_of, token_of
from tests.redis_server import free_port

FRICTIONLESS = "4016000000000012"
SMS_CARD = "4016000000000111"
APP_CARD = "4016000000000111"
NO_RANGE = "5999000000000111"


async def node(aiohttp_client: Any, store_url: str = "memory", **settings: Any) -> TestClient:
    """ACS and DS front in one process on a real port: the ACS posts its RReq to the dsURL."""
    port = free_port()
    timers = ProtocolTimers(
        poll_seconds=0.05,
        rreq_retry_seconds=0.2,
        rres_wait_seconds=4.0,
        ds_rres_wait_seconds=1.0,
        ds_ares_seconds=2.0,
    )
    services = await fresh_services(
        store_url,
        port=port,
        base_url=f"http://127.0.0.1:{port}",
        timers=timers,
        ds_front=True,
        issuer_sim=False,
        **settings,
    )
    client: TestClient = await aiohttp_client(
        create_app(services), server_kwargs={"port": port, "host": "127.0.0.1"}
    )
    return client


@pytest.fixture
async def server() -> Any:
    stub = await ThreeDSServer().start()
    yield stub
    await stub.close()


async def send(
    client: TestClient, path: str, message: dict[str, Any]
) -> tuple[dict[str, Any], Any]:
    resp = await client.post(path, json=message)
    assert resp.status == 200
    return await resp.json(), resp.headers


async def test_frictionless_through_the_ds_front(
    aiohttp_client: Any, server: ThreeDSServer
) -> None:
    client = await node(aiohttp_client)
    areq = browser_areq(FRICTIONLESS, server.url, "2.3.1")
    ares, headers = await send(client, "/ds/areq", areq)
    assert ares["messageType"] == "ARes" and ares["transStatus"] == "Y", ares
    assert str(uuid.UUID(ares["dsTransID"])) == ares["dsTransID"]
    assert ares["dsReferenceNumber"] == "3DS_LOA_DIS_ACSS_020301_00001"
    assert headers["X-Request-ID"] == areq["threeDSServerTransID"]
    assert headers["X-Response-ID"] == ares["dsTransID"]
    record = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
    received = record["areq"]
    assert received["dsTransID"] == ares["dsTransID"]
    assert received["dsURL"] == f"{client.make_url('')}".rstrip("/") + "/ds/rreq"
    # no RReq follows a frictionless answer, and the DS kept nothing for one
    resp = await client.get(f"/ds/transactions/{ares['dsTransID']}")
    assert resp.status == 404 and "frictionless" in (await resp.json())["error"]


@pytest.mark.parametrize("store_url", ["memory", "redis"], indirect=True)
async def test_browser_challenge_ends_with_the_rres_relayed(
    aiohttp_client: Any, server: ThreeDSServer, store_url: str
) -> None:
    client = await node(aiohttp_client, store_url)
    ares, _ = await send(client, "/ds/areq", browser_areq(SMS_CARD, server.url))
    assert ares["transStatus"] == "C"
    creq = {
        "threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"],
        "messageType": "CReq",
        "messageVersion": ares["messageVersion"],
        "challengeWindowSize": "05",
    }
    field = base64.urlsafe_b64encode(json.dumps(creq).encode()).decode().rstrip("=")
    page = await (await client.post(urlsplit(ares["acsURL"]).path, data={"creq": field})).text()
    code = await code_for(client, ares["acsTransID"])
    final = await client.post(
        "/3ds/challenge/step", data={"token": token_of(page), "action": "submit", "otp": code}
    )
    assert cres_of(await final.text())["transStatus"] == "Y"
    rreq = await server.wait_rreq()
    assert rreq["transStatus"] == "Y" and rreq["dsTransID"] == ares["dsTransID"]
    assert rreq["acsTransID"] == ares["acsTransID"]
    # the ACS got the 3DS Server's RRes back through the DS
    record = await _rreq_delivered(client, ares["acsTransID"])
    assert record["challenge"]["rreq"]["rres"]["resultsStatus"] == "01"
    relay = await (await client.get(f"/ds/transactions/{ares['dsTransID']}")).json()
    assert relay["record"]["threeDSServerURL"] == server.url
    assert [e["outcome"] for e in relay["rreqs"]] == ["relayed"]
    assert relay["rreqs"][0]["resultsStatus"] == "01"


async def _rreq_delivered(client: TestClient, acs_trans_id: str) -> dict[str, Any]:
    for _ in range(100):
        record: dict[str, Any] = await (await client.get(f"/qa/transactions/{acs_trans_id}")).json()
        rreq = (record.get("challenge") or {}).get("rreq") or {}
        if rreq.get("status") == "delivered":
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"RReq never delivered: {record}")


@pytest.mark.parametrize("key", ["rsa", "ec"])
async def test_app_challenge_with_sdk_enc_data(
    aiohttp_client: Any, server: ThreeDSServer, key: str
) -> None:
    """The SDK encrypts its device data to the DS key; the ACS receives deviceInfo."""
    client = await node(aiohttp_client)
    services = client.server.app[SERVICES]
    cert = (services.pki.ds_rsa if key == "rsa" else services.pki.ds_ec).certificate
    sdk = SdkSession(message_version="2.2.0", ds_public_key=cert, ds_id="A000000003")
    areq = app_areq(APP_CARD, server.url, sdk.areq_fields(leg="sdk-to-ds"))
    assert "sdkEncData" in areq and "deviceInfo" not in areq
    sdk.three_ds_server_trans_id = areq["threeDSServerTransID"]
    ares, _ = await send(client, "/ds/areq", areq)
    assert ares["transStatus"] == "C", ares
    received = (await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json())["areq"]
    device = json.loads(base64_decode(received["deviceInfo"]))
    assert device == sdk.device_info and "sdkEncData" not in received
    sdk.accept_ares(ares, services.pki.root_pem())
    async with aiohttp.ClientSession() as http:
        challenge = AppChallenge(http, sdk)
        await challenge.start()
        cres = await challenge.answer(await code_for(client, ares["acsTransID"]))
    assert cres["transStatus"] == "Y"
    rreq = await server.wait_rreq()
    assert rreq["sdkTransID"] == sdk.sdk_trans_id and rreq["transStatus"] == "Y"
    await _rreq_delivered(client, ares["acsTransID"])


def base64_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_sdk_enc_data_errors(aiohttp_client: Any, server: ThreeDSServer) -> None:
    client = await node(aiohttp_client)
    services = client.server.app[SERVICES]
    sdk = SdkSession(
        message_version="2.3.1",
        ds_public_key=services.pki.ds_rsa.certificate,
        ds_key_id="not-our-kid",
    )
    areq = app_areq(APP_CARD, server.url, sdk.areq_fields(leg="sdk-to-ds"), "2.3.1")
    erro, _ = await send(client, "/ds/areq", areq)
    assert (erro["errorCode"], erro["errorComponent"]) == ("311", "D"), erro
    assert "kid" in erro["errorDetail"]
    areq["sdkEncData"] = "a.b.c.d.e"
    erro, _ = await send(client, "/ds/areq", areq)
    assert (erro["errorCode"], erro["errorComponent"]) == ("302", "D"), erro


@pytest.mark.parametrize(
    ("unknown_range", "expected"), [("ares", ("ARes", "N", "13")), ("erro", ("Erro", "305"))]
)
async def test_no_matching_card_range(
    aiohttp_client: Any, server: ThreeDSServer, unknown_range: str, expected: tuple[str, ...]
) -> None:
    client = await node(aiohttp_client, ds_unknown_range=unknown_range)
    answer, _ = await send(client, "/ds/areq", browser_areq(NO_RANGE, server.url))
    assert answer["messageType"] == expected[0]
    if expected[0] == "ARes":
        assert (answer["transStatus"], answer["transStatusReason"]) == expected[1:]
    else:
        assert (answer["errorCode"], answer["errorComponent"]) == (expected[1], "D")
        assert "acctNumber" in answer["errorDetail"]


@pytest.mark.parametrize(
    ("change", "code", "names"),
    [
        ({"dsURL": "https://elsewhere.example/rreq"}, "203", "dsURL"),
        ({"messageType": "CReq"}, "101", "messageType"),
        ({"messageVersion": "2.0.9"}, "102", "2.1.0"),
        ({"purchaseCurrency": "ABC"}, "203", "purchaseCurrency"),
        ({"acctNumber": "12"}, "203", "acctNumber"),
        ({"threeDSServerURL": None}, "201", "threeDSServerURL"),
    ],
)
async def test_malformed_areq_gets_a_ds_erro(
    aiohttp_client: Any, server: ThreeDSServer, change: dict[str, Any], code: str, names: str
) -> None:
    client = await node(aiohttp_client)
    areq = browser_areq(FRICTIONLESS, server.url)
    for name, value in change.items():
        if value is None:
            del areq[name]
        else:
            areq[name] = value
    erro, _ = await send(client, "/ds/areq", areq)
    assert erro["messageType"] == "Erro", erro
    assert (erro["errorCode"], erro["errorComponent"]) == (code, "D"), erro
    assert names in erro["errorDetail"]
    assert erro.get("dsTransID")


async def test_unparsable_and_duplicate_bodies(aiohttp_client: Any) -> None:
    client = await node(aiohttp_client)
    for body, code in (
        (b"not json", "101"),
        (b'{"messageType":"AReq","messageType":"AReq"}', "204"),
    ):
        resp = await client.post(
            "/ds/areq", data=body, headers={"Content-Type": "application/json"}
        )
        erro = await resp.json()
        assert (erro["errorCode"], erro["errorComponent"]) == (code, "D"), erro
    resp = await client.post("/ds/areq", data=b"{" + b" " * (300 * 1024) + b"}")
    erro = await resp.json()
    assert erro["errorCode"] == "101" and "larger" in erro["errorDetail"]


async def test_rreq_for_an_unknown_transaction(aiohttp_client: Any) -> None:
    client = await node(aiohttp_client)
    rreq = {
        "messageType": "RReq",
        "messageVersion": "2.2.0",
        "threeDSServerTransID": str(uuid.uuid4()),
        "acsTransID": str(uuid.uuid4()),
        "dsTransID": str(uuid.uuid4()),
        "messageCategory": "01",
        "transStatus": "Y",
        "interactionCounter": "01",
    }
    erro, _ = await send(client, "/ds/rreq", rreq)
    assert (erro["errorCode"], erro["errorComponent"]) == ("301", "D"), erro
    assert erro["dsTransID"] == rreq["dsTransID"]
    rreq["transStatus"] = "Q"
    erro, _ = await send(client, "/ds/rreq", rreq)
    assert (erro["errorCode"], erro["errorComponent"]) == ("203", "D")
    assert erro["errorDetail"].startswith("transStatus")
    rreq["transStatus"] = "Y"
    del rreq["acsTransID"]
    erro, _ = await send(client, "/ds/rreq", rreq)
    assert erro["errorCode"] == "201" and "acsTransID" in erro["errorDetail"]


async def _challenged(client: TestClient, server: ThreeDSServer) -> dict[str, Any]:
    ares, _ = await send(client, "/ds/areq", browser_areq(SMS_CARD, server.url))
    assert ares["transStatus"] == "C"
    return ares


def rreq_for(ares: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageType": "RReq",
        "messageVersion": ares["messageVersion"],
        "threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"],
        "dsTransID": ares["dsTransID"],
        "messageCategory": "01",
        "transStatus": "N",
        "transStatusReason": "01",
        "interactionCounter": "03",
    }


async def test_fifty_identical_rreqs_reach_the_3ds_server_once(
    aiohttp_client: Any, server: ThreeDSServer
) -> None:
    client = await node(aiohttp_client)
    ares = await _challenged(client, server)
    server.delay = 0.2  # the relay is in flight while the copies arrive
    answers = await asyncio.gather(*(send(client, "/ds/rreq", rreq_for(ares)) for _ in range(50)))
    kinds = [a["messageType"] for a, _ in answers]
    assert len(server.rreqs) == 1
    assert "RRes" in kinds and set(kinds) <= {"RRes", "Erro"}
    assert {a["errorCode"] for a, _ in answers if a["messageType"] == "Erro"} <= {"403"}
    # the ACS, never having seen the RRes, sends again: the kept RRes, not a second relay
    again, _ = await send(client, "/ds/rreq", rreq_for(ares))
    assert again["messageType"] == "RRes" and len(server.rreqs) == 1
    relay = await (await client.get(f"/ds/transactions/{ares['dsTransID']}")).json()
    assert [e["outcome"] for e in relay["rreqs"]].count("relayed") == 1
    assert relay["rreqs"][-1]["outcome"] == "repeated"


@pytest.mark.parametrize(
    ("answer", "delay", "code"),
    [("01", 3.0, "402"), ("http500", 0.0, "101"), ("garbage", 0.0, "101")],
)
async def test_a_3ds_server_that_does_not_acknowledge(
    aiohttp_client: Any, answer: str, delay: float, code: str
) -> None:
    stub = await ThreeDSServer(answer=answer, delay=delay).start()
    try:
        client = await node(aiohttp_client)
        ares = await _challenged(client, stub)
        erro, _ = await send(client, "/ds/rreq", rreq_for(ares))
        assert (erro["errorCode"], erro["errorComponent"]) == (code, "D"), erro
        relay = await (await client.get(f"/ds/transactions/{ares['dsTransID']}")).json()
        assert relay["rreqs"][-1]["outcome"] == "failed"
        # the claim was released: the ACS's next attempt relays again
        stub.answer, stub.delay = "01", 0.0
        rres, _ = await send(client, "/ds/rreq", rreq_for(ares))
        assert rres["messageType"] == "RRes" and rres["resultsStatus"] == "01"
    finally:
        await stub.close()


async def test_unreachable_3ds_server_is_retried_once_then_405(aiohttp_client: Any) -> None:
    client = await node(aiohttp_client)
    closed = f"http://127.0.0.1:{free_port()}/3ds/results"
    ares, _ = await send(client, "/ds/areq", browser_areq(SMS_CARD, closed))
    erro, _ = await send(client, "/ds/rreq", rreq_for(ares))
    assert (erro["errorCode"], erro["errorComponent"]) == ("405", "D"), erro
    relay = await (await client.get(f"/ds/transactions/{ares['dsTransID']}")).json()
    assert relay["rreqs"][-1]["attempts"] == 2


async def test_the_sink_acknowledges_rreqs(aiohttp_client: Any) -> None:
    client = await node(aiohttp_client)
    sink = str(client.make_url("/ds/sink/rreq"))
    ares, _ = await send(client, "/ds/areq", browser_areq(SMS_CARD, sink))
    rres, _ = await send(client, "/ds/rreq", rreq_for(ares))
    assert rres["messageType"] == "RRes" and rres["resultsStatus"] == "01"
    assert rres["dsTransID"] == ares["dsTransID"]
    erro, _ = await send(client, "/ds/sink/rreq", {"messageType": "RReq"})
    assert (erro["errorCode"], erro["errorComponent"]) == ("101", "S")


async def test_transactions_view_needs_a_uuid(aiohttp_client: Any) -> None:
    client = await node(aiohttp_client)
    resp = await client.get("/ds/transactions/nope")
    assert resp.status == 400 and "UUID" in (await resp.json())["error"]
