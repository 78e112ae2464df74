"""Calling the issuer's own systems (a card range's ``issuer:``): whether to challenge
(``check-authentication-method``), the passcode's validation (``validate-passcode``), and one-time
codes the issuer sends and checks itself (``otp/send``, ``otp/verify``, ``otp/cancel``).

Every call is a signed JSON POST (``acs.crypto.signature``) with a deadline (2 s by default, as
issuer platforms use) and a retry policy; it never raises: a timeout, a 5xx, garbage JSON or an
answer of the wrong shape is a ``Call`` with ``ok`` False and an error that says which, and the
caller falls back as the card range says. Every call is recorded (``Call.record``).
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import aiohttp
import msgspec
import structlog

from acs.crypto.signature import SIGNATURE_HEADER, sign
from acs.issuer.models import ChallengeMethod, IssuerIntegration
from acs.outbound import HttpFailure, post, snippet

log = structlog.get_logger("acs.issuer")

T = TypeVar("T")
_encode = msgspec.json.Encoder().encode


# -- what the issuer answers ------------------------------------------------------------------


class MethodAnswer(msgspec.Struct):
    decision: Literal["frictionless", "challenge", "decline"]
    methods: list[ChallengeMethod] = msgspec.field(default_factory=list)
    reason: str = ""


class Valid(msgspec.Struct):
    valid: bool


class Sent(msgspec.Struct):
    reference: str
    status: str = "sent"


class Verdict(msgspec.Struct):
    """The issuer's biometric check: at once, or ``pending`` and later at the callback URL."""

    verdict: Literal["approved", "denied", "pending"]


class Cancelled(msgspec.Struct):
    cancelled: bool = True


def amount(minor: str | None, currency: str | None, exponent: str | None) -> dict[str, Any] | None:
    """A purchase amount as the callbacks carry it; None without one (a non-payment)."""
    if not minor or not currency:
        return None
    return {"minor": minor, "currency": currency, "exponent": int(exponent) if exponent else 2}


@dataclass(slots=True)
class Call:
    """One callback and its outcome: ``answer`` when ``ok``, else ``error``."""

    path: str
    ok: bool
    answer: Any = None
    error: str | None = None
    attempts: int = 0
    ms: float = 0.0

    def record(self) -> dict[str, Any]:
        """For the transaction record and the challenge's steps (no secrets: the issuer's
        answers hold none, and the passcode is in the request only)."""
        return {
            "call": self.path,
            "ok": self.ok,
            "answer": msgspec.to_builtins(self.answer) if self.answer is not None else None,
            "error": self.error,
            "attempts": self.attempts,
            "ms": self.ms,
        }


class IssuerClient:
    """The ACS's side of the issuer callbacks. ``own_origin`` resolves a card range's ``url``
    given as a path (``/issuer-sim``): the reference issuer service mounted in this process.
    ``own_tls`` trusts this process's own TLS certificate alone for those calls
    (``acs.tls.own_context``): they go to the bind address, which a certificate made for the
    public host name does not name."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        own_origin: str,
        secret: str,
        own_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.http = http
        self.own_origin = own_origin.rstrip("/")
        self.secret = secret
        self.own_tls = own_tls

    def base(self, integration: IssuerIntegration) -> str:
        url = integration.url.rstrip("/")
        return self.own_origin + url if url.startswith("/") else url

    async def call(
        self, integration: IssuerIntegration, path: str, payload: dict[str, Any], kind: type[T]
    ) -> Call:
        """POST ``payload`` to ``path``, retried on a transport failure or a 5xx (never on a 4xx:
        the issuer refused it), each attempt within the deadline."""
        url = f"{self.base(integration)}/{path}"
        body = _encode(payload)
        pin = self.own_tls if self.own_tls and url.startswith(self.own_origin + "/") else True
        started = time.perf_counter()
        error = "not called"
        attempts = 0
        for attempts in range(1, integration.retries + 2):
            headers = {SIGNATURE_HEADER: sign(self.secret, body, int(time.time()))}
            try:
                status, raw = await post(
                    self.http, url, body, headers, integration.timeout_seconds, ssl=pin
                )
            except HttpFailure as exc:
                error = str(exc)
                continue
            if status >= 500:
                error = f"HTTP {status} from {url}: {snippet(raw)}"
                continue
            if status != 200:
                error = f"HTTP {status} from {url}: {snippet(raw)}"
                break
            try:
                answer = msgspec.json.decode(raw, type=kind)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                error = f"unusable answer from {url}: {exc}; body {snippet(raw)}"
                break
            return self._done(Call(path, True, answer, None, attempts, _ms(started)))
        return self._done(Call(path, False, None, error, attempts, _ms(started)))

    @staticmethod
    def _done(call: Call) -> Call:
        log.info(
            "issuer.call",
            call=call.path,
            ok=call.ok,
            error=call.error,
            attempts=call.attempts,
            ms=call.ms,
        )
        return call


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
