"""The delivery vocabulary: a message to deliver, the receipt for it, and the adapter contract.

Adapters never raise for delivery failures (network errors, provider 4xx/5xx, timeouts): they
return a receipt with ``status="failed"`` and an ``error`` that says what to fix, so a failed
delivery is recorded like any other and the challenge can offer a resend.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

SENT = "sent"
FAILED = "failed"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    VOICE = "voice"
    PUSH = "push"  # a notification to the issuer's banking app (out-of-band approval)


@dataclass(frozen=True, slots=True)
class OtpMessage:
    acs_trans_id: str
    channel: Channel
    destination: str  # clear: "+447700900123" or "cardholder@example.com"; never log it
    code: str | None  # None when the provider generates (and verifies) the PIN
    text: str  # the body the ACS composed; for voice, what the call reads out
    pan_hash: str
    pan_masked: str
    locale: str = "en"
    link: str | None = None  # a push's link into the banking app (the simulated inbox)


@dataclass(slots=True)
class DeliveryReceipt:
    channel: Channel
    adapter: str
    destination_masked: str
    status: str  # SENT | FAILED
    provider_ref: str | None = None  # e.g. the PIN API's pinId, an SMTP Message-ID
    provider_verifies: bool = False  # the provider generated the PIN and must verify it
    error: str | None = None  # human-readable: what went wrong and what to fix
    sent_at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.status == SENT


@dataclass(slots=True)
class VerifyResult:
    verified: bool
    attempts_remaining: int | None = None
    error: str | None = None  # WRONG_PIN, TTL_EXPIRED, NO_MORE_PIN_ATTEMPTS, ...


NOT_PROVIDER_VERIFIED = "NOT_PROVIDER_VERIFIED"
PROVIDER_ERROR = "PROVIDER_ERROR"


class Adapter(Protocol):
    @property
    def name(self) -> str: ...

    async def send(self, msg: OtpMessage) -> DeliveryReceipt: ...

    async def resend(self, msg: OtpMessage, previous: DeliveryReceipt) -> DeliveryReceipt: ...

    async def verify(self, receipt: DeliveryReceipt, pin: str) -> VerifyResult:
        """Only meaningful when ``receipt.provider_verifies``; otherwise the ACS checks its code."""
        ...


def sent(
    msg: OtpMessage,
    adapter: str,
    *,
    provider_ref: str | None = None,
    provider_verifies: bool = False,
) -> DeliveryReceipt:
    return DeliveryReceipt(
        msg.channel,
        adapter,
        mask_destination(msg.destination),
        SENT,
        provider_ref=provider_ref,
        provider_verifies=provider_verifies,
    )


def failed(
    msg: OtpMessage,
    adapter: str,
    error: str,
    *,
    provider_ref: str | None = None,
    provider_verifies: bool = False,
) -> DeliveryReceipt:
    return DeliveryReceipt(
        msg.channel,
        adapter,
        mask_destination(msg.destination),
        FAILED,
        provider_ref=provider_ref,
        provider_verifies=provider_verifies,
        error=error,
    )


def not_provider_verified(adapter: str) -> VerifyResult:
    return VerifyResult(
        False, None, f"{NOT_PROVIDER_VERIFIED}: {adapter} does not verify codes; the ACS checks it"
    )


# -- masking ----------------------------------------------------------------------------------

# ITU-T E.164 country codes: 1 and 7 are one digit, these are two, every other is three.
_CC2 = frozenset({20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49})
_CC2 |= {51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86}
_CC2 |= {90, 91, 92, 93, 94, 95, 98}


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def mask_phone(phone: str) -> str:
    """Country code and the last 2-3 digits: "+447700900123" -> "+44*******123"."""
    digits = phone_digits(phone)
    if len(digits) < 8:  # too short to be international: show only the last 2
        return "*" * max(len(digits) - 2, 0) + digits[-2:]
    cc = digits[:1] if digits[0] in "17" else digits[:2] if int(digits[:2]) in _CC2 else digits[:3]
    keep = 3 if len(digits) >= 10 else 2
    return f"+{cc}{'*' * (len(digits) - len(cc) - keep)}{digits[-keep:]}"


def mask_email(email: str) -> str:
    """First letter of the mailbox and the domain: "c***@example.com"."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_destination(destination: str) -> str:
    return mask_email(destination) if "@" in destination else mask_phone(destination)


# -- locales ----------------------------------------------------------------------------------

LANGUAGES = ("en", "de")  # every localised text (voice, email subject) exists in these


def language(locale: str) -> str:
    """Map "de-AT" or "de_DE" to "de"; a language without texts falls back to English."""
    lang = locale.replace("_", "-").split("-", 1)[0].lower()
    return lang if lang in LANGUAGES else "en"
