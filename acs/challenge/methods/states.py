"""Per-method challenge state, kept in the session as a tagged union (``Session.state``)."""

from __future__ import annotations

import msgspec


class OtpState(msgspec.Struct, tag="otp"):
    digest: str | None  # HMAC of the code; None when the provider generated and verifies it
    expires_at: float
    channel: str
    destination_masked: str = ""
    adapter: str = "outbox"
    provider_ref: str | None = None
    delivery_status: str = "sent"
    delivery_error: str | None = None


MethodState = OtpState  # a union once a second method keeps state
