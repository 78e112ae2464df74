"""The four issuer-integration models against the reference issuer service (acs/issuer_sim, served
by the ACS at /issuer-sim, called over real HTTP with signed bodies), and every way a callback can
fail (timeout, 500, garbage, an answer of the wrong shape, a refused signature), each falling back
as configured without hanging the request."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from acs.app import create_app
from acs.config import ProtocolTimers
from acs.crypto.signature import sign
from acs.issuer.models import CardRange, IssuerIntegration, OnFailure
from acs.issuer_sim.app import ISSUER_SIM
from acs.web.appkeys import SERVICES
from tests.conftest import fresh_services
from tests.flows.test_app_flow import begin, send
from tests.flows.test_browser_flow import StubDS, wait_for
from tests.interop.sdk import SdkSession
from tests.protocol import samples
from tests.redis_server import free_port

CONSULT = "4016010000000011"
CONSULT_VALIDATES = "4016010100000010"
VALIDATES = "4016010200000019"
DELEGATED = "4016010300000018"


async def acs(aiohttp_client: Any, **settings: Any) -> TestClient:
    """The ACS on a real port, so that its card ranges' issuer: {url: /issuer-sim} reach it."""
    port = free_port()
    timers = ProtocolTimers(poll_seconds=0.05, rreq_retry_seconds=0.1, rres_wait_seconds=2.0)
    base = f"http://127.0.0.1:{port}"  # the issuer's callbacks come here
    services = await fresh_services("memory", port=port, base_url=base, timers=timers, **settings)
    client: TestClient = await aiohttp_client(
        create_app(services), server_kwargs={"port": port, "host": "127.0.0.1"}
    )
    return client


async def areq(client: TestClient, ds: StubDS, pan: str, **fields: Any) -> dict[str, Any]:
    body = samples.areq("2.2.0", "02", "01", pan=pan, dsURL=ds.url, **fields)
    ares: dict[str, Any] = await (await client.post("/3ds/areq", json=body)).json()
    return ares


async def record(client: TestClient, acs_trans_id: str) -> dict[str, Any]:
    view: dict[str, Any] = await (await client.get(f"/qa/transactions/{acs_trans_id}")).json()
    return view


async def sim_calls(client: TestClient, acs_trans_id: str) -> list[dict[str, Any]]:
    resp = await client.get(f"/issuer-sim/calls?acsTransID={acs_trans_id}")
    calls: list[dict[str, Any]] = await resp.json()
    return calls


@pytest.mark.parametrize(
    ("fields", "status", "reason"),
    [
        ({"purchaseAmount": "4999"}, "Y", None),
        ({"purchaseAmount": "25000"}, "C", None),
        ({"purchaseAmount": "4999", "merchantName": "Decline Shop"}, "N", "11"),
    ],
)
async def test_the_issuer_decides_when_consulted(
    aiohttp_client, ds, fields: dict[str, str], status: str, reason: str | None
) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    ares = await areq(client, ds, CONSULT, purchaseExponent="2", **fields)
    assert (ares["transStatus"], ares.get("transStatusReason")) == (status, reason)
    view = await record(client, ares["acsTransID"])
    (call,) = view["issuer_calls"]
    assert call["call"] == "check-authentication-method" and call["ok"] is True
    assert view["decision"]["rule_id"] == "issuer"
    (seen,) = await sim_calls(client, ares["acsTransID"])
    assert seen["path"] == "/check-authentication-method"


