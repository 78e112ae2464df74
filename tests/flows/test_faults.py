"""Every fault does what it says, seen from the client: the 3DS Server's HTTP client for the
ARes, the built-in SDK (acs.sdk, which knows nothing of the ACS) for the app channel, the stub
DS for the RReq, the DS front for PRes and the DS timeout. Timers are shortened by config."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from acs.app import build_services, create_app
from acs.config import ProtocolTimers
from acs.crypto.pki import PKI
from acs.crypto.sdk_enc_data import DsKeys
from acs.ds.config import DsConfig
from acs.ds.server import DirectoryServer
from acs.ds.web import create_ds_app
from acs.faults import IGNORED_HEADER
from acs.issuer.config_files import load_issuer_config
from acs.issuer.models import RangeIndex
from acs.sdk.errors import SdkCheckError
from acs.sdk.session import SdkSession
from acs.store.store import Store
from acs.web.appkeys import SERVICES
from tests.conftest import ROOT, fresh_services, make_settings
from tests.ds.three_ds_server import preq
from tests.flows.test_browser_flow import StubDS, creq_field, cres_of, token_of, wait_for
from tests.protocol import samples

Y_CARD = "4016000000000012"  # frictionless-y
OTP_CARD = "4016000000000111"  # challenge-otp-sms: magic code 111111 passes
JOSE = {"Content-Type": "application/jose"}
FAST = {"poll_seconds": 0.05, "rreq_retry_seconds": 0.1, "rres_wait_seconds": 2.0}


async def acs(aiohttp_client, *, faults: bool = True, **timers: float) -> TestClient:  # type: ignore[no-untyped-def]
    services = await fresh_services(
        "memory", timers=ProtocolTimers(**(FAST | timers)), faults=faults, ds_front=True
    )
    return await aiohttp_client(create_app(services))


async def areq(
    client: TestClient, pan: str = Y_CARD, fault: str | None = None, **fields: Any
) -> tuple[aiohttp.ClientResponse, dict[str, Any]]:
    body = samples.areq("2.2.0", "02", "01", pan=pan, **fields)
    headers = {"X-ACS-Fault": fault} if fault is not None else {}
    resp = await client.post("/3ds/areq", json=body, headers=headers)
    return resp, await resp.json()


async def record(client: TestClient, acs_trans_id: str) -> dict[str, Any]:
    resp = await client.get(f"/qa/transactions/{acs_trans_id}")
    assert resp.status == 200, await resp.text()
    data: dict[str, Any] = await resp.json()
    return data


# -- the app channel, through the built-in SDK ------------------------------------------------


class App:
    def __init__(self, client: TestClient, ds: StubDS, version: str = "2.2.0") -> None:
        self.client, self.ds = client, ds
        self.sdk = SdkSession(message_version=version)
        self.root = client.server.app[SERVICES].pki.root_pem()

    async def ares(self, fault: str | None = None, pan: str = OTP_CARD) -> dict[str, Any]:
        base = samples.areq(self.sdk.message_version, "01", "01", pan=pan, dsURL=self.ds.url)
        headers = {"X-ACS-Fault": fault} if fault else {}
        resp = await self.client.post("/3ds/areq", json=self.sdk.areq(base), headers=headers)
        ares: dict[str, Any] = await resp.json()
        assert ares.get("transStatus") == "C", ares
        return ares

    async def begin(self, fault: str | None = None) -> dict[str, Any]:
        ares = await self.ares(fault)
        self.sdk.accept_ares(ares, self.root)
        return ares

    async def post(self, creq: bytes) -> aiohttp.ClientResponse:
        return await self.client.post("/3ds/challenge", data=creq, headers=JOSE)

    async def send(self, creq: bytes) -> dict[str, Any]:
        resp = await self.post(creq)
        return self.sdk.cres(await resp.read(), resp.headers.get("Content-Type"))


@pytest.fixture
async def ds() -> Any:
    stub = StubDS()
    await stub.server.start_server()
    yield stub
    await stub.server.close()


async def test_bad_x5c_is_refused_by_the_sdk(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    ares = await app.ares("bad-x5c")
    with pytest.raises(SdkCheckError, match="trusted root"):
        app.sdk.accept_ares(ares, app.root)
    assert (await record(app.client, ares["acsTransID"]))["faults"] == "bad-x5c"


async def test_bad_signature_is_refused_by_the_sdk(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    ares = await app.ares("bad-signature")
    with pytest.raises(SdkCheckError, match="signature does not verify"):
        app.sdk.accept_ares(ares, app.root)


@pytest.mark.parametrize(
    ("fault", "field", "refusal"),
    [
        ("ares-missing:acsSignedContent", "acsSignedContent", "no acsSignedContent"),
        ("ares-malformed:acsSignedContent", "acsSignedContent", "not a compact JWS"),
        ("ares-missing:sdkTransID", "sdkTransID", "sdkTransID None"),
        ("ares-malformed:sdkTransID", "sdkTransID", "sdkTransID 'not-a-uuid'"),
    ],
)
async def test_app_ares_fields_missing_or_malformed(  # type: ignore[no-untyped-def]
    aiohttp_client, ds, fault: str, field: str, refusal: str
) -> None:
    app = App(await acs(aiohttp_client), ds)
    ares = await app.ares(fault)
    assert (field in ares) is fault.startswith("ares-malformed")
    with pytest.raises(SdkCheckError, match=refusal):
        app.sdk.accept_ares(ares, app.root)


async def test_cres_version_mismatch_is_refused(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    await app.begin("cres-version")
    with pytest.raises(SdkCheckError, match=r"messageVersion '2\.1\.0' is not the AReq's") as err:
        await app.send(app.sdk.start())
    assert err.value.error_code == "102"


async def test_cres_content_type(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    await app.begin("cres-content-type:text/html")
    resp = await app.post(app.sdk.start())
    assert resp.status == 200 and resp.content_type == "text/html"
    with pytest.raises(SdkCheckError, match="content type 'text/html"):
        app.sdk.cres(await resp.read(), resp.headers["Content-Type"])


async def test_extra_member_on_the_final_cres_is_refused(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    await app.begin("cres-extra-field")
    first = await app.send(app.sdk.start())  # interim screens carry no extra member
    assert first["acsUiType"] == "01"
    with pytest.raises(SdkCheckError, match=r"final CRes carries \['acsUiType'\]"):
        await app.send(app.sdk.enter_text("111111"))


async def test_empty_challenge_info_text(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    await app.begin("cres-empty-info-text")
    first = await app.send(app.sdk.start())
    assert first["challengeInfoText"] == ""
    assert first["challengeInfoHeader"]  # the rest of the screen is there


async def test_http_500_and_drop_instead_of_a_cres(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    app = App(client, ds)
    await app.begin("http-500:cres")
    resp = await app.post(app.sdk.start())
    assert resp.status == 500 and "http-500:cres" in await resp.text()
    app = App(client, ds)
    await app.begin("drop:cres")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await app.post(app.sdk.start())


async def test_a_creq_header_adds_faults_to_its_cres(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    await app.begin()
    resp = await app.client.post(
        "/3ds/challenge", data=app.sdk.start(), headers=JOSE | {"X-ACS-Fault": "cres-version"}
    )
    with pytest.raises(SdkCheckError, match="messageVersion"):
        app.sdk.cres(await resp.read(), resp.headers["Content-Type"])


# -- the RReq ---------------------------------------------------------------------------------


async def test_rreq_missing(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    ares = await app.begin("rreq-missing")
    await app.send(app.sdk.start())
    final = await app.send(app.sdk.enter_text("111111"))
    assert final["transStatus"] == "Y"
    await asyncio.sleep(0.3)  # several timer polls: nothing is retried either
    assert ds.received == []
    rreq = (await record(app.client, ares["acsTransID"]))["challenge"]["rreq"]
    assert rreq["status"] == "withheld" and "rreq-missing" in rreq["last_error"]


async def test_rreq_twice(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    ares = await app.begin("rreq-twice")
    await app.send(app.sdk.start())
    await app.send(app.sdk.enter_text("111111"))
    assert len(ds.received) == 2 and ds.received[0] == ds.received[1]
    log = await (await app.client.get(f"/qa/rreq-log?acsTransID={ares['acsTransID']}")).json()
    statuses = sorted(e["status"] for e in log)
    assert statuses == ["delivered", "duplicate"]


async def test_rreq_after_the_final_cres(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    await app.begin("rreq-after-cres:0.3")
    await app.send(app.sdk.start())
    final = await app.send(app.sdk.enter_text("111111"))
    assert final["transStatus"] == "Y" and ds.received == []  # the CRes came first
    await wait_for(lambda: len(ds.received) == 1, seconds=3)
    assert ds.received[0]["transStatus"] == "Y"


async def test_rreq_slow_holds_the_rreq_and_the_final_cres(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    app = App(await acs(aiohttp_client), ds)
    await app.begin("rreq-slow:0.4")
    await app.send(app.sdk.start())
    started = time.monotonic()
    final = await app.send(app.sdk.enter_text("111111"))
    assert time.monotonic() - started >= 0.4
    assert final["transStatus"] == "Y" and len(ds.received) == 1  # the RReq went first


# -- the ARes over HTTP -----------------------------------------------------------------------


async def test_ares_delay_and_latency_floor(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    for fault in ("ares-delay:0.3", "latency:0.3"):
        started = time.monotonic()
        _, ares = await areq(client, fault=fault)
        assert time.monotonic() - started >= 0.3, fault
        assert ares["transStatus"] == "Y"


async def test_erro_instead_of_the_ares(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    for fault, code in (("ares-erro:305", "305"), ("ares-erro", "403")):
        _, erro = await areq(client, fault=fault)
        assert (erro["messageType"], erro["errorCode"]) == ("Erro", code)
        assert fault in erro["errorDetail"] and erro["acsTransID"]


async def test_browser_acs_url_missing_or_malformed(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    _, ares = await areq(client, OTP_CARD, fault="ares-missing:acsURL")
    assert ares["transStatus"] == "C" and "acsURL" not in ares
    _, ares = await areq(client, OTP_CARD, fault="ares-malformed:acsURL")
    assert ares["acsURL"] == "htp:/acs challenge"
    assert (await record(client, ares["acsTransID"]))["ares"]["acsURL"] == "htp:/acs challenge"


async def test_http_500_and_dropped_connection(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    resp = await client.post(
        "/3ds/areq",
        json=samples.areq("2.2.0", "02", "01", pan=Y_CARD),
        headers={"X-ACS-Fault": "http-500"},
    )
    assert resp.status == 500 and "no answer" in await resp.text()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.post(
            "/3ds/areq",
            json=samples.areq("2.2.0", "02", "01", pan=Y_CARD),
            headers={"X-ACS-Fault": "drop"},
        )
    listed = await (await client.get(f"/qa/transactions?acctNumber={Y_CARD}")).json()
    played = [(await record(client, e["acsTransID"])).get("faults") for e in listed]
    assert sorted(played) == ["drop", "http-500"]  # recorded all the same


async def test_browser_final_cres_version_and_extra_member(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    fault = "cres-version:2.3.1, cres-extra-field:foo, latency:0.2"
    _, ares = await areq(client, OTP_CARD, fault=fault, dsURL=ds.url)
    page = await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
    started = time.monotonic()
    final = await client.post(
        "/3ds/challenge/step",
        data={"token": token_of(await page.text()), "action": "submit", "otp": "111111"},
    )
    assert time.monotonic() - started >= 0.2  # the latency floor holds for pages too
    cres = cres_of(await final.text())
    assert (cres["messageVersion"], cres["foo"], cres["transStatus"]) == ("2.3.1", "01", "Y")


# -- the DS front: the DS timeout, the PRes ---------------------------------------------------


async def test_ares_past_the_ds_timeout_is_erro_402(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    """A remote ACS behind the DS front, whose ARes timeout is shortened by config; the fault
    goes in the AReq's messageExtension, which a DS passes on."""
    services = await build_services(
        make_settings("memory", faults=True, timers=ProtocolTimers(ds_ares_seconds=0.3))
    )
    acs_server = TestServer(create_app(services))
    await acs_server.start_server()
    http = aiohttp.ClientSession()
    pki = PKI.generate(ca_bits=2048)
    ds = DirectoryServer(
        DsConfig(
            public_url="http://ds.test",
            method_url=None,
            acs_url=str(acs_server.make_url("/3ds/areq")),
            ares_timeout_seconds=0.3,
        ),
        Store.connect("memory"),
        RangeIndex(load_issuer_config(ROOT / "config").ranges),
        DsKeys(pki.ds_rsa.key, pki.ds_ec.key),  # type: ignore[arg-type]
        http,
    )
    try:
        client = await aiohttp_client(create_ds_app(ds))
        ext = [
            {
                "id": "acs.fault",
                "name": "faults",
                "criticalityIndicator": False,
                "data": "ares-timeout",
            }
        ]
        body = samples.areq("2.2.0", "02", "01", pan=Y_CARD, messageExtension=ext)
        for name in ("dsTransID", "dsReferenceNumber", "dsURL"):
            body.pop(name, None)
        started = time.monotonic()
        erro = await (await client.post("/ds/areq", json=body)).json()
        assert (erro["messageType"], erro["errorCode"], erro["errorComponent"]) == (
            "Erro",
            "402",
            "D",
        )
        assert time.monotonic() - started < 1.2  # the DS gave up; the ACS sleeps on (1.3 s)
    finally:
        await acs_server.close()


