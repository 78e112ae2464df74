"""Mastercard SPA2-style AAV: indicators, layout, round trip, tamper detection."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from acs.crypto.aav import (
    AAV_LENGTH,
    ALLOWED_INDICATORS,
    LAYOUT_VERSION,
    AavIndicator,
    aav_indicator,
    build_aav,
    indicator_for,
    verify_aav,
)
from acs.protocol.codes import AuthenticationMethod, TransStatus

KEY = bytes(range(32))
BASE: dict[str, Any] = {
    "key_indicator": "01",
    "atn": "9602231034727993",
    "pan": "5123456789012346",
    "status": TransStatus.AUTHENTICATED,
    "method": AuthenticationMethod.SMS_OTP,
    "ds_trans_id": "f25084f0-5b16-4c0a-ae5d-b24808a95e4b",
    "merchant_name": "Demo Merchant",
    "purchase_amount": "12345",
    "purchase_currency": "978",
}
METHODS: list[AuthenticationMethod | None] = [None, *AuthenticationMethod]
STATUSES_WITH_AAV = [
    TransStatus.AUTHENTICATED,
    TransStatus.ATTEMPTED,
    TransStatus.NOT_AUTHENTICATED,
    TransStatus.UNABLE,
    TransStatus.REJECTED,
]


@pytest.mark.parametrize("status", STATUSES_WITH_AAV)
@pytest.mark.parametrize("method", METHODS)
def test_every_outcome_has_an_allowed_indicator(
    status: TransStatus, method: AuthenticationMethod | None
) -> None:
    value = build_aav(KEY, **(BASE | {"status": status, "method": method}))
    encoded = base64.b64encode(value).decode()
    assert len(value) == AAV_LENGTH
    assert len(encoded) == 28
    assert encoded[:2] in ALLOWED_INDICATORS[status]
    assert aav_indicator(value) == aav_indicator(encoded) == indicator_for(status, method)


def test_indicator_choices() -> None:
    y, a = TransStatus.AUTHENTICATED, TransStatus.ATTEMPTED
    assert indicator_for(y, AuthenticationMethod.SMS_OTP) == "kA"
    assert indicator_for(y, None) == "kB"
    assert indicator_for(y, AuthenticationMethod.OOB_LOGIN) == "kC"
    assert indicator_for(a, None) == "kE"
    assert indicator_for(a, AuthenticationMethod.SMS_OTP) == "kF"
    assert indicator_for(TransStatus.UNABLE, None) == "kN"
    assert indicator_for(TransStatus.REJECTED, None) == "kX"


def test_every_indicator_is_reachable_and_allowed() -> None:
    produced = {indicator_for(s, m) for s in STATUSES_WITH_AAV for m in METHODS}
    assert produced == set(AavIndicator)
    assert produced <= set().union(*ALLOWED_INDICATORS.values())


@pytest.mark.parametrize(
    "status",
    [TransStatus.CHALLENGE, TransStatus.DECOUPLED, TransStatus.INFORMATIONAL, TransStatus.SPC],
)
def test_interim_statuses_have_no_aav(status: TransStatus) -> None:
    with pytest.raises(ValueError, match="no AAV"):
        build_aav(KEY, **(BASE | {"status": status}))


def test_layout() -> None:
    value = build_aav(KEY, **(BASE | {"key_indicator": "02"}))
    assert value[0] == 0x90
    assert value[1] == (0x0 << 4) | LAYOUT_VERSION  # kA -> nibble 0
    assert value[2] == 0x02
    assert value[3:7].hex() == "34727993"  # last 8 ATN digits, BCD
    kx = build_aav(KEY, **(BASE | {"status": TransStatus.REJECTED}))
    assert kx[0] == 0x91  # kQ..kX need the low bits of byte 0


def test_round_trip() -> None:
    value = build_aav(KEY, **BASE)
    assert verify_aav(KEY, value, **BASE)
    assert build_aav(KEY, **BASE) == value  # deterministic


def test_ds_trans_id_case_does_not_matter() -> None:
    value = build_aav(KEY, **BASE)
    assert verify_aav(KEY, value, **(BASE | {"ds_trans_id": BASE["ds_trans_id"].upper()}))


@pytest.mark.parametrize(
    ("field", "replacement"),
    [
        ("key_indicator", "02"),
        ("atn", "9602231034727994"),
        ("pan", "5123456789012347"),
        ("status", TransStatus.ATTEMPTED),
        ("method", AuthenticationMethod.STATIC_PASSCODE),  # same indicator kA, different MAC
        ("method", None),
        ("ds_trans_id", "f25084f0-5b16-4c0a-ae5d-b24808a95e4c"),
        ("merchant_name", "Demo Merchant."),
        ("purchase_amount", "12346"),
        ("purchase_currency", "840"),
    ],
)
def test_tampered_input_fails(field: str, replacement: object) -> None:
    value = build_aav(KEY, **BASE)
    assert not verify_aav(KEY, value, **(BASE | {field: replacement}))


def test_length_prefixes_keep_fields_apart() -> None:
    # Moving a character between adjacent variable fields must change the MAC.
    a = build_aav(KEY, **(BASE | {"purchase_amount": "1234", "purchase_currency": "5978"}))
    b = build_aav(KEY, **BASE)
    assert a[7:] != b[7:]


def test_wrong_key_fails() -> None:
    value = build_aav(KEY, **BASE)
    assert not verify_aav(bytes(32), value, **BASE)


@pytest.mark.parametrize("position", range(AAV_LENGTH))
def test_flipped_byte_fails(position: int) -> None:
    value = bytearray(build_aav(KEY, **BASE))
    value[position] ^= 0x01
    assert not verify_aav(KEY, bytes(value), **BASE)


def test_truncated_value_fails() -> None:
    value = build_aav(KEY, **BASE)
    assert not verify_aav(KEY, value[:-1], **BASE)
