"""A browser challenge through the DS front, end to end in a real headless Chromium.

The chain a merchant's 3DS Server sees when it points at ``acs serve --ds``: the stub 3DS Server
(tests/ds/three_ds_server.py, which imports nothing of acs) sends the AReq to the DS front
without dsTransID/dsURL -> the DS adds them and routes to the ACS in the same process -> ARes C
-> the merchant's checkout page posts the CReq into its iframe -> the cardholder answers on the
ACS's page -> the final page posts the CRes to the notificationURL, while the ACS sends its RReq
to the dsURL and the DS relays it to the 3DS Server's threeDSServerURL and the RRes back.

The browser, the watched tab and the CRes/RReq checks are those of the other e2e modules.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from acs.app import build_services, create_app
from acs.config import ProtocolTimers
from tests.conftest import make_settings
from tests.ds.three_ds_server import ThreeDSServer, browser_areq
from tests.e2e import test_challenge_browser as shared
from tests.e2e import test_methods_browser as methods
from tests.e2e.stubs import StubMerchant
from tests.e2e.test_challenge_browser import (
    b64url,
    b64url_json,
    check_cres,
    check_rreq,
    enter,
    until,
)
from tests.e2e.test_methods_browser import Tab, open_step
from tests.redis_server import free_port

with contextlib.suppress(ImportError):  # the browser fixture skips (or fails in CI) without it
    from playwright.async_api import expect

pytestmark = pytest.mark.asyncio(loop_scope="module")

# one Chromium for the module, and a watched browser context per test
browser = shared.browser
tab = methods.tab

SMS_PAN = "4016000000000111"  # challenge-otp-sms: the code goes to the QA outbox
PASSCODE_PAN = "4016000000000186"  # challenge-passcode: the cardholder's passcode
PASSCODE = "123456"


@dataclass
class Node:
    """``acs serve --ds`` in this event loop (a real port, so the browser and the RReq reach
    it), the stub 3DS Server behind the DS and the stub merchant in front of the browser."""

    acs: str
    three_ds_server: ThreeDSServer
    merchant: StubMerchant
    http: aiohttp.ClientSession

    async def get(self, path: str, **params: str) -> Any:
        async with self.http.get(f"{self.acs}{path}", params=params) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def outbox(self, acs_trans_id: str) -> list[dict[str, Any]]:
        """What the ACS sent the cardholder for this transaction (GET /qa/outbox)."""
        sent: list[dict[str, Any]] = await self.get("/qa/outbox", acsTransID=acs_trans_id)
        return sent

    async def areq(self, pan: str, version: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the AReq as the 3DS Server sent it to the DS, the ARes the DS relayed; checked C)."""
        message = browser_areq(pan, self.three_ds_server.url, version)
        message["notificationURL"] = self.merchant.notify_url
        async with self.http.post(f"{self.acs}/ds/areq", json=message) as resp:
            assert resp.status == 200, await resp.text()
            ares: dict[str, Any] = await resp.json()
        assert ares.get("messageType") == "ARes" and ares["transStatus"] == "C", ares
        assert ares["threeDSServerTransID"] == message["threeDSServerTransID"]
        assert str(uuid.UUID(ares["dsTransID"])) == ares["dsTransID"], "the DS's dsTransID"
        assert ares["acsURL"] == f"{self.acs}/3ds/challenge", ares
        return message, ares

    def checkout(self, ares: dict[str, Any]) -> tuple[str, str]:
        """(the checkout page that frames the acsURL with the CReq form, its session data)."""
        creq = {
            "threeDSServerTransID": ares["threeDSServerTransID"],
            "acsTransID": ares["acsTransID"],
            "messageType": "CReq",
            "messageVersion": ares["messageVersion"],
            "challengeWindowSize": "02",
        }
        session_data = b64url(json.dumps({"order": str(uuid.uuid4())}).encode())
        url = self.merchant.checkout_url(
            ares["acsURL"], b64url(json.dumps(creq).encode()), session_data, "02"
        )
        return url, session_data

    async def notification(self, ares: dict[str, Any]) -> dict[str, str]:
        def mine() -> list[dict[str, str]]:
            return [
                n
                for n in self.merchant.notifications
                if b64url_json(n["cres"]).get("acsTransID") == ares["acsTransID"]
            ]

        posted: list[dict[str, str]] = await until(mine, "the final CRes at the notificationURL")
        assert len(posted) == 1, posted
        return posted[0]

    async def rreq(self, ares: dict[str, Any]) -> dict[str, Any]:
        """The RReq the 3DS Server received for this transaction (through the DS)."""

        def mine() -> list[dict[str, Any]]:
            return [
                r for r in self.three_ds_server.rreqs if r.get("acsTransID") == ares["acsTransID"]
            ]

        received: list[dict[str, Any]] = await until(mine, "the 3DS Server to receive the RReq")
        assert len(received) == 1, received
        return received[0]

    async def relay(self, ds_trans_id: str) -> dict[str, Any]:
        """The DS's record of the relay, once it noted the RRes (just after relaying it)."""

        async def relayed() -> dict[str, Any] | None:
            view: dict[str, Any] = await self.get(f"/ds/transactions/{ds_trans_id}")
            return view if view["rreqs"] else None

        found: dict[str, Any] = await until(relayed, "the DS to note the relayed RReq")
        return found

    async def acs_record(self, acs_trans_id: str) -> dict[str, Any]:
        """The ACS's transaction record, once its RReq is delivered (the RRes came back)."""

        async def delivered() -> dict[str, Any] | None:
            record: dict[str, Any] = await self.get(f"/qa/transactions/{acs_trans_id}")
            rreq = (record.get("challenge") or {}).get("rreq") or {}
            return record if rreq.get("status") == "delivered" else None

        found: dict[str, Any] = await until(delivered, "the ACS to see its RReq delivered")
        return found


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node() -> AsyncIterator[Node]:
    three_ds_server = await ThreeDSServer().start()
    merchant = StubMerchant()
    await merchant.start()
    port = free_port()
    acs = f"http://127.0.0.1:{port}"
    timers = ProtocolTimers(
        poll_seconds=0.05,
        rreq_retry_seconds=0.2,
        rres_wait_seconds=4.0,  # ACS -> DS: covers the DS's own wait for the 3DS Server
        ds_rres_wait_seconds=1.0,
        ds_ares_seconds=2.0,
    )
    settings = make_settings("memory", base_url=acs, port=port, timers=timers, ds_front=True)
    server = TestServer(create_app(await build_services(settings)), port=port, host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession()
    yield Node(acs, three_ds_server, merchant, http)
    await http.close()
    await server.close()  # also closes the services and stops the timer worker
    await merchant.close()
    await three_ds_server.close()


@pytest.mark.parametrize(
    ("pan", "version", "method"),
    [(SMS_PAN, "2.2.0", "otp_sms"), (PASSCODE_PAN, "2.3.1", "passcode")],
)
async def test_challenge_through_the_ds_front(
    tab: Tab, node: Node, pan: str, version: str, method: str
) -> None:
    areq, ares = await node.areq(pan, version)
    url, session_data = node.checkout(ares)
    frame = await open_step(tab.page, url, 'input[name="otp"]')
    await expect(frame.locator("#otp-hint")).to_have_text("3 attempts left")

    if method == "otp_sms":
        [sent] = await node.outbox(ares["acsTransID"])
        assert sent["channel"] == "sms", sent
        answer = sent["code"]
    else:
        assert await node.outbox(ares["acsTransID"]) == [], "a passcode is never sent"
        answer = PASSCODE
    await enter(frame, answer)

    # the merchant gets the final CRes; the 3DS Server gets the RReq through the DS
    check_cres(await node.notification(ares), ares, session_data, "Y")
    await expect(frame.locator("#done")).to_have_text("done")
    rreq = await node.rreq(ares)
    check_rreq(rreq, ares, status="Y", reason=None, counter="01", cancel=None)
    assert rreq["dsTransID"] == ares["dsTransID"] and "dsTransID" not in areq
    if version == "2.3.1":  # the DS's RReq to the 3DS Server names the transaction
        [headers] = [
            h
            for h, r in zip(node.three_ds_server.headers, node.three_ds_server.rreqs, strict=True)
            if r is rreq
        ]
        assert headers["X-Request-ID"] == ares["dsTransID"], headers

    # the DS kept the relay: its record of the AReq and the RRes 01 it relayed back
    relay = await node.relay(ares["dsTransID"])
    record = relay["record"]
    assert record["threeDSServerURL"] == node.three_ds_server.url, record
    assert record["acsTransID"] == ares["acsTransID"] and record["transStatus"] == "C", record
    assert record["acs"] == "in-process", record
    [event] = relay["rreqs"]
    assert (event["outcome"], event["transStatus"], event["resultsStatus"]) == (
        "relayed",
        "Y",
        "01",
    ), event

    # and the ACS got that RRes from its dsURL, the DS front of this process
    acs_record = await node.acs_record(ares["acsTransID"])
    assert acs_record["areq"]["dsURL"] == f"{node.acs}/ds/rreq", acs_record["areq"]
    assert acs_record["areq"]["dsTransID"] == ares["dsTransID"]
    assert acs_record["challenge"]["rreq"]["rres"]["resultsStatus"] == "01", acs_record
    assert acs_record["challenge"]["result"]["factors"] == [method], acs_record["challenge"]
    assert tab.problems == []
