"""Visa CAVV: the reference vector, the DES primitive, the Table D-2/D-3 mappings."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from acs.crypto import cavv
from acs.crypto.cavv import (
    CAVV_LENGTH,
    SecondFactor,
    build_cavv,
    cavv_output,
    des_decrypt,
    des_encrypt,
    pan16,
    results_code_for,
    second_factor_for,
    verify_cavv,
)
from acs.protocol.codes import AuthenticationMethod, TransStatus

VECTOR_PATH = Path(__file__).resolve().parents[1] / "vectors" / "visa-cavv.json"


@pytest.fixture(scope="module")
def vector() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTOR_PATH.read_text())
    return data


def _keys(v: dict[str, Any]) -> tuple[bytes, bytes]:
    return bytes.fromhex(v["keyA_hex"]), bytes.fromhex(v["keyB_hex"])


def _build_args(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "pan": v["pan"],
        "atn": v["atn"],
        "results_code": v["authentication_results_code"],
        "second_factor": v["second_factor_code"],
        "key_indicator": v["key_indicator"],
    }


def test_vector_output(vector: dict[str, Any]) -> None:
    out = cavv_output(
        *_keys(vector),
        vector["pan"],
        vector["atn"],
        vector["authentication_results_code"],
        vector["second_factor_code"],
    )
    assert out == vector["expected_cavv_output"]


def test_vector_value(vector: dict[str, Any]) -> None:
    value = build_cavv(*_keys(vector), **_build_args(vector))
    assert len(value) == CAVV_LENGTH
    assert value.hex().upper() == vector["expected_cavv_hex"].upper()
    encoded = base64.b64encode(value).decode()
    assert encoded == vector["expected_cavv_base64"]
    assert len(encoded) == 28


def test_vector_verifies(vector: dict[str, Any]) -> None:
    value = bytes.fromhex(vector["expected_cavv_hex"])
    assert verify_cavv(*_keys(vector), value, **_build_args(vector))


@pytest.mark.parametrize("position", range(CAVV_LENGTH))
def test_flipped_byte_fails(vector: dict[str, Any], position: int) -> None:
    value = bytearray.fromhex(vector["expected_cavv_hex"])
    value[position] ^= 0x01
    assert not verify_cavv(*_keys(vector), bytes(value), **_build_args(vector))


@pytest.mark.parametrize(
    ("field", "replacement"),
    [
        ("pan", "4123456789012346"),
        ("atn", "9602231034727994"),
        ("results_code", "0"),
        ("second_factor", "02"),
        ("key_indicator", "02"),
    ],
)
def test_changed_input_fails(vector: dict[str, Any], field: str, replacement: str) -> None:
    value = bytes.fromhex(vector["expected_cavv_hex"])
    args = _build_args(vector) | {field: replacement}
    assert not verify_cavv(*_keys(vector), value, **args)


def test_wrong_keys_fail(vector: dict[str, Any]) -> None:
    key_a, key_b = _keys(vector)
    value = bytes.fromhex(vector["expected_cavv_hex"])
    assert not verify_cavv(key_b, key_a, value, **_build_args(vector))


def test_single_des_known_answer() -> None:
    # Classic FIPS 46 worked example.
    key = bytes.fromhex("133457799BBCDFF1")
    plain = bytes.fromhex("0123456789ABCDEF")
    cipher = des_encrypt(key, plain)
    assert cipher.hex().upper() == "85E813540F0AB405"
    assert des_decrypt(key, cipher) == plain


def test_pan_normalisation() -> None:
    assert pan16("4123456789012345") == "4123456789012345"
    assert pan16("412345678901") == "0000412345678901"
    assert pan16("4123456789012345678") == "3456789012345678"
    for bad in (
        "41234567890",
        "41234567890123456789",
        "41234567890abc",
        "\uff14" * 12,  # fullwidth digits are str.isdigit() too
    ):
        with pytest.raises(ValueError):
            pan16(bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("4123456789012345", "960223103472799", "7", "00"), "ATN"),
        (("4123456789012345", "9602231034727993", "77", "00"), "results code"),
        (("4123456789012345", "9602231034727993", "7", "0"), "second factor"),
    ],
)
def test_output_rejects_malformed_input(args: tuple[str, str, str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cavv_output(b"\x01" * 8, b"\x02" * 8, *args)


def test_results_codes_table_d2() -> None:
    assert results_code_for(TransStatus.AUTHENTICATED) == "0"
    assert results_code_for(TransStatus.ATTEMPTED) == "7"
    assert results_code_for(TransStatus.UNABLE) == "5"
    assert results_code_for(TransStatus.NOT_AUTHENTICATED) == "9"
    assert results_code_for(TransStatus.REJECTED) == "9"
    with pytest.raises(ValueError):
        results_code_for(TransStatus.CHALLENGE)


M = AuthenticationMethod


@pytest.mark.parametrize(
    ("method", "code"),
    [
        (M.STATIC_PASSCODE, "01"),
        (M.SMS_OTP, "02"),
        (M.KEY_FOB_OTP, "03"),
        (M.APP_OTP, "04"),
        (M.OTP_OTHER, "05"),
        (M.KBA, "06"),
        (M.OOB_BIOMETRICS, "07"),
        (M.OOB_LOGIN, "08"),
        (M.OOB_OTHER, "09"),
        (M.PUSH_CONFIRMATION, "09"),
        (M.OTHER, "10"),
        (M.DECOUPLED, "10"),
        (M.WEBAUTHN, "10"),
        (M.SPC, "10"),
        (M.BEHAVIOURAL_BIOMETRICS, "10"),
        (M.ELECTRONIC_ID, "10"),
    ],
)
def test_second_factor_table_d3(method: AuthenticationMethod, code: str) -> None:
    assert second_factor_for(TransStatus.AUTHENTICATED, method) == code
    assert second_factor_for(TransStatus.ATTEMPTED, method) == code


def test_second_factor_without_method() -> None:
    assert second_factor_for(TransStatus.AUTHENTICATED, None) is SecondFactor.FRICTIONLESS_RBA
    assert second_factor_for(TransStatus.ATTEMPTED, None) is SecondFactor.ATTEMPTS_SERVER


@pytest.mark.parametrize(
    ("hex_r", "output"),
    [
        ("0123456789abcdef", "012"),  # digits of hex(R) in order
        ("a9b8cdef01234567", "980"),  # letters skipped while digits last
        ("abcdefabcdefab1c", "101"),  # one digit: then the letters a-f as 0-5, in order
        ("fedcbafedcbafedc", "543"),  # no digit at all
    ],
)
def test_decimalisation(hex_r: str, output: str) -> None:
    """The rare branches: the vector never needs letters, real keys do about 1 in 10^5 times."""
    r = bytes.fromhex(hex_r)
    assert cavv._cvv(lambda block: bytes(8), lambda block: r, "0") == output
