"""Amex AEVV stand-in: Visa layout and algorithm under Amex keys, Amex layout byte."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from acs.crypto.aevv import AEVV_LAYOUT_BYTE, build_aevv, verify_aevv
from acs.crypto.cavv import CAVV_LENGTH, build_cavv, verify_cavv

KEY_A = bytes.fromhex("89ABCDEF01234567")
KEY_B = bytes.fromhex("76543210FEDCBA98")
ARGS: dict[str, Any] = {
    "pan": "371234567890123",
    "atn": "1234567890123456",
    "results_code": "0",
    "second_factor": "02",
    "key_indicator": "01",
}


def test_round_trip() -> None:
    value = build_aevv(KEY_A, KEY_B, **ARGS)
    assert len(value) == CAVV_LENGTH
    assert len(base64.b64encode(value)) == 28
    assert verify_aevv(KEY_A, KEY_B, value, **ARGS)


def test_layout_byte_marks_amex() -> None:
    value = build_aevv(KEY_A, KEY_B, **ARGS)
    assert value[15] == AEVV_LAYOUT_BYTE
    visa = build_cavv(KEY_A, KEY_B, **ARGS)
    # Same algorithm family: only the layout byte differs for identical keys and inputs.
    assert value[:15] == visa[:15] and value[16:] == visa[16:]
    assert not verify_cavv(KEY_A, KEY_B, value, **ARGS)
    assert not verify_aevv(KEY_A, KEY_B, visa, **ARGS)


@pytest.mark.parametrize(
    ("field", "replacement"),
    [
        ("pan", "371234567890124"),
        ("atn", "1234567890123457"),
        ("results_code", "7"),
        ("second_factor", "99"),
        ("key_indicator", "02"),
    ],
)
def test_changed_input_fails(field: str, replacement: str) -> None:
    value = build_aevv(KEY_A, KEY_B, **ARGS)
    assert not verify_aevv(KEY_A, KEY_B, value, **(ARGS | {field: replacement}))


def test_wrong_keys_fail() -> None:
    value = build_aevv(KEY_A, KEY_B, **ARGS)
    assert not verify_aevv(KEY_B, KEY_A, value, **ARGS)


@pytest.mark.parametrize("position", range(CAVV_LENGTH))
def test_flipped_byte_fails(position: int) -> None:
    value = bytearray(build_aevv(KEY_A, KEY_B, **ARGS))
    value[position] ^= 0x01
    assert not verify_aevv(KEY_A, KEY_B, bytes(value), **ARGS)
