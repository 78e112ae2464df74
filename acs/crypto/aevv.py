"""American Express AEVV (SafeKey) - a simulator stand-in.

The real AEVV structure and algorithm are not public (emv3ds.md section 7.3). It is a 20-byte
value like the Visa CAVV and very likely from the same CVV-with-ATN family, so we reuse that:
the Visa Table D-7 layout and output algorithm from ``cavv.py``, keyed with the range's Amex
key pair (``aevv_key_a``/``aevv_key_b``), and with byte 15 set to ``AEVV_LAYOUT_BYTE``.

0xA1 is not valid BCD, so an AEVV can never be mistaken for a Visa CAVV (whose byte 15 holds
a BCD version/action): "A" marks Amex, "1" is the version of this layout. A real Amex
authorisation network would not accept these values; the simulator's own verifier does.
"""

from __future__ import annotations

from collections.abc import Callable

from acs.crypto.cavv import build_cavv, cavv_signer, verify_cavv

AEVV_LAYOUT_BYTE = 0xA1


def build_aevv(
    key_a: bytes,
    key_b: bytes,
    *,
    pan: str,
    atn: str,
    results_code: str,
    second_factor: str,
    key_indicator: str,
) -> bytes:
    """20 bytes: Visa layout and CVV-with-ATN output under the Amex keys, Amex layout byte."""
    return build_cavv(
        key_a,
        key_b,
        pan=pan,
        atn=atn,
        results_code=results_code,
        second_factor=second_factor,
        key_indicator=key_indicator,
        layout_byte=AEVV_LAYOUT_BYTE,
    )


def verify_aevv(
    key_a: bytes,
    key_b: bytes,
    value: bytes,
    *,
    pan: str,
    atn: str,
    results_code: str,
    second_factor: str,
    key_indicator: str,
) -> bool:
    """Recompute and compare in constant time (see ``cavv.verify_cavv`` for the 3-digit caveat)."""
    return verify_cavv(
        key_a,
        key_b,
        value,
        pan=pan,
        atn=atn,
        results_code=results_code,
        second_factor=second_factor,
        key_indicator=key_indicator,
        layout_byte=AEVV_LAYOUT_BYTE,
    )


def aevv_signer(
    key_a: bytes, key_b: bytes, results_code: str, second_factor: str, key_indicator: str
) -> Callable[[str, str], bytes]:
    """``sign(pan, atn)`` for one key pair and outcome, as ``cavv.cavv_signer``."""
    return cavv_signer(key_a, key_b, results_code, second_factor, key_indicator, AEVV_LAYOUT_BYTE)
