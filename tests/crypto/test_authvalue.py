"""The authvalue entry point: dispatch, ECI, evidence, verification; and KeySet validation."""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

import msgspec
import pytest

from acs.crypto.authvalue import AuthContext, generate, new_atn, verify
from acs.crypto.keys import Algorithm, KeySet, algorithm_for
from acs.protocol.codes import AuthenticationMethod, TransStatus
from acs.protocol.schemes import Scheme

CAVV_A, CAVV_B = "0123456789ABCDEF", "FEDCBA9876543210"
AEVV_A, AEVV_B = "89ABCDEF01234567", "76543210FEDCBA98"
AAV_KEY = bytes(range(32)).hex()
ALL_KEYS = KeySet(
    cavv_key_a=CAVV_A,
    cavv_key_b=CAVV_B,
    aav_key=AAV_KEY,
    aevv_key_a=AEVV_A,
    aevv_key_b=AEVV_B,
)
PANS = {
    Scheme.VISA: "4123456789012345",
    Scheme.MASTERCARD: "5123456789012346",
    Scheme.AMEX: "371234567890123",
    Scheme.DISCOVER: "6011000990139424",
    Scheme.JCB: "3530111333300000",
    Scheme.UNIONPAY: "6212345678901234567",
    Scheme.CARTES_BANCAIRES: "4970101234567890",
}
ATN = "9602231034727993"
EXPECTED_ECI = {
    (TransStatus.AUTHENTICATED, True): "02",
    (TransStatus.ATTEMPTED, True): "01",
    (TransStatus.AUTHENTICATED, False): "05",
    (TransStatus.ATTEMPTED, False): "06",
}
ISSUABLE = [TransStatus.AUTHENTICATED, TransStatus.ATTEMPTED]
METHODS = [None, AuthenticationMethod.SMS_OTP, AuthenticationMethod.OOB_BIOMETRICS]


def ctx_for(
    scheme: Scheme,
    status: TransStatus = TransStatus.AUTHENTICATED,
    method: AuthenticationMethod | None = AuthenticationMethod.SMS_OTP,
) -> AuthContext:
    return AuthContext(
        scheme=scheme,
        pan=PANS[scheme],
        status=status,
        method=method,
        ds_trans_id="f25084f0-5b16-4c0a-ae5d-b24808a95e4b",
        merchant_name="Demo Merchant",
        purchase_amount="12345",
        purchase_currency="978",
    )


def test_new_atn() -> None:
    atns = {new_atn() for _ in range(50)}
    assert len(atns) > 45
    assert all(len(a) == 16 and a.isdigit() for a in atns)


def test_new_atn_digits_are_uniform() -> None:
    """Every position takes every digit about equally often (2,000 of 20,000 each, sd ~42)."""
    draws = [new_atn() for _ in range(20_000)]
    for position in (0, 7, 15):
        counts = Counter(a[position] for a in draws)
        assert set(counts) == set("0123456789")
        assert all(1_750 < n < 2_250 for n in counts.values()), (position, counts)


def test_dispatch() -> None:
    assert algorithm_for(Scheme.MASTERCARD) is Algorithm.MASTERCARD_AAV
    assert algorithm_for(Scheme.AMEX) is Algorithm.AMEX_AEVV
    others = set(Scheme) - {Scheme.MASTERCARD, Scheme.AMEX}
    assert {algorithm_for(s) for s in others} == {Algorithm.VISA_CAVV}


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize("status", ISSUABLE)
@pytest.mark.parametrize("method", METHODS)
def test_round_trip(
    scheme: Scheme, status: TransStatus, method: AuthenticationMethod | None
) -> None:
    ctx = ctx_for(scheme, status, method)
    av = generate(ALL_KEYS, ctx)
    assert len(av.value) == 28
    assert len(base64.b64decode(av.value, validate=True)) == 20
    assert av.eci == EXPECTED_ECI[(status, scheme is Scheme.MASTERCARD)]
    assert av.evidence["algorithm"] == algorithm_for(scheme)
    assert verify(ALL_KEYS, ctx, av.value, av.evidence)


@pytest.mark.parametrize("scheme", list(Scheme))
def test_evidence_never_holds_pan_or_keys(scheme: Scheme) -> None:
    av = generate(ALL_KEYS, ctx_for(scheme))
    blob = " ".join(f"{k}={v}" for k, v in av.evidence.items()).lower()
    for secret in (PANS[scheme], CAVV_A, CAVV_B, AEVV_A, AEVV_B, AAV_KEY):
        assert secret.lower() not in blob


