"""Webhook signing: a round trip through a local issuer endpoint, and the verifier's refusals."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from acs.crypto.signature import SIGNATURE_HEADER, sign, verify_signature
from acs.delivery.base import Channel, sent
from acs.delivery.webhook import DELIVERY_ID_HEADER, WebhookAdapter
from tests.delivery.fakes import PHONE, message
from tests.redis_server import free_port

SECRET = "whsec-test"
NOW = 1_750_000_000


@dataclass
class Issuer:
    """An issuer endpoint that checks the signature the way an issuer would."""

    status: int = 204
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        valid = verify_signature(SECRET, request.headers[SIGNATURE_HEADER], body, now=NOW)
        self.received.append(
            {
                "valid": valid,
                "json": json.loads(body),
                "delivery_id": request.headers[DELIVERY_ID_HEADER],
            }
        )
        if not valid:
            return web.json_response({"error": "bad signature"}, status=401)
        return web.Response(status=self.status)


@pytest.fixture
async def issuer(aiohttp_server) -> Issuer:  # type: ignore[no-untyped-def]
    endpoint = Issuer()
    app = web.Application()
    app.router.add_post("/acs/otp", endpoint.handle)
    server = await aiohttp_server(app)
    endpoint.url = str(server.make_url("/acs/otp"))
    return endpoint


def webhook(url: str, session: aiohttp.ClientSession, **kw: Any) -> WebhookAdapter:
    return WebhookAdapter(url, kw.pop("secret", SECRET), session, clock=lambda: NOW, **kw)


def test_signature_round_trip() -> None:
    body = b'{"acsTransID":"t-1","code":"123456"}'
    header = sign(SECRET, body, NOW)
    assert header.startswith(f"t={NOW},v1=")
    assert verify_signature(SECRET, header, body, now=NOW)
    assert verify_signature(SECRET.encode(), header, body.decode(), now=NOW + 300)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("other-secret", b"{}", NOW),  # wrong secret
        (SECRET, b'{"x":1}', NOW),  # body changed
        (SECRET, b"{}", NOW + 301),  # too old: a replay
        (SECRET, b"{}", NOW - 301),  # from the future
    ],
)
def test_signature_refusals(secret: str, body: bytes, now: int) -> None:
    assert not verify_signature(secret, sign(SECRET, b"{}", NOW), body, now=now)


def test_malformed_headers_and_rotation() -> None:
    good = sign(SECRET, b"{}", NOW)
    for header in ("", "v1=abc", f"t={NOW}", "t=soon,v1=abc", good.replace("v1=", "v0=")):
        assert not verify_signature(SECRET, header, b"{}", now=NOW)
    rotated = f"{good},v1={sign('old-secret', b'{}', NOW).split('v1=')[1]}"
    assert verify_signature("old-secret", rotated, b"{}", now=NOW)
    assert verify_signature(SECRET, rotated, b"{}", now=NOW)


async def test_send_posts_a_signed_message(issuer: Issuer, session) -> None:
    msg = message()
    receipt = await webhook(issuer.url, session).send(msg)

    assert receipt.status == "sent" and receipt.adapter == "webhook"
    (got,) = issuer.received
    assert got["valid"] is True
    assert got["delivery_id"] == receipt.provider_ref
    assert got["json"] == {
        "event": "otp.sent",
        "acsTransID": msg.acs_trans_id,
        "channel": "sms",
        "destination": PHONE,
        "locale": "en",
        "panMasked": "401600******0012",
        "code": "123456",
        "text": msg.text,
    }


async def test_notify_describes_another_adapters_delivery(issuer: Issuer, session) -> None:
    msg = message(Channel.VOICE, code="999999")  # a caller's code, unused by the provider
    delivery = sent(msg, "pin-api", provider_ref="PIN0001", provider_verifies=True)
    receipt = await webhook(issuer.url, session).notify(msg, delivery, "otp.resent")
    assert receipt.status == "sent"
    payload = issuer.received[0]["json"]
    assert payload["event"] == "otp.resent"
    assert payload["code"] is None
    assert payload["delivery"] == {
        "adapter": "pin-api",
        "status": "sent",
        "providerRef": "PIN0001",
        "providerVerifies": True,
        "error": None,
        "sentAt": delivery.sent_at,
    }


async def test_include_code_false_leaves_out_code_and_text(issuer: Issuer, session) -> None:
    await webhook(issuer.url, session, include_code=False).send(message())
    payload = issuer.received[0]["json"]
    assert "code" not in payload and "text" not in payload
    assert "123456" not in json.dumps(payload)


async def test_issuer_refusal_gives_a_failed_receipt(issuer: Issuer, session) -> None:
    receipt = await webhook(issuer.url, session, secret="not-shared").send(message())
    assert receipt.status == "failed"
    assert receipt.error is not None
    assert "HTTP 401" in receipt.error and "secret_env" in receipt.error


async def test_issuer_down_gives_a_failed_receipt(session) -> None:
    receipt = await webhook(f"http://127.0.0.1:{free_port()}/x", session).send(message())
    assert receipt.status == "failed"
    assert receipt.error is not None and "cannot reach" in receipt.error


@pytest.mark.parametrize("stamp", ["²", "1" * 400, "1" * 5000, "-1", "1e9", ""])
def test_a_malformed_timestamp_is_refused_not_raised(stamp: str) -> None:
    assert not verify_signature(SECRET, f"t={stamp},v1=00", b"{}", now=NOW)
