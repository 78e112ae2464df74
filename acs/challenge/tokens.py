"""The signed form token that carries challenge state between pages.

The challenge runs in a cross-site iframe, where third-party cookies are unreliable or blocked,
so each page's form carries ``<acsTransID>.<page nonce>.<expiry>.<signature>`` instead. The
signature (HMAC-SHA-256 under a key derived from the data key) is checked in constant time; the
nonce must be the one the session last issued, so an old page cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FormToken:
    acs_trans_id: str
    nonce: str
    expires_at: int


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def sign(key: bytes, token: FormToken) -> str:
    body = f"{token.acs_trans_id}.{token.nonce}.{token.expires_at}"
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
    return f"{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def verify(key: bytes, text: str, now: float | None = None) -> FormToken | None:
    """The token if the signature holds and it has not expired, else None."""
    parts = text.split(".")
    if len(parts) != 4 or len(text) > 200:
        return None
    acs_trans_id, nonce, expires, _ = parts
    if not expires.isdigit():
        return None
    token = FormToken(acs_trans_id, nonce, int(expires))
    if not hmac.compare_digest(sign(key, token).encode(), text.encode()):
        return None
    if token.expires_at < (time.time() if now is None else now):
        return None
    return token
