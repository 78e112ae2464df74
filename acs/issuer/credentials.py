"""Enrolling what a cardholder knows or holds: the six-digit passcode (weak ones refused, stored
as a scrypt hash only) and the authenticator app (a TOTP secret, stored encrypted, handed out once
as a provisioning URI and a QR code)."""

from __future__ import annotations

import io
import itertools

import pyotp
import segno

_COMMON = frozenset({"123123", "121212", "112233", "123321", "654321", "696969", "102030"})
TOTP_ISSUER = "acs simulator"


def weak_passcode(code: str) -> str | None:
    """Why a six-digit passcode is too easy to guess, or None: one repeated digit, a straight run
    up or down (wrapping through 0), or one of the codes people pick most."""
    if len(set(code)) == 1:
        return f"{code} repeats one digit; choose six digits that do not follow a pattern"
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(code)}
    if steps in ({1}, {9}):
        return f"{code} is a straight sequence; choose six digits that do not follow a pattern"
    if code in _COMMON:
        return f"{code} is among the most common passcodes; choose another"
    return None


def new_totp_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=TOTP_ISSUER)


def qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False)
    return out.getvalue().decode("utf-8")


def qr_png(uri: str) -> bytes:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="png", scale=6)
    return out.getvalue()