def test_visa_value_layout_and_evidence() -> None:
    av = generate(ALL_KEYS, ctx_for(Scheme.VISA, method=None), atn=ATN)
    raw = base64.b64decode(av.value)
    assert raw[0] == 0x00 and raw[1] == 0x99 and raw[2] == 0x01  # Y, frictionless RBA, key 01
    assert raw[7:15].hex() == ATN
    assert av.evidence == {
        "algorithm": "visa-cavv-cvv-atn",
        "atn": ATN,
        "key_indicator": "01",
        "results_code": "0",
        "second_factor": "99",
    }
    attempt = generate(ALL_KEYS, ctx_for(Scheme.VISA, TransStatus.ATTEMPTED, None), atn=ATN)
    assert attempt.evidence["results_code"] == "7"
    assert attempt.evidence["second_factor"] == "98"


def test_mastercard_value_indicator() -> None:
    y = generate(ALL_KEYS, ctx_for(Scheme.MASTERCARD, method=None))
    a = generate(ALL_KEYS, ctx_for(Scheme.MASTERCARD, TransStatus.ATTEMPTED, None))
    assert y.value.startswith("kB") and y.evidence["indicator"] == "kB"
    assert a.value.startswith("kE")


def test_fixed_atn_is_deterministic() -> None:
    ctx = ctx_for(Scheme.VISA)
    assert generate(ALL_KEYS, ctx, atn=ATN) == generate(ALL_KEYS, ctx, atn=ATN)
    assert generate(ALL_KEYS, ctx).value != generate(ALL_KEYS, ctx).value  # fresh ATN each time


# --- tampering -----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", list(Scheme))
def test_changed_pan_fails(scheme: Scheme) -> None:
    ctx = ctx_for(scheme)
    av = generate(ALL_KEYS, ctx, atn=ATN)
    other = msgspec.structs.replace(ctx, pan=ctx.pan[:-1] + str((int(ctx.pan[-1]) + 1) % 10))
    assert not verify(ALL_KEYS, other, av.value, av.evidence)


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize(
    ("field", "replacement"),
    [
        ("status", TransStatus.ATTEMPTED),
        ("method", AuthenticationMethod.OOB_LOGIN),
        ("method", None),
    ],
)
def test_changed_outcome_fails(scheme: Scheme, field: str, replacement: Any) -> None:
    ctx = ctx_for(scheme)
    av = generate(ALL_KEYS, ctx, atn=ATN)
    assert not verify(
        ALL_KEYS, msgspec.structs.replace(ctx, **{field: replacement}), av.value, av.evidence
    )


@pytest.mark.parametrize(
    "field", ["ds_trans_id", "merchant_name", "purchase_amount", "purchase_currency"]
)
def test_mastercard_binds_transaction_data(field: str) -> None:
    # Only the AAV binds these; the CAVV/AEVV algorithm has no room for them.
    ctx = ctx_for(Scheme.MASTERCARD)
    av = generate(ALL_KEYS, ctx)
    changed = msgspec.structs.replace(ctx, **{field: getattr(ctx, field) + "0"})
    assert not verify(ALL_KEYS, changed, av.value, av.evidence)


@pytest.mark.parametrize("scheme", list(Scheme))
def test_changed_evidence_fails(scheme: Scheme) -> None:
    ctx = ctx_for(scheme)
    av = generate(ALL_KEYS, ctx, atn=ATN)
    assert not verify(ALL_KEYS, ctx, av.value, av.evidence | {"atn": "9602231034727994"})
    for name, field in av.evidence.items():
        forged = av.evidence | {name: field[:-1] + ("1" if field[-1] != "1" else "2")}
        assert not verify(ALL_KEYS, ctx, av.value, forged), name
        missing = {k: v for k, v in av.evidence.items() if k != name}
        assert not verify(ALL_KEYS, ctx, av.value, missing), name


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize("position", range(20))
def test_flipped_byte_fails(scheme: Scheme, position: int) -> None:
    ctx = ctx_for(scheme)
    av = generate(ALL_KEYS, ctx)
    raw = bytearray(base64.b64decode(av.value))
    raw[position] ^= 0x80
    assert not verify(ALL_KEYS, ctx, base64.b64encode(raw).decode(), av.evidence)


@pytest.mark.parametrize("scheme", list(Scheme))
def test_other_keys_fail(scheme: Scheme) -> None:
    ctx = ctx_for(scheme)
    av = generate(ALL_KEYS, ctx, atn=ATN)
    swapped = KeySet(
        cavv_key_a=CAVV_B,
        cavv_key_b=CAVV_A,
        aav_key=bytes(32).hex(),
        aevv_key_a=AEVV_B,
        aevv_key_b=AEVV_A,
    )
    assert not verify(swapped, ctx, av.value, av.evidence)
    rotated = msgspec.structs.replace(ALL_KEYS, key_indicator="02")
    assert not verify(rotated, ctx, av.value, av.evidence)


