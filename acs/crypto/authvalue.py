"""The one entry point for authentication values (CAVV / AAV / AEVV) and their ECI.

Dispatch by scheme (see ``keys.ALGORITHM_BY_SCHEME``): Visa, Discover, JCB, UnionPay and
Cartes Bancaires use the Visa CAVV layout, Mastercard the AAV, Amex the AEVV.

``evidence`` holds what a later ``verify`` needs besides the context and the keys: the ATN,
key indicator, algorithm and the codes derived from the outcome. It never holds the PAN or a
key, so it can be stored and logged with the transaction.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Mapping

import msgspec

from acs.crypto import aav, aevv, cavv
from acs.crypto.eci import eci_for
from acs.crypto.keys import Algorithm, KeySet, algorithm_for
from acs.issuer.schemes import Scheme
from acs.protocol.codes import AuthenticationMethod, TransStatus

VALUE_BYTES = 20
VALUE_CHARS = 28  # base64 of 20 bytes
ATN_DIGITS = 16
_ISSUABLE = (TransStatus.AUTHENTICATED, TransStatus.ATTEMPTED)


class AuthContext(msgspec.Struct, frozen=True):  # a Struct: built per AReq, cheaply
    """What the value is bound to."""

    scheme: Scheme
    pan: str
    status: TransStatus  # Y or A only
    method: AuthenticationMethod | None  # None = frictionless (risk-based)
    ds_trans_id: str
    merchant_name: str = ""
    purchase_amount: str = ""
    purchase_currency: str = ""


class AuthValue(msgspec.Struct, frozen=True):
    value: str  # base64, 28 chars
    eci: str
    evidence: dict[str, str]  # never the PAN or keys


_ATN_SPACE = 10**ATN_DIGITS
_ATN_BELOW = (2**64 // _ATN_SPACE) * _ATN_SPACE  # 64-bit draws under this map uniformly


def new_atn() -> str:
    """A 16-digit Authentication Tracking Number from the OS CSPRNG, uniform over all of them
    (rejection sampling, like ``secrets.randbelow``, at half its cost: one draw per AReq)."""
    while True:
        draw = int.from_bytes(os.urandom(8))
        if draw < _ATN_BELOW:
            return f"{draw % _ATN_SPACE:0{ATN_DIGITS}d}"


def generate(keys: KeySet, ctx: AuthContext, *, atn: str | None = None) -> AuthValue:
    """A fresh value for a Y or A outcome. Pass ``atn`` only to reproduce a value (tests).

    ``ValueError`` for other statuses, a malformed ATN/PAN, or a key set lacking the scheme's
    keys (the message lists the ``validate_for`` problems).
    """
    _check_usable(keys, ctx)
    if atn is None:
        atn = new_atn()
    elif not _is_atn(atn):
        raise ValueError("ATN must be 16 decimal digits")
    evidence = _evidence(keys, ctx, atn)
    raw = _build(keys, ctx, atn, evidence)
    value = base64.b64encode(raw).decode("ascii")
    assert len(raw) == VALUE_BYTES and len(value) == VALUE_CHARS
    eci = eci_for(ctx.scheme, ctx.status)
    assert eci is not None  # every scheme has an ECI for Y and A
    return AuthValue(value=value, eci=eci.value, evidence=evidence)


def verify(keys: KeySet, ctx: AuthContext, value: str, evidence: Mapping[str, str]) -> bool:
    """True iff ``value`` and ``evidence`` are what ``generate`` produced for ``ctx``.

    Recomputes from the context, the keys and the evidence's ATN, then compares the value in
    constant time and every evidence field we wrote. Malformed input yields False; misuse
    (status, keys) raises ``ValueError`` as in ``generate``.
    """
    _check_usable(keys, ctx)
    atn = evidence.get("atn", "")
    if not _is_atn(atn):
        return False
    expected = _evidence(keys, ctx, atn)
    if any(evidence.get(name) != field for name, field in expected.items()):
        return False
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
        rebuilt = _build(keys, ctx, atn, expected)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return False
    return hmac.compare_digest(rebuilt, raw)


def _check_usable(keys: KeySet, ctx: AuthContext) -> None:
    if ctx.status not in _ISSUABLE:
        raise ValueError(
            f"authentication values exist only for transStatus Y or A, not {ctx.status.value}"
        )
    problems = keys.validate_for(ctx.scheme)
    if problems:
        raise ValueError(f"key set unusable for {ctx.scheme}: " + "; ".join(problems))


def _is_atn(atn: str) -> bool:
    return len(atn) == ATN_DIGITS and atn.isascii() and atn.isdigit()


def _build(keys: KeySet, ctx: AuthContext, atn: str, evidence: Mapping[str, str]) -> bytes:
    """The raw value; ``evidence`` (from ``_evidence``) carries the codes derived already."""
    algorithm = algorithm_for(ctx.scheme)
    if algorithm is Algorithm.MASTERCARD_AAV:
        return aav.build_aav(
            keys.aav_key_bytes(),
            key_indicator=keys.key_indicator,
            atn=atn,
            pan=ctx.pan,
            status=ctx.status,
            method=ctx.method,
            ds_trans_id=ctx.ds_trans_id,
            merchant_name=ctx.merchant_name,
            purchase_amount=ctx.purchase_amount,
            purchase_currency=ctx.purchase_currency,
        )
    build = cavv.build_cavv if algorithm is Algorithm.VISA_CAVV else aevv.build_aevv
    key_a, key_b = keys.cavv_keys() if algorithm is Algorithm.VISA_CAVV else keys.aevv_keys()
    return build(
        key_a,
        key_b,
        pan=ctx.pan,
        atn=atn,
        results_code=evidence["results_code"],
        second_factor=evidence["second_factor"],
        key_indicator=keys.key_indicator,
    )


def _evidence(keys: KeySet, ctx: AuthContext, atn: str) -> dict[str, str]:
    algorithm = algorithm_for(ctx.scheme)
    evidence = {"algorithm": algorithm.value, "atn": atn, "key_indicator": keys.key_indicator}
    if algorithm is Algorithm.MASTERCARD_AAV:
        evidence["indicator"] = aav.indicator_for(ctx.status, ctx.method).value
        evidence["sequence"] = aav.sequence_for(atn)
    else:
        evidence["results_code"] = cavv.results_code_for(ctx.status)
        evidence["second_factor"] = cavv.second_factor_for(ctx.status, ctx.method).value
    return evidence
