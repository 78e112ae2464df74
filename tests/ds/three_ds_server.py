"""A stub 3DS Server, written from the wire contract alone (it imports nothing of ``acs``).

It does what a merchant's 3DS Server does with a Directory Server: PReq for the card ranges,
AReq (without the DS's fields; the app channel's device data as sdkEncData), and an endpoint at
its threeDSServerURL that takes the RReq the DS relays and answers RRes 01.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

REF_NUMBER = "3DS_LOA_SER_STUB_020200_00001"


class ThreeDSServer:
    def __init__(self, *, answer: str = "01", delay: float = 0.0) -> None:
        self.rreqs: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.answer = answer  # resultsStatus, or "erro" / "http500" / "garbage"
        self.delay = delay  # seconds before answering an RReq (a slow 3DS Server)
        self.received = asyncio.Event()
        self._server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("/3ds/results"))

    async def start(self) -> ThreeDSServer:
        app = web.Application()
        app.router.add_post("/3ds/results", self._rreq)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    async def _rreq(self, request: web.Request) -> web.Response:
        rreq = await request.json()
        self.rreqs.append(rreq)
        self.headers.append(dict(request.headers))
        self.received.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.answer == "http500":
            return web.Response(status=500, text="boom")
        if self.answer == "garbage":
            return web.Response(text="not json", content_type="text/plain")
        rres = {
            "messageType": "RRes",
            "messageVersion": rreq["messageVersion"],
            "threeDSServerTransID": rreq["threeDSServerTransID"],
            "acsTransID": rreq["acsTransID"],
            "dsTransID": rreq["dsTransID"],
            "resultsStatus": self.answer,
        }
        if "sdkTransID" in rreq:
            rres["sdkTransID"] = rreq["sdkTransID"]
        return web.json_response(rres)

    async def wait_rreq(self, seconds: float = 10.0) -> dict[str, Any]:
        await asyncio.wait_for(self.received.wait(), seconds)
        return self.rreqs[-1]


def preq(version: str = "2.2.0", serial: str | None = None) -> dict[str, Any]:
    message = {
        "messageType": "PReq",
        "messageVersion": version,
        "threeDSServerRefNumber": REF_NUMBER,
        "threeDSServerTransID": str(uuid.uuid4()),
    }
    if serial is not None:
        message["serialNum"] = serial
    return message


def browser_areq(pan: str, results_url: str, version: str = "2.2.0") -> dict[str, Any]:
    """An AReq as a 3DS Server sends it to the DS: no dsTransID, dsReferenceNumber, dsURL."""
    message: dict[str, Any] = {
        "messageType": "AReq",
        "messageVersion": version,
        "deviceChannel": "02",
        "messageCategory": "01",
        "threeDSServerTransID": str(uuid.uuid4()),
        "threeDSServerRefNumber": REF_NUMBER,
        "threeDSServerOperatorID": "STUB-OPERATOR",
        "threeDSServerURL": results_url,
        "threeDSRequestorID": "STUB_MERCHANT_01",
        "threeDSRequestorName": "Stub Shop",
        "threeDSRequestorURL": "https://shop.example.com",
        "threeDSRequestorAuthenticationInd": "01",
        "threeDSCompInd": "U",
        "acctNumber": pan,
        "cardExpiryDate": "3012",
        "acquirerBIN": "412345",
        "acquirerMerchantID": "MERCH000000001",
        "mcc": "5411",
        "merchantCountryCode": "826",
        "merchantName": "Stub Shop",
        "purchaseAmount": "1999",
        "purchaseCurrency": "826",
        "purchaseExponent": "2",
        "purchaseDate": "20261206120000",
        "transType": "01",
        "notificationURL": "https://shop.example.com/3ds/notify",
        "browserAcceptHeader": "text/html",
        "browserIP": "192.0.2.10",
        "browserJavaEnabled": False,
        "browserLanguage": "en-GB",
        "browserColorDepth": "24",
        "browserScreenHeight": "900",
        "browserScreenWidth": "1440",
        "browserTZ": "0",
        "browserUserAgent": "Mozilla/5.0 (stub)",
        "cardholderName": "Stub Cardholder",
        "email": "stub@example.com",
    }
    if version != "2.1.0":
        message["browserJavascriptEnabled"] = True
    return message


def app_areq(
    pan: str, results_url: str, sdk_fields: dict[str, Any], version: str = "2.2.0"
) -> dict[str, Any]:
    """An app-channel AReq to the DS: the SDK's fields (sdkEncData, not deviceInfo)."""
    message = browser_areq(pan, results_url, version)
    for name in list(message):
        if name.startswith("browser") or name in ("notificationURL", "threeDSCompInd"):
            del message[name]
    message["deviceChannel"] = "01"
    message.update(sdk_fields)
    return message


def dumps(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()
