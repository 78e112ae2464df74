"""SMS and voice through a 2FA PIN API: the provider generates, delivers and verifies the PIN.

This is the provider-generates-the-PIN mode. The ACS never sees the code: ``send`` returns the
provider's ``pinId`` as ``provider_ref`` with ``provider_verifies=True``, the outbox records the
delivery with ``code: null``, and the cardholder's answer is checked with ``verify``. The
message text comes from the provider's message template (``messageId``), not from
``OtpMessage.text``. Wire format: /work/shared/reference/2fa-pin-api.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
import msgspec

from acs.delivery.base import (
    PROVIDER_ERROR,
    DeliveryReceipt,
    OtpMessage,
    VerifyResult,
    failed,
    mask_phone,
    not_provider_verified,
    phone_digits,
    sent,
)
from acs.outbound import HttpFailure, post, snippet

# What to fix, by HTTP status; the provider's own messageId/text comes first.
_HINTS = {
    400: "check application_id, message_id and the phone number",
    401: "check the API key in the environment variable named by api_key_env",
    403: "the API key may not use this application",
    404: "unknown application, message template or pinId",
    429: "the provider is rate limiting; resend later",
}


class PinApiAdapter:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        application_id: str,
        message_id: str,
        session: aiohttp.ClientSession,
        voice: bool = False,
        timeout: float = 5.0,
        *,
        placeholders: Mapping[str, str] | None = None,
        sender: str | None = None,
    ) -> None:
        self.name = "pin-api"
        self.base_url = base_url.rstrip("/")
        self.application_id = application_id
        self.message_id = message_id
        self.session = session
        self.voice = voice
        self.timeout = timeout
        self.placeholders = dict(placeholders or {})
        self.sender = sender
        self._headers = {"Authorization": f"App {api_key}"}

    async def send(self, msg: OtpMessage) -> DeliveryReceipt:
        path = "/2fa/2/pin/voice" if self.voice else "/2fa/2/pin?ncNeeded=false"
        body: dict[str, Any] = {
            "applicationId": self.application_id,
            "messageId": self.message_id,
            "to": phone_digits(msg.destination),
        }
        if self.sender:
            body["from"] = self.sender
        if self.placeholders:
            body["placeholders"] = self.placeholders
        return await self._deliver(msg, path, body)

    async def resend(self, msg: OtpMessage, previous: DeliveryReceipt) -> DeliveryReceipt:
        if previous.provider_ref is None or previous.adapter != self.name:
            return await self.send(msg)  # nothing to resend at the provider: start again
        path = f"/2fa/2/pin/{quote(previous.provider_ref, safe='')}/resend"
        body: dict[str, Any] = {"placeholders": self.placeholders} if self.placeholders else {}
        return await self._deliver(msg, path + ("/voice" if self.voice else ""), body)

    async def verify(self, receipt: DeliveryReceipt, pin: str) -> VerifyResult:
        if not receipt.provider_verifies or receipt.provider_ref is None:
            return not_provider_verified(self.name)
        path = f"/2fa/2/pin/{quote(receipt.provider_ref, safe='')}/verify"
        data, error = await self._call(path, {"pin": pin})
        if data is None:
            return VerifyResult(False, None, f"{PROVIDER_ERROR}: {error}")
        verified = data.get("verified") is True
        remaining = data.get("attemptsRemaining")
        pin_error = data.get("pinError")
        return VerifyResult(
            verified,
            remaining if isinstance(remaining, int) else None,
            None if verified else str(pin_error or "NOT_VERIFIED"),
        )

    async def _deliver(self, msg: OtpMessage, path: str, body: dict[str, Any]) -> DeliveryReceipt:
        data, error = await self._call(path, body)
        if data is None:
            # a provider may echo the number in its error text: keep it masked
            digits = phone_digits(msg.destination)
            if digits:
                error = error.replace(digits, mask_phone(digits))
            return failed(msg, self.name, error)
        pin_id = data.get("pinId")
        if not isinstance(pin_id, str) or not pin_id:
            return failed(msg, self.name, "PIN API answer has no pinId; is base_url the PIN API?")
        status_field = "callStatus" if self.voice else "smsStatus"
        status = str(data.get(status_field) or "")
        if status.endswith("NOT_SENT") or status.startswith("REJECTED"):
            return failed(
                msg,
                self.name,
                f"PIN API did not send the PIN: {status_field}={status}",
                provider_ref=pin_id,
                provider_verifies=True,
            )
        return sent(msg, self.name, provider_ref=pin_id, provider_verifies=True)

    async def _call(self, path: str, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """(answer, "") on a 2xx JSON object, else (None, what went wrong and what to fix)."""
        url = self.base_url + path
        try:
            status, raw = await post(
                self.session, url, msgspec.json.encode(body), self._headers, self.timeout
            )
        except HttpFailure as exc:
            return None, f"PIN API: {exc}; check base_url and the network"
        data = _json_object(raw)
        if 200 <= status < 300 and data is not None:
            return data, ""
        if 200 <= status < 300:
            return None, f"PIN API answered HTTP {status} without a JSON object: {snippet(raw)!r}"
        return None, _describe_error(status, data, raw)


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    return data if isinstance(data, dict) else None


def _describe_error(status: int, data: dict[str, Any] | None, raw: bytes) -> str:
    request_error = (data or {}).get("requestError")
    service = request_error.get("serviceException") if isinstance(request_error, dict) else None
    if isinstance(service, dict) and (service.get("messageId") or service.get("text")):
        what = ": ".join(str(service[k]) for k in ("messageId", "text") if service.get(k))
    else:
        what = snippet(raw) or "empty body"
    hint = _HINTS.get(status) or ("provider error; try again later" if status >= 500 else "")
    return f"PIN API answered HTTP {status} ({what})" + (f"; {hint}" if hint else "")