@pytest.mark.parametrize(
    ("fault", "code"), [("ares-timeout", "402"), ("http-500", "101"), ("drop", "405")]
)
async def test_through_the_in_process_ds_front(aiohttp_client, fault: str, code: str) -> None:  # type: ignore[no-untyped-def]
    """serve --ds: the in-process ACS is held to the DS timeout too, and an HTTP fault is the
    Erro the DS makes of it."""
    client = await acs(aiohttp_client, ds_ares_seconds=0.3)
    ext = [{"id": "acs.fault", "name": "faults", "criticalityIndicator": False, "data": fault}]
    body = samples.areq("2.2.0", "02", "01", pan=Y_CARD, messageExtension=ext)
    for name in ("dsTransID", "dsReferenceNumber", "dsURL"):
        body.pop(name, None)
    erro = await (await client.post("/ds/areq", json=body)).json()
    assert (erro["messageType"], erro["errorCode"], erro["errorComponent"]) == ("Erro", code, "D")


async def test_pres_late_and_malformed(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    started = time.monotonic()
    resp = await client.post("/ds/preq", json=preq(), headers={"X-ACS-Fault": "pres-late:0.3"})
    assert time.monotonic() - started >= 0.3
    assert (await resp.json())["messageType"] == "PRes"
    resp = await client.post("/ds/preq", json=preq(), headers={"X-ACS-Fault": "pres-malformed"})
    pres = await resp.json()
    assert "serialNum" not in pres and pres["cardRangeData"] == "not a list"
    resp = await client.post(
        "/ds/preq", json=preq(), headers={"X-ACS-Fault": "pres-malformed:json"}
    )
    with pytest.raises(json.JSONDecodeError):
        json.loads(await resp.text())


# -- asking: off by default, bad specs --------------------------------------------------------


async def test_per_request_faults_are_ignored_when_off(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client, faults=False)
    resp, ares = await areq(client, fault="ares-erro")
    assert ares["messageType"] == "ARes" and "--faults" in resp.headers[IGNORED_HEADER]
    adjustments = (await record(client, ares["acsTransID"]))["decision"]["adjustments"]
    assert any("X-ACS-Fault header ignored" in a for a in adjustments)
    ext = [{"id": "acs.fault", "name": "f", "criticalityIndicator": False, "data": "ares-erro"}]
    _, ares = await areq(client, messageExtension=ext)
    assert ares["messageType"] == "ARes"
    adjustments = (await record(client, ares["acsTransID"]))["decision"]["adjustments"]
    assert any("messageExtension acs.fault ignored" in a for a in adjustments)
    resp = await client.post("/ds/preq", json=preq(), headers={"X-ACS-Fault": "pres-malformed"})
    assert (await resp.json())["serialNum"] and IGNORED_HEADER in resp.headers


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("nope", "no such fault; known faults: ares-delay"),
        ("ares-missing", "needs an argument"),
        ("ares-delay:soon", "takes seconds"),
        ("bad-x5c:1", "takes no argument"),
        ("drop, drop", "given twice"),
    ],
)
async def test_a_bad_spec_is_erro_203_naming_it(aiohttp_client, fault: str, says: str) -> None:  # type: ignore[no-untyped-def]
    client = await acs(aiohttp_client)
    _, erro = await areq(client, fault=fault)
    assert (erro["messageType"], erro["errorCode"]) == ("Erro", "203")
    assert erro["errorDetail"].startswith("X-ACS-Fault header: ") and says in erro["errorDetail"]
    ext = [{"id": "acs.fault", "name": "f", "criticalityIndicator": False, "data": fault}]
    _, erro = await areq(client, messageExtension=ext)
    assert erro["errorCode"] == "203" and "messageExtension acs.fault" in erro["errorDetail"]
    resp = await client.post("/ds/preq", json=preq(), headers={"X-ACS-Fault": fault})
    erro = await resp.json()
    assert (erro["errorCode"], erro["errorComponent"]) == ("203", "D")
