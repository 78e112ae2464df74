"""Test doubles for the delivery suite: a 2FA PIN API provider speaking the real wire format."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from acs.delivery.base import Channel, OtpMessage

API_KEY = "test-pin-api-key"
APPLICATION_ID = "0933F3BC087D2A617AC6DCB2EF5B8A61"
MESSAGE_ID = "16A8B5FE2BCD6CA716A2D780CB3F3390"
PHONE = "+447700900123"
EMAIL = "cardholder@example.com"


def message(channel: Channel = Channel.SMS, **overrides: Any) -> OtpMessage:
    fields: dict[str, Any] = {
        "acs_trans_id": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "channel": channel,
        "destination": EMAIL if channel is Channel.EMAIL else PHONE,
        "code": "123456",
        "text": "Demo Bank: 123456 is your code for EUR 49.99 at Example Groceries. "
        "Never share it.",
        "pan_hash": "f" * 64,
        "pan_masked": "401600******0012",
    }
    fields.update(overrides)
    return OtpMessage(**fields)


def _error(status: int, message_id: str, text: str) -> web.Response:
    body = {"requestError": {"serviceException": {"messageId": message_id, "text": text}}}
    return web.json_response(body, status=status)


@dataclass
class FakePinProvider:
    """Generates PINs, keeps them, verifies them: what a real provider does, in memory."""

    pin: str = "8177"
    base_url: str = ""  # set once the test server runs
    max_attempts: int = 3
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    fail_with: int | None = None  # answer every call with this HTTP status
    hang: asyncio.Event | None = None  # never answer until set (timeouts)
    blocked: set[str] = field(default_factory=set)  # numbers refused with a 400
    attempts: dict[str, int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2fa/2/pin", self.send)
        app.router.add_post("/2fa/2/pin/voice", self.send)
        app.router.add_post("/2fa/2/pin/{pin_id}/resend", self.resend)
        app.router.add_post("/2fa/2/pin/{pin_id}/resend/voice", self.resend)
        app.router.add_post("/2fa/2/pin/{pin_id}/verify", self.verify)
        return app

    async def _check(self, request: web.Request) -> tuple[dict[str, Any], web.Response | None]:
        body = await request.json() if request.can_read_body else {}
        self.requests.append((request.method, request.path_qs, body))
        if self.hang is not None:
            await self.hang.wait()
        if request.headers.get("Authorization") != f"App {API_KEY}":
            return body, _error(401, "UNAUTHORIZED", "Invalid login details")
        if self.fail_with is not None:
            return body, web.Response(status=self.fail_with, text="upstream exploded")
        return body, None

    async def send(self, request: web.Request) -> web.Response:
        body, problem = await self._check(request)
        if problem:
            return problem
        missing = [k for k in ("applicationId", "messageId", "to") if k not in body]
        if missing:
            return _error(400, "BAD_REQUEST", f"missing {', '.join(missing)}")
        if body["applicationId"] != APPLICATION_ID or body["messageId"] != MESSAGE_ID:
            return _error(404, "NOT_FOUND", "Application or message not found")
        if not body["to"].isdigit() or body["to"] in self.blocked:
            return _error(400, "BAD_REQUEST", f"Invalid destination address {body['to']}")
        pin_id = f"PIN{next(self._ids):04d}"
        self.attempts[pin_id] = self.max_attempts
        status = "callStatus" if request.path.endswith("/voice") else "smsStatus"
        return web.json_response(
            {
                "pinId": pin_id,
                "to": body["to"],
                "ncStatus": "NC_NOT_CONFIGURED",
                status: "MESSAGE_SENT",
            }
        )

    async def resend(self, request: web.Request) -> web.Response:
        _, problem = await self._check(request)
        if problem:
            return problem
        pin_id = request.match_info["pin_id"]
        if pin_id not in self.attempts:
            return _error(404, "NOT_FOUND", "Pin not found")
        status = "callStatus" if request.path.endswith("/voice") else "smsStatus"
        return web.json_response({"pinId": pin_id, "to": "447700900123", status: "MESSAGE_SENT"})

    async def verify(self, request: web.Request) -> web.Response:
        body, problem = await self._check(request)
        if problem:
            return problem
        pin_id = request.match_info["pin_id"]
        if pin_id not in self.attempts:
            return _error(404, "NOT_FOUND", "Pin not found")
        answer: dict[str, Any] = {"pinId": pin_id, "msisdn": "447700900123"}
        if self.attempts[pin_id] <= 0:
            return web.json_response(
                answer
                | {"verified": False, "attemptsRemaining": 0, "pinError": "NO_MORE_PIN_ATTEMPTS"}
            )
        if body.get("pin") == self.pin:
            return web.json_response(
                answer | {"verified": True, "attemptsRemaining": self.attempts[pin_id]}
            )
        self.attempts[pin_id] -= 1
        return web.json_response(
            answer
            | {
                "verified": False,
                "attemptsRemaining": self.attempts[pin_id],
                "pinError": "WRONG_PIN",
            }
        )
