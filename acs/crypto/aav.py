"""Mastercard AAV in the style of SPA2 (Identity Check, 3DS 2.x) - our own layout.

The real SPA2 layout is not public. What is public (emv3ds.md section 7.2): it is 20 bytes,
HMAC-SHA-256 based, and its first two base64 characters tell the outcome - Y: kA kB kC kD kO
kP kR kS, A: kE kF kQ, not attempted: kN kX. This module keeps those properties and documents
everything else as our choice, so values look right to a merchant but only this simulator can
verify them.

Layout (20 bytes):

    0-1    top 12 bits: the two indicator characters as base64 digits ("k" = 36 makes byte 0
           0x90 for kA..kP and 0x91 for kQ..kX); low nibble of byte 1: layout version (1)
    2      key id, BCD (the range's key indicator)
    3-6    sequence: last 8 digits of the ATN, BCD
    7-19   HMAC-SHA-256(aav_key, header || fields), truncated to 13 bytes

    header = bytes 0-6 above (so indicator, version, key id and sequence are authenticated)
    fields = lv(PAN) || outcome || method || SHA-256(merchant name)[:4]
             || lv(purchase amount) || lv(purchase currency) || lv(dsTransID, lower-cased)
    lv(x)   = 2-byte big-endian length || UTF-8 bytes of x
    outcome = transStatus, 1 ASCII char; method = authenticationMethod, 2 ASCII digits, "00"
              for frictionless

Indicator choice (ours): see ``indicator_for``.
"""

from __future__ import annotations

import base64
import hmac
import string
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache

from acs.crypto.hmac_sha256 import KeyedMac, sha256
from acs.protocol.codes import AuthenticationMethod, TransStatus

AAV_LENGTH = 20
LAYOUT_VERSION = 1
MAC_LENGTH = 13
_B64_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
_NO_METHOD = "00"


class AavIndicator(StrEnum):
    # Y - authenticated
    CHALLENGE_CARDHOLDER_ENTERED = "kA"  # passcode, OTP, KBA
    FRICTIONLESS = "kB"  # risk-based, no challenge
    CHALLENGE_OOB = "kC"  # out-of-band app, push, OOB biometrics
    DECOUPLED = "kD"
    FIDO = "kO"  # WebAuthn, SPC
    BEHAVIOURAL_BIOMETRICS = "kP"
    ELECTRONIC_ID = "kR"
    OTHER = "kS"
    # A - attempts
    ATTEMPTS_NO_CHALLENGE = "kE"  # ACS standing in as attempts server
    ATTEMPTS_CHALLENGE = "kF"  # a challenge was offered but not completed
    ATTEMPTS_DECOUPLED = "kQ"
    # not attempted (never issued by authvalue.generate, which only serves Y and A)
    NOT_AUTHENTICATED = "kN"  # N, U
    REJECTED = "kX"  # R


ALLOWED_INDICATORS: dict[TransStatus, frozenset[str]] = {
    TransStatus.AUTHENTICATED: frozenset({"kA", "kB", "kC", "kD", "kO", "kP", "kR", "kS"}),
    TransStatus.ATTEMPTED: frozenset({"kE", "kF", "kQ"}),
    TransStatus.NOT_AUTHENTICATED: frozenset({"kN", "kX"}),
    TransStatus.UNABLE: frozenset({"kN", "kX"}),
    TransStatus.REJECTED: frozenset({"kN", "kX"}),
}

_M = AuthenticationMethod
_Y_BY_METHOD: dict[AuthenticationMethod, AavIndicator] = {
    _M.STATIC_PASSCODE: AavIndicator.CHALLENGE_CARDHOLDER_ENTERED,
    _M.SMS_OTP: AavIndicator.CHALLENGE_CARDHOLDER_ENTERED,
    _M.KEY_FOB_OTP: AavIndicator.CHALLENGE_CARDHOLDER_ENTERED,
    _M.APP_OTP: AavIndicator.CHALLENGE_CARDHOLDER_ENTERED,
    _M.OTP_OTHER: AavIndicator.CHALLENGE_CARDHOLDER_ENTERED,
    _M.KBA: AavIndicator.CHALLENGE_CARDHOLDER_ENTERED,
    _M.OOB_BIOMETRICS: AavIndicator.CHALLENGE_OOB,
    _M.OOB_LOGIN: AavIndicator.CHALLENGE_OOB,
    _M.OOB_OTHER: AavIndicator.CHALLENGE_OOB,
    _M.PUSH_CONFIRMATION: AavIndicator.CHALLENGE_OOB,
    _M.DECOUPLED: AavIndicator.DECOUPLED,
    _M.WEBAUTHN: AavIndicator.FIDO,
    _M.SPC: AavIndicator.FIDO,
    _M.BEHAVIOURAL_BIOMETRICS: AavIndicator.BEHAVIOURAL_BIOMETRICS,
    _M.ELECTRONIC_ID: AavIndicator.ELECTRONIC_ID,
    _M.OTHER: AavIndicator.OTHER,
}


