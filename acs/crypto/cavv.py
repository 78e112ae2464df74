"""Visa CAVV for 3DS 2.x: the 20-byte Table D-7 layout and the CVV-with-ATN algorithm.

Layout (byte offsets from 0, all BCD except the last four):

    0      Authentication Results Code (Table D-2, one digit)
    1      Second Factor Authentication Code (Table D-3)
    2      CAVV key indicator
    3-4    CAVV output (3 digits, left-padded)
    5-6    unpredictable number = last 4 digits of the ATN
    7-14   ATN (16 digits)
    15     version (left nibble) and authentication action (right nibble); 0x00
    16-19  IP address, zero-filled for 3DS 2.x

The output algorithm is the CVV one with a two-key DES chain (A, B, A). Reproduces
``tests/vectors/visa-cavv.json``. The DES primitives here are reused by ``aevv.py``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, modes

try:  # cryptography >= 43 moved TripleDES out of primitives (and warns on the old path)
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - cryptography 42
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

from acs.protocol.codes import AuthenticationMethod, TransStatus

CAVV_LENGTH = 20
CAVV_LAYOUT_BYTE = 0x00  # version 0, action 0 (as in the reference vector)
_DES_BLOCK = 8
# Decimalisation of hex(R): its digits in order (letters dropped), then its letters a-f in
# order as 0-5 (digits dropped).
# (bytes.translate: a 256-byte table, far cheaper than str.translate's dict per character)
_HEX_LETTERS = b"abcdef"
_HEX_LETTERS_AS_DIGITS = bytes.maketrans(_HEX_LETTERS, b"012345")
_DECIMAL_DIGITS = b"0123456789"


class SecondFactor(StrEnum):
    """Visa Table D-3 second factor authentication codes (3DS 2.x values)."""

    STATIC_PASSCODE = "01"
    SMS_OTP = "02"
    KEY_FOB_OTP = "03"
    APP_OTP = "04"
    OTP_OTHER = "05"
    KBA = "06"
    OOB_BIOMETRIC = "07"
    OOB_APP_LOGIN = "08"
    OOB_OTHER = "09"
    OTHER = "10"
    FRICTIONLESS_RBA_REVIEW = "97"
    ATTEMPTS_SERVER = "98"
    FRICTIONLESS_RBA = "99"


# Table D-2. Only Y and A carry a CAVV in 3DS 2.x, the rest are kept for completeness.
RESULTS_CODE: dict[TransStatus, str] = {
    TransStatus.AUTHENTICATED: "0",
    TransStatus.ATTEMPTED: "7",
    TransStatus.UNABLE: "5",
    TransStatus.NOT_AUTHENTICATED: "9",
    TransStatus.REJECTED: "9",
}

_SECOND_FACTOR_BY_METHOD: dict[AuthenticationMethod, SecondFactor] = {
    AuthenticationMethod.STATIC_PASSCODE: SecondFactor.STATIC_PASSCODE,
    AuthenticationMethod.SMS_OTP: SecondFactor.SMS_OTP,
    AuthenticationMethod.KEY_FOB_OTP: SecondFactor.KEY_FOB_OTP,
    AuthenticationMethod.APP_OTP: SecondFactor.APP_OTP,
    AuthenticationMethod.OTP_OTHER: SecondFactor.OTP_OTHER,
    AuthenticationMethod.KBA: SecondFactor.KBA,
    AuthenticationMethod.OOB_BIOMETRICS: SecondFactor.OOB_BIOMETRIC,
    AuthenticationMethod.OOB_LOGIN: SecondFactor.OOB_APP_LOGIN,
    AuthenticationMethod.OOB_OTHER: SecondFactor.OOB_OTHER,
    AuthenticationMethod.PUSH_CONFIRMATION: SecondFactor.OOB_OTHER,
    # Decoupled, WebAuthn, SPC, behavioural biometrics, eID postdate Table D-3: OTHER.
}


def results_code_for(status: TransStatus) -> str:
    """Table D-2 code for ``status``; ``ValueError`` for C/D/I/S, which have none."""
    try:
        return RESULTS_CODE[status]
    except KeyError:
        raise ValueError(f"transStatus {status.value} has no CAVV results code") from None


def second_factor_for(status: TransStatus, method: AuthenticationMethod | None) -> SecondFactor:
    """Table D-3 code. No method means frictionless (99) or, for attempts, the ACS standing in
    as attempts server (98): 97 "RBA review" would claim a risk review we did not run."""
    if method is not None:
        return _SECOND_FACTOR_BY_METHOD.get(method, SecondFactor.OTHER)
    if status is TransStatus.ATTEMPTED:
        return SecondFactor.ATTEMPTS_SERVER
    return SecondFactor.FRICTIONLESS_RBA


def des_encrypt(key: bytes, block: bytes) -> bytes:
    """Single DES, ECB, one block: TripleDES with K||K||K (EDE collapses to E_K)."""
    if len(block) % _DES_BLOCK:  # a partial block would stay buffered in a shared context
        return _des(key).encryptor().update(block)
    return _des_contexts(bytes(key))[0].update(block)


def des_decrypt(key: bytes, block: bytes) -> bytes:
    if len(block) % _DES_BLOCK:
        return _des(key).decryptor().update(block)
    return _des_contexts(bytes(key))[1].update(block)


@lru_cache(maxsize=256)
def _des_contexts(key: bytes) -> tuple[CipherContext, CipherContext]:
    """An encryption and a decryption context per key, built once (that is most of the cost).

    Sharing them is sound: fed whole blocks, an ECB context keeps no state from one ``update``
    to the next (partial blocks take a fresh context instead), and ``update`` runs under the
    GIL. A few hundred keys at most: one pair per card range in the configuration.
    """
    cipher = _des(key)
    return cipher.encryptor(), cipher.decryptor()


@lru_cache(maxsize=256)
def _cvv_contexts(
    key_a: bytes, key_b: bytes
) -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    """E_A and E_A(D_B(E_A(.))) for one key pair, built once (shared as ``_des_contexts`` are)."""
    if len(key_b) != _DES_BLOCK:
        raise ValueError("a DES key is 8 bytes")
    ede = Cipher(TripleDES(key_a + key_b + key_a), modes.ECB())  # noqa: S305
    return _des_contexts(key_a)[0].update, ede.encryptor().update


def _des(key: bytes) -> Cipher[modes.ECB]:
    if len(key) != _DES_BLOCK:
        raise ValueError("a DES key is 8 bytes")
    # ECB on single independent blocks is what the CVV algorithm specifies.
    return Cipher(TripleDES(key * 3), modes.ECB())  # noqa: S305


def cvv_with_atn(key_a: bytes, key_b: bytes, data: str) -> str:
    """CVV core over up to 32 digits of ``data``: 3 decimal digits.

    Zero-pad to two 64-bit blocks, R = E_A(E_A(B1) xor B2), R = E_A(D_B(R)), then decimalise:
    the digits of hex(R) in order, followed by its letters a-f mapped to 0-5. The last three
    steps, E_A then D_B then E_A, are two-key triple DES (EDE with keys A, B, A): two cipher
    calls instead of four, and each call costs far more than the DES inside it.
    """
    if len(data) > 2 * 2 * _DES_BLOCK or not _is_digits(data):
        raise ValueError("CVV input is at most 32 decimal digits")
    return _cvv(*_cvv_contexts(bytes(key_a), bytes(key_b)), data)


def _cvv(
    encrypt_a: Callable[[bytes], bytes], encrypt_aba: Callable[[bytes], bytes], data: str
) -> str:
    raw = bytes.fromhex(data.ljust(4 * _DES_BLOCK, "0"))
    r = encrypt_aba(_xor(encrypt_a(raw[:_DES_BLOCK]), raw[_DES_BLOCK:]))
    hex_r = r.hex().encode("ascii")
    digits = hex_r.translate(None, _HEX_LETTERS)
    if len(digits) < 3:  # rare: hex(R) has fewer than three decimal digits
        digits += hex_r.translate(_HEX_LETTERS_AS_DIGITS, _DECIMAL_DIGITS)
    return digits[:3].decode("ascii")


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def pan16(pan: str) -> str:
    """PAN as used by the algorithm: rightmost 16 digits, or left zero-padded to 16.

    Visa's text says left-pad; the public Go reference pads on the right. We follow the text.
    """
    if not 12 <= len(pan) <= 19 or not _is_digits(pan):
        raise ValueError("PAN must be 12-19 decimal digits")
    return pan[-16:].rjust(16, "0")


def cavv_output(
    key_a: bytes, key_b: bytes, pan: str, atn: str, results_code: str, second_factor: str
) -> str:
    """The 3-digit CAVV output: CVV over PAN(16) + ATN last 4 + service code (arc + 2nd factor)."""
    _check_atn(atn)
    _check_digits(results_code, 1, "authentication results code")
    _check_digits(second_factor, 2, "second factor code")
    return cvv_with_atn(key_a, key_b, pan16(pan) + atn[-4:] + results_code + second_factor)


def build_cavv(
    key_a: bytes,
    key_b: bytes,
    *,
    pan: str,
    atn: str,
    results_code: str,
    second_factor: str,
    key_indicator: str,
    layout_byte: int = CAVV_LAYOUT_BYTE,
) -> bytes:
    """The 20-byte value. ``layout_byte`` fills byte 15 (AEVV uses its own)."""
    sign = cavv_signer(
        bytes(key_a), bytes(key_b), results_code, second_factor, key_indicator, layout_byte
    )
    return sign(pan, atn)


@lru_cache(maxsize=256)
def cavv_signer(
    key_a: bytes,
    key_b: bytes,
    results_code: str,
    second_factor: str,
    key_indicator: str,
    layout_byte: int = CAVV_LAYOUT_BYTE,
) -> Callable[[str, str], bytes]:
    """``sign(pan, atn)`` -> the 20-byte value, for one key pair and outcome.

    Every AReq with a Y or A outcome signs, so what does not depend on the PAN and the ATN is
    checked and laid out once here (bounded: card ranges x outcome codes).
    """
    _check_digits(results_code, 1, "authentication results code")
    _check_digits(second_factor, 2, "second factor code")
    _check_digits(key_indicator, 2, "key indicator")
    contexts = _cvv_contexts(key_a, key_b)
    service = results_code + second_factor
    head = "0" + results_code + second_factor + key_indicator + "0"
    tail = bytes([layout_byte]) + bytes(4)

    def sign(pan: str, atn: str) -> bytes:
        _check_atn(atn)
        last4 = atn[-4:]
        output = _cvv(*contexts, pan16(pan) + last4 + service)
        value = bytes.fromhex(head + output + last4 + atn) + tail
        assert len(value) == CAVV_LENGTH
        return value

    return sign


def verify_cavv(
    key_a: bytes,
    key_b: bytes,
    value: bytes,
    *,
    pan: str,
    atn: str,
    results_code: str,
    second_factor: str,
    key_indicator: str,
    layout_byte: int = CAVV_LAYOUT_BYTE,
) -> bool:
    """Recompute from the inputs and compare all 20 bytes in constant time.

    Note the cryptographic part is only 3 digits: a wrong PAN passes with probability 1/1000.
    That is the real Visa design; the ATN, codes and key indicator are compared exactly.
    """
    expected = build_cavv(
        key_a,
        key_b,
        pan=pan,
        atn=atn,
        results_code=results_code,
        second_factor=second_factor,
        key_indicator=key_indicator,
        layout_byte=layout_byte,
    )
    return hmac.compare_digest(expected, value)


def _is_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def _check_digits(s: str, n: int, what: str) -> None:
    if len(s) != n or not _is_digits(s):
        raise ValueError(f"{what} must be {n} decimal digit(s)")


def _check_atn(atn: str) -> None:
    _check_digits(atn, 16, "ATN")
