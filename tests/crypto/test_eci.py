"""ECI table: every scheme x every transStatus."""

from __future__ import annotations

import pytest

from acs.crypto.eci import Eci, eci_for
from acs.protocol.codes import TransStatus
from acs.protocol.schemes import Scheme

VISA_LIKE = {"Y": "05", "A": "06", "N": "07", "U": "07", "R": "07"}
MASTERCARD = {"Y": "02", "A": "01", "N": "00", "U": "00", "R": "00"}
EXPECTED: dict[Scheme, dict[str, str]] = {
    Scheme.VISA: VISA_LIKE,
    Scheme.AMEX: VISA_LIKE,
    Scheme.JCB: VISA_LIKE,
    Scheme.DISCOVER: VISA_LIKE,
    Scheme.UNIONPAY: VISA_LIKE,
    Scheme.CARTES_BANCAIRES: VISA_LIKE,
    Scheme.MASTERCARD: MASTERCARD,
}


def test_every_scheme_is_covered() -> None:
    assert set(EXPECTED) == set(Scheme)


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize("status", list(TransStatus))
def test_eci(scheme: Scheme, status: TransStatus) -> None:
    expected = EXPECTED[scheme].get(status.value)
    got = eci_for(scheme, status)
    assert got == expected
    if got is not None:
        assert isinstance(got, Eci)


@pytest.mark.parametrize("status", ["C", "D", "I", "S"])
def test_interim_statuses_have_no_eci(status: str) -> None:
    assert all(eci_for(scheme, TransStatus(status)) is None for scheme in Scheme)
