"""POST each message to the issuer, signed, so the issuer can deliver it or keep its own log.

The body is JSON; ``X-ACS-Signature: t=<unix>,v1=<hex>`` carries HMAC-SHA256 over
``f"{t}.{body}"`` with a shared secret. Signing the timestamp with the body lets the issuer reject
replays (``verify_signature``'s tolerance); several ``v1=`` values are accepted, so a secret can
be rotated without downtime. The destination is sent in clear (the issuer's own data, and it needs
it to deliver); the code and the text (which contains it) only with ``include_code``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

from acs.delivery._http import HttpFailure, post, snippet
from acs.delivery.base import (
    DeliveryReceipt,
    OtpMessage,
    VerifyResult,
    failed,
    not_provider_verified,
    sent,
)

SIGNATURE_HEADER = "X-ACS-Signature"
DELIVERY_ID_HEADER = "X-ACS-Delivery-ID"  # unique per POST: lets the issuer drop duplicates


def _mac(secret: str | bytes, timestamp: int, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """The ``X-ACS-Signature`` value for ``body`` sent at ``timestamp``."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify_signature(
    secret: str | bytes,
    header: str,
    body: bytes | str,
    tolerance: int = 300,
    *,
    now: float | None = None,
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` s old."""
    raw = body.encode() if isinstance(body, str) else body
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, raw)
    # compare every candidate, so the time taken does not depend on which one matched
    return sum(hmac.compare_digest(expected, c) for c in candidates) > 0


class WebhookAdapter:
    def __init__(
        self,
        url: str,
        secret: str | bytes,
        session: aiohttp.ClientSession,
        *,
        include_code: bool = True,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = "webhook"
        self.url = url
        self._secret = secret
        self.session = session
        self.include_code = include_code
        self.timeout = timeout
        self.clock = clock

    async def send(self, msg: OtpMessage) -> DeliveryReceipt:
        return await self._post(msg, self.payload(msg, "otp.sent"))

    async def resend(self, msg: OtpMessage, previous: DeliveryReceipt) -> DeliveryReceipt:
        return await self._post(msg, self.payload(msg, "otp.resent"))

    async def verify(self, receipt: DeliveryReceipt, pin: str) -> VerifyResult:
        return not_provider_verified(self.name)

    async def notify(
        self, msg: OtpMessage, delivery: DeliveryReceipt, event: str = "otp.sent"
    ) -> DeliveryReceipt:
        """Tell the issuer about a delivery made by another adapter (the router's copy)."""
        return await self._post(msg, self.payload(msg, event, delivery))

    def payload(
        self, msg: OtpMessage, event: str, delivery: DeliveryReceipt | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "event": event,
            "acsTransID": msg.acs_trans_id,
            "channel": str(msg.channel),
            "destination": msg.destination,
            "locale": msg.locale,
            "panMasked": msg.pan_masked,
        }
        if self.include_code:
            # a provider-generated PIN is unknown here, whatever the caller put in msg.code
            provider_pin = delivery is not None and delivery.provider_verifies
            body["code"] = None if provider_pin else msg.code
            body["text"] = msg.text
        if delivery is not None:
            body["delivery"] = {
                "adapter": delivery.adapter,
                "status": delivery.status,
                "providerRef": delivery.provider_ref,
                "providerVerifies": delivery.provider_verifies,
                "error": delivery.error,
                "sentAt": delivery.sent_at,
            }
        return body

    async def _post(self, msg: OtpMessage, payload: dict[str, Any]) -> DeliveryReceipt:
        body = msgspec.json.encode(payload)
        delivery_id = str(uuid.uuid4())
        headers = {
            SIGNATURE_HEADER: sign(self._secret, body, int(self.clock())),
            DELIVERY_ID_HEADER: delivery_id,
        }
        try:
            status, answer = await post(self.session, self.url, body, headers, self.timeout)
        except HttpFailure as exc:
            return failed(msg, self.name, f"issuer webhook: {exc}; check url and the network")
        if 200 <= status < 300:
            return sent(msg, self.name, provider_ref=delivery_id)
        hint = (
            "; check the shared secret (secret_env) on both sides" if status in (401, 403) else ""
        )
        error = f"issuer webhook {self.url} answered HTTP {status}: {snippet(answer)!r}{hint}"
        return failed(msg, self.name, error, provider_ref=delivery_id)
