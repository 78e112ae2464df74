"""POST each message to the issuer, signed, so the issuer can deliver it or keep its own log.

The body is JSON, signed as ``acs.crypto.signature`` describes. The destination is sent in clear
(the issuer's own data, and it needs it to deliver); the code and the text (which contains it)
only with ``include_code``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

from acs.crypto.signature import SIGNATURE_HEADER, sign
from acs.delivery.base import (
    DeliveryReceipt,
    OtpMessage,
    VerifyResult,
    failed,
    not_provider_verified,
    sent,
)
from acs.outbound import HttpFailure, post, snippet

DELIVERY_ID_HEADER = "X-ACS-Delivery-ID"  # unique per POST: lets the issuer drop duplicates


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