@pytest.mark.parametrize(
    "value", ["", "not base64!", "AAAA", "é" * 28, "BwABCXJ5k5YCIxA0cnmTAAAAAAA"]
)
def test_malformed_value_is_rejected_not_raised(value: str) -> None:
    ctx = ctx_for(Scheme.VISA)
    av = generate(ALL_KEYS, ctx)
    assert not verify(ALL_KEYS, ctx, value, av.evidence)


def test_malformed_pan_on_verify_is_false() -> None:
    ctx = ctx_for(Scheme.VISA)
    av = generate(ALL_KEYS, ctx)
    assert not verify(ALL_KEYS, msgspec.structs.replace(ctx, pan="41234x"), av.value, av.evidence)


# --- misuse raises ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [s for s in TransStatus if s not in ISSUABLE])
def test_other_statuses_raise(status: TransStatus) -> None:
    ctx = ctx_for(Scheme.VISA, status)
    with pytest.raises(ValueError, match="only for transStatus Y or A"):
        generate(ALL_KEYS, ctx)
    with pytest.raises(ValueError, match="only for transStatus Y or A"):
        verify(ALL_KEYS, ctx, "A" * 28, {"atn": ATN})


@pytest.mark.parametrize(
    ("scheme", "missing"),
    [
        (Scheme.VISA, "cavv_key_a"),
        (Scheme.JCB, "cavv_key_a"),
        (Scheme.MASTERCARD, "aav_key"),
        (Scheme.AMEX, "aevv_key_a"),
    ],
)
def test_missing_keys_raise(scheme: Scheme, missing: str) -> None:
    keys = msgspec.structs.replace(ALL_KEYS, **{missing: None})
    with pytest.raises(ValueError, match=f"keys.{missing}"):
        generate(keys, ctx_for(scheme))


def test_bad_atn_raises() -> None:
    with pytest.raises(ValueError, match="ATN"):
        generate(ALL_KEYS, ctx_for(Scheme.VISA), atn="123")


# --- KeySet -----------------------------------------------------------------------------------


def test_keyset_valid_for_every_scheme() -> None:
    assert all(ALL_KEYS.validate_for(s) == [] for s in Scheme)


def test_keyset_reports_problems_with_paths() -> None:
    empty = KeySet()
    assert empty.validate_for(Scheme.VISA) == [
        "keys.cavv_key_a: visa ranges need a 16-hex-digit DES key",
        "keys.cavv_key_b: visa ranges need a 16-hex-digit DES key",
    ]
    assert [p.split(":")[0] for p in empty.validate_for(Scheme.MASTERCARD)] == ["keys.aav_key"]
    assert [p.split(":")[0] for p in empty.validate_for(Scheme.AMEX)] == [
        "keys.aevv_key_a",
        "keys.aevv_key_b",
    ]
    bad = KeySet(
        cavv_key_a="0123",
        cavv_key_b="ZZ23456789ABCDEF",
        key_indicator="1",
        aav_key="00" * 31,
    )
    paths = [p.split(":")[0] for p in bad.validate_for(Scheme.VISA)]
    # Keys present but not needed by the scheme are still checked: a typo is a typo.
    assert paths == ["keys.key_indicator", "keys.cavv_key_a", "keys.cavv_key_b", "keys.aav_key"]


def test_keyset_rejects_equal_des_halves() -> None:
    same = KeySet(cavv_key_a=CAVV_A, cavv_key_b=CAVV_A.lower())
    assert same.validate_for(Scheme.VISA) == ["keys.cavv_key_b: must differ from cavv_key_a"]


@pytest.mark.parametrize("indicator", ["00", "1", "001", "a1"])
def test_keyset_key_indicator(indicator: str) -> None:
    keys = msgspec.structs.replace(ALL_KEYS, key_indicator=indicator)
    assert keys.validate_for(Scheme.VISA) == ["keys.key_indicator: expected two digits 01-99"]


def test_keyset_from_yaml_and_redacted_repr() -> None:
    text = f"cavv_key_a: {CAVV_A}\ncavv_key_b: {CAVV_B}\nkey_indicator: '02'\n"
    keys = msgspec.yaml.decode(text.encode(), type=KeySet)
    assert keys.key_indicator == "02" and keys.validate_for(Scheme.VISA) == []
    assert CAVV_A not in repr(keys) and CAVV_A not in str(keys)
    with pytest.raises(msgspec.ValidationError):
        msgspec.yaml.decode(b"cavv_key_c: 00", type=KeySet)
