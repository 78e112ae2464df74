"""ISO 3166-1 country, ISO 4217 currency and MCC checks for AReq fields.

The sets are built once from pycountry at import, so each check is a frozenset lookup.
EMV 3DS excludes some codes that ISO does define: countries 901-999 and the currency
units 955-964 (bond units, precious metals, SDR, test code) and 999 (no currency).
"""

from __future__ import annotations

import pycountry

_EXCLUDED_COUNTRIES = frozenset(f"{n:03d}" for n in range(901, 1000))
_EXCLUDED_CURRENCIES = frozenset({*(f"{n:03d}" for n in range(955, 965)), "999"})

COUNTRIES: frozenset[str] = frozenset(c.numeric for c in pycountry.countries) - _EXCLUDED_COUNTRIES
CURRENCIES: frozenset[str] = (
    frozenset(c.numeric for c in pycountry.currencies if getattr(c, "numeric", None))
    - _EXCLUDED_CURRENCIES
)

# ISO 4217 minor units that differ from the common 2 (pycountry does not carry them).
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        (
            "108", "152", "174", "262", "324", "352", "392", "410",
            "548", "600", "646", "704", "800", "940", "950", "952", "953",
        ),
        0,
    ),
    **dict.fromkeys(("048", "368", "400", "414", "434", "512", "788"), 3),
    **dict.fromkeys(("927", "990"), 4),
}  # fmt: skip
# Fund/unit codes ISO lists with minor units "N.A.".
_NO_EXPONENT = frozenset({"965", "994"})

# MCCs below 0742 (veterinary services, the lowest assigned code) are not valid.
_LOWEST_MCC = 742


def is_country(code: str) -> bool:
    """A real ISO 3166-1 numeric country code, outside the 901-999 range EMV excludes."""
    return code in COUNTRIES


def is_currency(code: str) -> bool:
    """A real ISO 4217 numeric currency code, not 955-964 nor 999."""
    return code in CURRENCIES


def currency_exponent(code: str) -> int | None:
    """ISO 4217 minor units of a valid currency, or None when unknown / not applicable."""
    if code not in CURRENCIES or code in _NO_EXPONENT:
        return None
    return _EXPONENTS.get(code, 2)


def is_valid_mcc(code: str) -> bool:
    """A 4-digit merchant category code in the assigned range (0742-9999)."""
    return len(code) == 4 and code.isascii() and code.isdigit() and int(code) >= _LOWEST_MCC
