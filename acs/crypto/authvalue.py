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
from collections.abc import Callable, Mapping
from functools import lru_cache

import msgspec

from acs.crypto import aav, aevv, cavv
from acs.crypto.eci import eci_for
from acs.crypto.keys import Algorithm, KeySet, algorithm_for
from acs.protocol.codes import AuthenticationMethod, TransStatus
from acs.protocol.schemes import Scheme

VALUE_BYTES = 20
VALUE_CHARS = 28  # base64 of 20 bytes
ATN_DIGITS = 16
_ISSUABLE = (TransStatus.AUTHENTICATED, TransStatus.ATTEMPTED)
Method = AuthenticationMethod | None  # None = frictionless (risk-based)


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
    recipe = _recipe(keys, ctx.scheme, ctx.status, ctx.method)
    if atn is None:
        atn = new_atn()
    elif not _is_atn(atn):
        raise ValueError("ATN must be 16 decimal digits")
    raw = recipe.sign(ctx, atn)
    value = base64.b64encode(raw).decode("ascii")
    assert len(raw) == VALUE_BYTES and len(value) == VALUE_CHARS
    return AuthValue(value=value, eci=recipe.eci, evidence=recipe.evidence(atn))


def verify(keys: KeySet, ctx: AuthContext, value: str, evidence: Mapping[str, str]) -> bool:
    """True iff ``value`` and ``evidence`` are what ``generate`` produced for ``ctx``.

    Recomputes from the context, the keys and the evidence's ATN, then compares the value in
    constant time and every evidence field we wrote. Malformed input yields False; misuse
    (status, keys) raises ``ValueError`` as in ``generate``.
    """
    recipe = _recipe(keys, ctx.scheme, ctx.status, ctx.method)
    atn = evidence.get("atn", "")
    if not _is_atn(atn):
        return False
    if any(evidence.get(name) != field for name, field in recipe.evidence(atn).items()):
        return False
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
        rebuilt = recipe.sign(ctx, atn)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return False
    return hmac.compare_digest(rebuilt, raw)


def _is_atn(atn: str) -> bool:
    return len(atn) == ATN_DIGITS and atn.isascii() and atn.isdigit()


class _Recipe:
    """What a value needs besides the context and the ATN, for one key set and outcome."""

    __slots__ = ("_evidence", "_sequence", "eci", "sign")

    def __init__(self, keys: KeySet, scheme: Scheme, status: TransStatus, method: Method) -> None:
        if status not in _ISSUABLE:
            raise ValueError(
                f"authentication values exist only for transStatus Y or A, not {status.value}"
            )
        problems = keys.validate_for(scheme)
        if problems:
            raise ValueError(f"key set unusable for {scheme}: " + "; ".join(problems))
        eci = eci_for(scheme, status)
        assert eci is not None  # every scheme has an ECI for Y and A
        self.eci = eci.value
        algorithm = algorithm_for(scheme)
        # Key order as stored; "atn" (and the AAV's "sequence") are filled in per value.
        self._evidence = {
            "algorithm": algorithm.value,
            "atn": "",
            "key_indicator": keys.key_indicator,
        }
        self._sequence = algorithm is Algorithm.MASTERCARD_AAV
        self.sign: Callable[[AuthContext, str], bytes]
        if self._sequence:
            self._evidence["indicator"] = aav.indicator_for(status, method).value
            self._evidence["sequence"] = ""
            sign_aav = aav.aav_signer(keys.aav_key_bytes(), keys.key_indicator, status, method)
            self.sign = lambda ctx, atn: sign_aav(
                atn,
                ctx.pan,
                ctx.ds_trans_id,
                ctx.merchant_name,
                ctx.purchase_amount,
                ctx.purchase_currency,
            )
            return
        ki = keys.key_indicator
        results_code = cavv.results_code_for(status)
        second_factor = cavv.second_factor_for(status, method).value
        self._evidence["results_code"] = results_code
        self._evidence["second_factor"] = second_factor
        if algorithm is Algorithm.VISA_CAVV:
            sign_cvv = cavv.cavv_signer(*keys.cavv_keys(), results_code, second_factor, ki)
        else:
            sign_cvv = aevv.aevv_signer(*keys.aevv_keys(), results_code, second_factor, ki)
        self.sign = lambda ctx, atn: sign_cvv(ctx.pan, atn)

    def evidence(self, atn: str) -> dict[str, str]:
        """Never the PAN or a key: safe to store and log with the transaction."""
        evidence = dict(self._evidence, atn=atn)
        if self._sequence:
            evidence["sequence"] = aav.sequence_for(atn)
        return evidence


@lru_cache(maxsize=1024)  # card ranges x outcomes; key sets are frozen, so this never goes stale
def _recipe(keys: KeySet, scheme: Scheme, status: TransStatus, method: Method) -> _Recipe:
    return _Recipe(keys, scheme, status, method)