async def test_consulted_and_validating_issuer_checks_the_passcode(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    """Strictest mode: the rules' challenge beats the issuer's frictionless; the passcode is
    checked by the issuer, wrong then right."""
    client = await acs(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk, pan=CONSULT_VALIDATES)
    await send(client, sdk, sdk.start())
    wrong = await send(client, sdk, sdk.enter_text("482915"))
    assert wrong["challengeInfoTextIndicator"] == "Y"
    final = await send(client, sdk, sdk.enter_text("123456"))
    assert final["transStatus"] == "Y"
    paths = [c["path"] for c in await sim_calls(client, ares["acsTransID"])]
    assert paths == ["/check-authentication-method", "/validate-passcode", "/validate-passcode"]
    steps = (await record(client, ares["acsTransID"]))["challenge"]["steps"]
    checks = [s for s in steps if s["event"] == "issuer"]
    assert [c["answer"]["valid"] for c in checks] == [False, True]
    assert "123456" not in str(steps) and "482915" not in str(steps)


async def test_the_issuer_validates_the_passcode(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    ares = await areq(client, ds, VALIDATES)
    assert ares["transStatus"] == "C"
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk, pan=VALIDATES)
    await send(client, sdk, sdk.start())
    final = await send(client, sdk, sdk.enter_text("123456"))
    assert final["transStatus"] == "Y"
    paths = [c["path"] for c in await sim_calls(client, ares["acsTransID"])]
    assert paths == ["/validate-passcode"]  # not consulted in this model


async def test_the_issuer_sends_and_checks_the_code(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    sdk = SdkSession(message_version="2.3.1")
    ares = await begin(client, ds, sdk, pan=DELEGATED)
    await send(client, sdk, sdk.start())
    await send(client, sdk, sdk.resend())  # cancels the first code at the issuer
    code = (await (await client.get(f"/issuer-sim/otp/{ares['acsTransID']}")).json())["code"]
    final = await send(client, sdk, sdk.enter_text(code))
    assert final["transStatus"] == "Y"
    paths = [c["path"] for c in await sim_calls(client, ares["acsTransID"])]
    assert paths == ["/otp/send", "/otp/cancel", "/otp/send", "/otp/verify"]
    outbox = await (await client.get(f"/qa/outbox?acsTransID={ares['acsTransID']}")).json()
    assert outbox == []  # the ACS never had the code


# -- failures: a stub issuer that misbehaves as told ------------------------------------------


class BadIssuer:
    """An issuer service on a real port that answers every call one way."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.calls = 0
        app = web.Application()
        app.router.add_post("/{path:.*}", self.answer)
        self.server = TestServer(app, port=free_port(), host="127.0.0.1")

    async def answer(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        if self.mode == "timeout":
            await asyncio.sleep(5)
        if self.mode == "500":
            return web.json_response({"error": "down"}, status=500)
        if self.mode == "garbage":
            return web.Response(body=b"<html>not json", content_type="text/html")
        if self.mode == "shape":
            return web.json_response({"decision": "maybe"})
        return web.json_response({"error": "bad signature"}, status=401)  # "signature"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.mark.parametrize("mode", ["timeout", "500", "garbage", "shape", "signature"])
@pytest.mark.parametrize("on_failure", [OnFailure.RULES, OnFailure.UNAVAILABLE, OnFailure.DECLINE])
async def test_a_failing_consult_falls_back_as_configured(
    aiohttp_client, ds, mode: str, on_failure: OnFailure
) -> None:  # type: ignore[no-untyped-def]
    bad = BadIssuer(mode)
    await bad.server.start_server()
    try:
        client = await acs(aiohttp_client)
        directory = client.server.app[SERVICES].directory
        found = directory.range_by_id("issuer-consult")
        assert isinstance(found, CardRange)
        integration = IssuerIntegration(
            url=bad.url, consult=True, on_failure=on_failure, timeout_seconds=0.2, retries=1
        )
        await directory.put_range(msgspec.structs.replace(found, issuer=integration), replace=True)
        started = time.monotonic()
        ares = await areq(client, ds, CONSULT, purchaseAmount="4999", purchaseExponent="2")
        assert time.monotonic() - started < 3  # two attempts of 0.2 s at most, never a hang
        expected = {OnFailure.UNAVAILABLE: "U", OnFailure.DECLINE: "N"}.get(on_failure)
        if expected:
            assert ares["transStatus"] == expected
        else:
            assert ares["messageType"] == "ARes" and ares["transStatus"] != "U"
        (call,) = (await record(client, ares["acsTransID"]))["issuer_calls"]
        assert call["ok"] is False and call["error"]
        retried = mode in ("timeout", "500")
        assert (call["attempts"], bad.calls) == ((2, 2) if retried else (1, 1))
    finally:
        await bad.server.close()


async def test_a_failing_passcode_check_is_a_wrong_answer_not_a_crash(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    bad = BadIssuer("500")
    await bad.server.start_server()
    try:
        client = await acs(aiohttp_client)
        directory = client.server.app[SERVICES].directory
        found = directory.range_by_id("issuer-validates")
        assert isinstance(found, CardRange)
        integration = IssuerIntegration(url=bad.url, validates_passcode=True, timeout_seconds=0.2)
        await directory.put_range(msgspec.structs.replace(found, issuer=integration), replace=True)
        sdk = SdkSession(message_version="2.2.0")
        ares = await begin(client, ds, sdk, pan=VALIDATES)
        await send(client, sdk, sdk.start())
        answer = await send(client, sdk, sdk.enter_text("123456"))
        assert (
            answer["challengeCompletionInd"] == "N" and answer["challengeInfoTextIndicator"] == "Y"
        )
        steps = (await record(client, ares["acsTransID"]))["challenge"]["steps"]
        assert any(s["event"] == "issuer" and "HTTP 500" in s["error"] for s in steps)
    finally:
        await bad.server.close()


async def test_a_wrong_shared_secret_is_refused_by_the_issuer(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    """The ACS signs with ACS_ISSUER_SECRET; an issuer with another secret refuses every call,
    and the consult falls back to the rules."""
    client = await acs(aiohttp_client)
    issuer = client.server.app[SERVICES].challenge.issuer
    assert issuer is not None
    issuer.secret = "not-the-sims-secret"  # the sim keeps the one it started with
    ares = await areq(client, ds, CONSULT, purchaseAmount="25000", purchaseExponent="2")
    (call,) = (await record(client, ares["acsTransID"]))["issuer_calls"]
    assert call["ok"] is False and "HTTP 401" in call["error"]


BIOMETRIC = "4016010200000027"


async def test_biometric_approved_by_the_issuers_callback(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    """The issuer-sim answers pending and calls back (signed) a moment later: the challenge ends
    Y without the cardholder doing anything on the ACS's screens."""
    client = await acs(aiohttp_client)
    sim = client.server.app._subapps[0]
    sim[ISSUER_SIM].biometric_delay = 0.05
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk, pan=BIOMETRIC)
    ui = await send(client, sdk, sdk.start())
    assert ui["acsUiType"] == "04"
    await wait_for(lambda: bool(ds.received))
    assert ds.received[0]["transStatus"] == "Y"
    assert ds.received[0]["authenticationType"] == "03"  # out of band (biometric)
    final = await send(client, sdk, sdk.oob_continue())
    assert final["transStatus"] == "Y"
    paths = [c["path"] for c in await sim_calls(client, ares["acsTransID"])]
    assert paths[0] == "/biometric"


@pytest.mark.parametrize(("mode", "status"), [("approve", "Y"), ("deny", "N")])
async def test_biometric_answered_at_once(aiohttp_client, ds, mode: str, status: str) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    sim = client.server.app._subapps[0]
    sim[ISSUER_SIM].biometric = mode
    sdk = SdkSession(message_version="2.3.1")
    await begin(client, ds, sdk, pan=BIOMETRIC)
    await send(client, sdk, sdk.start())
    assert ds.received[0]["transStatus"] == status
    assert ds.received[0]["authenticationMethod"] == ["07"]  # OOB biometrics


async def test_an_unreachable_issuer_falls_back_to_a_code(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    bad = BadIssuer("500")
    await bad.server.start_server()
    try:
        client = await acs(aiohttp_client)
        directory = client.server.app[SERVICES].directory
        found = directory.range_by_id("issuer-validates")
        assert isinstance(found, CardRange) and found.issuer is not None
        moved = msgspec.structs.replace(found.issuer, url=bad.url, timeout_seconds=0.2)
        await directory.put_range(msgspec.structs.replace(found, issuer=moved), replace=True)
        sdk = SdkSession(message_version="2.2.0")
        ares = await begin(client, ds, sdk, pan=BIOMETRIC)
        ui = await send(client, sdk, sdk.start())
        assert ui["acsUiType"] == "01"  # the fallback: a code by SMS
        outbox = await (await client.get(f"/qa/outbox?acsTransID={ares['acsTransID']}")).json()
        final = await send(client, sdk, sdk.enter_text(outbox[-1]["code"]))
        assert final["transStatus"] == "Y"
        assert ds.received[0]["authenticationType"] == "02"
    finally:
        await bad.server.close()


async def test_no_verdict_in_time_falls_back(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    sim = client.server.app._subapps[0]
    sim[ISSUER_SIM].biometric_delay = 60  # pending, and the callback never comes in time
    directory = client.server.app[SERVICES].directory
    found = directory.range_by_id("issuer-validates")
    assert isinstance(found, CardRange) and found.issuer is not None
    quick = msgspec.structs.replace(found.issuer, biometric_timeout_seconds=0.2)
    await directory.put_range(msgspec.structs.replace(found, issuer=quick), replace=True)
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk, pan=BIOMETRIC)
    await send(client, sdk, sdk.start())

    async def fell_back() -> bool:
        view = await record(client, ares["acsTransID"])
        return view["challenge"]["methods"][0] == "otp_sms"

    for _ in range(100):
        if await fell_back():
            break
        await asyncio.sleep(0.05)
    assert await fell_back()
    moved_on = await send(client, sdk, sdk.oob_continue())  # the SDK still shows the old screen
    assert moved_on["acsUiType"] == "01"


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b'{"verdict": "approved"}', 401),
        ({"X-ACS-Signature": "t=1,v1=00"}, b'{"verdict": "approved"}', 401),
        (None, b'{"verdict": "maybe"}', 400),
        (None, b"[]", 400),
    ],
)
async def test_the_callback_must_be_signed_and_well_formed(
    aiohttp_client, headers: Any, body: bytes, status: int
) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    if headers is None:
        headers = {"X-ACS-Signature": sign("dev-issuer-secret", body, int(time.time()))}
    resp = await client.post(
        "/callbacks/biometric/8a880dc0-d2d2-4067-bcb1-b08d1690b26e", data=body, headers=headers
    )
    assert resp.status == status
    assert (await resp.json())["error"]
