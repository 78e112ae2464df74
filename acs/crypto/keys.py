"""Per-card-range software keys for authentication values, and which scheme needs which.

Keys are hex strings in YAML config. They are software keys for a simulator - a production ACS
keeps them in an HSM. ``KeySet.__repr__`` is redacted so a key never reaches a log line.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

import msgspec

from acs.protocol.schemes import Scheme

_HEX = re.compile(r"[0-9A-Fa-f]*")
_KEY_INDICATOR = re.compile(r"(0[1-9]|[1-9][0-9])")
DES_KEY_HEX_DIGITS = 16
AAV_KEY_MIN_BYTES = 32  # HMAC-SHA-256 key no shorter than the hash output


class Algorithm(StrEnum):
    """Authentication value algorithm; recorded in evidence so a value can be verified later."""

    VISA_CAVV = "visa-cavv-cvv-atn"  # Visa Table D-7 layout, CVV-with-ATN (real algorithm)
    MASTERCARD_AAV = "mastercard-aav-spa2-sim"  # our HMAC-SHA-256 layout, see aav.py
    AMEX_AEVV = "amex-aevv-cvv-atn-sim"  # CVV-with-ATN with an Amex layout byte, see aevv.py


# Schemes without a public algorithm of their own use the Visa CAVV layout.
ALGORITHM_BY_SCHEME: dict[Scheme, Algorithm] = {
    Scheme.VISA: Algorithm.VISA_CAVV,
    Scheme.DISCOVER: Algorithm.VISA_CAVV,
    Scheme.JCB: Algorithm.VISA_CAVV,
    Scheme.UNIONPAY: Algorithm.VISA_CAVV,
    Scheme.CARTES_BANCAIRES: Algorithm.VISA_CAVV,
    Scheme.MASTERCARD: Algorithm.MASTERCARD_AAV,
    Scheme.AMEX: Algorithm.AMEX_AEVV,
}


def algorithm_for(scheme: Scheme) -> Algorithm:
    return ALGORITHM_BY_SCHEME[scheme]


class KeySet(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The ``keys:`` block of a card range. Only the keys of the range's scheme are required."""

    cavv_key_a: str | None = None  # 16 hex digits, DES key A
    cavv_key_b: str | None = None  # 16 hex digits, DES key B
    key_indicator: str = "01"  # 2 digits, CAVV key indicator / AAV key id
    aav_key: str | None = None  # hex, >= 32 bytes, HMAC-SHA-256
    aevv_key_a: str | None = None  # 16 hex digits
    aevv_key_b: str | None = None  # 16 hex digits

    def __repr__(self) -> str:
        present = [name for name in _KEY_FIELDS if getattr(self, name) is not None]
        return f"KeySet(key_indicator={self.key_indicator!r}, keys={present}, <redacted>)"

    def validate_for(self, scheme: Scheme) -> list[str]:
        """Human-readable problems, each prefixed with its path below the range (``keys.``)."""
        return list(_problems(self, scheme))

    def cavv_keys(self) -> tuple[bytes, bytes]:
        return _des_pair(self.cavv_key_a, self.cavv_key_b, "cavv_key_a/cavv_key_b")

    def aevv_keys(self) -> tuple[bytes, bytes]:
        return _des_pair(self.aevv_key_a, self.aevv_key_b, "aevv_key_a/aevv_key_b")

    def aav_key_bytes(self) -> bytes:
        if self.aav_key is None:
            raise ValueError("key set has no aav_key")
        return _from_hex(self.aav_key)


# Key sets are frozen, so what is derived from one is computed once per key set (and scheme):
# every authentication value needs it. Bounded by the card ranges of the configuration.
_CACHED = 512


@lru_cache(maxsize=_CACHED)
def _problems(keys: KeySet, scheme: Scheme) -> tuple[str, ...]:
    algorithm = algorithm_for(scheme)
    problems: list[str] = []
    if not _KEY_INDICATOR.fullmatch(keys.key_indicator):
        problems.append("keys.key_indicator: expected two digits 01-99")
    for a, b, needed in (
        ("cavv_key_a", "cavv_key_b", algorithm is Algorithm.VISA_CAVV),
        ("aevv_key_a", "aevv_key_b", algorithm is Algorithm.AMEX_AEVV),
    ):
        problems += _des_pair_problems(keys, a, b, needed, scheme)
    problems += _aav_problems(keys.aav_key, algorithm is Algorithm.MASTERCARD_AAV, scheme)
    return tuple(problems)


@lru_cache(maxsize=_CACHED)
def _from_hex(value: str) -> bytes:
    return bytes.fromhex(value)


_KEY_FIELDS = ("cavv_key_a", "cavv_key_b", "aav_key", "aevv_key_a", "aevv_key_b")


def _is_des_key(value: str) -> bool:
    return len(value) == DES_KEY_HEX_DIGITS and _HEX.fullmatch(value) is not None


def _des_pair_problems(
    keys: KeySet, name_a: str, name_b: str, required: bool, scheme: Scheme
) -> list[str]:
    problems: list[str] = []
    values: list[str | None] = [getattr(keys, name_a), getattr(keys, name_b)]
    for name, value in zip((name_a, name_b), values, strict=True):
        if value is None and required:
            problems.append(f"keys.{name}: {scheme} ranges need a 16-hex-digit DES key")
        elif value is not None and not _is_des_key(value):
            problems.append(f"keys.{name}: expected 16 hex digits (a 64-bit DES key)")
    a, b = values
    # With A == B the A-B-A chain collapses to single DES.
    if a is not None and b is not None and a.lower() == b.lower():
        problems.append(f"keys.{name_b}: must differ from {name_a}")
    return problems


def _aav_problems(value: str | None, required: bool, scheme: Scheme) -> list[str]:
    need = f"at least {2 * AAV_KEY_MIN_BYTES} hex digits ({AAV_KEY_MIN_BYTES} bytes)"
    if value is None and required:
        return [f"keys.aav_key: {scheme} ranges need an HMAC-SHA-256 key, {need}"]
    if value is None:
        return []
    ok = len(value) % 2 == 0 and len(value) >= 2 * AAV_KEY_MIN_BYTES and _HEX.fullmatch(value)
    return [] if ok else [f"keys.aav_key: expected {need}"]


@lru_cache(maxsize=_CACHED)
def _des_pair(a: str | None, b: str | None, names: str) -> tuple[bytes, bytes]:
    if a is None or b is None or not (_is_des_key(a) and _is_des_key(b)):
        raise ValueError(f"key set has no valid {names}")
    return bytes.fromhex(a), bytes.fromhex(b)
