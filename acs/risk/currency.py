"""Amounts: minor units -> major units -> EUR through a configurable rate table.

The AReq states its own exponent (purchaseExponent), so no exponent table is needed here.
Rates are "EUR per one unit of the currency"; an unknown currency has no EUR amount (the field is
then missing, and rules comparing it do not match).
"""

from __future__ import annotations

from functools import cache

import pycountry

DEFAULT_EUR_RATES: dict[str, float] = {
    "EUR": 1.0,
    "GBP": 1.17,
    "USD": 0.92,
    "CHF": 1.05,
    "SEK": 0.087,
    "NOK": 0.085,
    "DKK": 0.134,
    "PLN": 0.23,
    "CZK": 0.040,
    "HUF": 0.0025,
    "JPY": 0.0061,
    "CAD": 0.68,
    "AUD": 0.61,
}


@cache
def currency_alpha(numeric: str) -> str | None:
    found = pycountry.currencies.get(numeric=numeric)
    return found.alpha_3 if found else None


@cache
def country_alpha(numeric: str) -> str | None:
    found = pycountry.countries.get(numeric=numeric)
    return found.alpha_2 if found else None


def major_units(minor: int, exponent: int) -> float:
    return minor / float(10**exponent)


def to_eur(major: float, currency_numeric: str, rates: dict[str, float]) -> float | None:
    alpha = currency_alpha(currency_numeric)
    rate = rates.get(alpha) if alpha else None
    return None if rate is None else round(major * float(rate), 2)


# EEA member states plus the UK (PSD2 SCA scope), as ISO 3166-1 alpha-2.
EEA_UK = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IS",
        "IE",
        "IT",
        "LV",
        "LI",
        "LT",
        "LU",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "GB",
    ]
)


def in_eea_uk(country_numeric: str | None) -> bool | None:
    if not country_numeric:
        return None
    alpha = country_alpha(country_numeric)
    return None if alpha is None else alpha in EEA_UK