def indicator_for(status: TransStatus, method: AuthenticationMethod | None) -> AavIndicator:
    """Leading characters for an outcome; ``method`` None means no challenge took place."""
    if status is TransStatus.AUTHENTICATED:
        return AavIndicator.FRICTIONLESS if method is None else _Y_BY_METHOD[method]
    if status is TransStatus.ATTEMPTED:
        if method is None:
            return AavIndicator.ATTEMPTS_NO_CHALLENGE
        if method is AuthenticationMethod.DECOUPLED:
            return AavIndicator.ATTEMPTS_DECOUPLED
        return AavIndicator.ATTEMPTS_CHALLENGE
    if status in (TransStatus.NOT_AUTHENTICATED, TransStatus.UNABLE):
        return AavIndicator.NOT_AUTHENTICATED
    if status is TransStatus.REJECTED:
        return AavIndicator.REJECTED
    raise ValueError(f"transStatus {status.value} has no AAV")


def aav_indicator(value: bytes | str) -> str:
    """The two leading base64 characters of an AAV given as raw bytes or base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value[:3]).decode("ascii")[:2]
    return value[:2]


def build_aav(
    key: bytes,
    *,
    key_indicator: str,
    atn: str,
    pan: str,
    status: TransStatus,
    method: AuthenticationMethod | None,
    ds_trans_id: str,
    merchant_name: str = "",
    purchase_amount: str = "",
    purchase_currency: str = "",
) -> bytes:
    """The 20-byte AAV; ``ValueError`` for malformed key id/ATN or a status without an AAV."""
    sign = aav_signer(bytes(key), key_indicator, status, method)
    return sign(atn, pan, ds_trans_id, merchant_name, purchase_amount, purchase_currency)


AavSign = Callable[[str, str, str, str, str, str], bytes]


@lru_cache(maxsize=256)
def aav_signer(
    key: bytes, key_indicator: str, status: TransStatus, method: AuthenticationMethod | None
) -> AavSign:
    """``sign(atn, pan, ds_trans_id, merchant_name, purchase_amount, purchase_currency)`` for
    one key and outcome: the indicator, key id and outcome bytes are checked and laid out once
    (bounded: card ranges x outcomes)."""
    if len(key_indicator) != 2 or not (key_indicator.isascii() and key_indicator.isdigit()):
        raise ValueError("key indicator must be 2 decimal digits")
    c1, c2 = (_B64_ALPHABET.index(c) for c in indicator_for(status, method).value)
    bits12 = c1 << 6 | c2
    key_id_bcd = int(key_indicator, 16)  # "42" -> 0x42
    prefix = bytes([bits12 >> 4, (bits12 & 0x0F) << 4 | LAYOUT_VERSION, key_id_bcd])
    outcome = (status.value + (method.value if method is not None else _NO_METHOD)).encode()
    mac = KeyedMac(key)

    def sign(
        atn: str,
        pan: str,
        ds_trans_id: str,
        merchant_name: str,
        purchase_amount: str,
        purchase_currency: str,
    ) -> bytes:
        header = prefix + bytes.fromhex(sequence_for(atn))
        fields = (
            _lv(pan)
            + outcome
            + sha256(merchant_name.encode("utf-8")).digest()[:4]
            + _lv(purchase_amount)
            + _lv(purchase_currency)
            + _lv(ds_trans_id.lower())  # UUIDs compare case-insensitively
        )
        value = header + mac.digest(header + fields)[:MAC_LENGTH]
        assert len(value) == AAV_LENGTH
        return value

    return sign


def verify_aav(
    key: bytes,
    value: bytes,
    *,
    key_indicator: str,
    atn: str,
    pan: str,
    status: TransStatus,
    method: AuthenticationMethod | None,
    ds_trans_id: str,
    merchant_name: str = "",
    purchase_amount: str = "",
    purchase_currency: str = "",
) -> bool:
    """Recompute from the inputs and compare all 20 bytes in constant time."""
    expected = build_aav(
        key,
        key_indicator=key_indicator,
        atn=atn,
        pan=pan,
        status=status,
        method=method,
        ds_trans_id=ds_trans_id,
        merchant_name=merchant_name,
        purchase_amount=purchase_amount,
        purchase_currency=purchase_currency,
    )
    return hmac.compare_digest(expected, value)


def sequence_for(atn: str) -> str:
    """The ATN-derived sequence carried in bytes 3-6: the ATN's last 8 digits."""
    if len(atn) != 16 or not (atn.isascii() and atn.isdigit()):
        raise ValueError("ATN must be 16 decimal digits")
    return atn[-8:]


def _lv(text: str) -> bytes:
    raw = text.encode("utf-8")
    return len(raw).to_bytes(2, "big") + raw
