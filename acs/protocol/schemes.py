"""Card schemes and their Directory Server IDs (RIDs, reference section 7.5)."""

from __future__ import annotations

from enum import StrEnum


class Scheme(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    CARTES_BANCAIRES = "cartes_bancaires"

    @property
    def ds_id(self) -> str:
        return _DS_IDS[self]

    @property
    def display_name(self) -> str:
        return _DISPLAY[self]


_DS_IDS: dict[Scheme, str] = {
    Scheme.VISA: "A000000003",
    Scheme.MASTERCARD: "A000000004",
    Scheme.AMEX: "A000000025",
    Scheme.DISCOVER: "A000000152",
    Scheme.JCB: "A000000065",
    Scheme.UNIONPAY: "A000000333",
    Scheme.CARTES_BANCAIRES: "A000000042",
}

_DISPLAY: dict[Scheme, str] = {
    Scheme.VISA: "Visa",
    Scheme.MASTERCARD: "Mastercard",
    Scheme.AMEX: "American Express",
    Scheme.DISCOVER: "Discover",
    Scheme.JCB: "JCB",
    Scheme.UNIONPAY: "UnionPay",
    Scheme.CARTES_BANCAIRES: "Cartes Bancaires",
}
