"""Cardholder text, in one place for pages, CRes UI fields and delivered messages: the i18n
catalogs (``challenge_ui/i18n/<lang>.yaml``), language negotiation and amounts for display."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry
import yaml
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

LANGUAGES = ("en", "de")  # the first is the fallback
_PLURAL_KEYS = frozenset({"zero", "one", "two", "few", "many", "other"})
_NON_CURRENCIES = frozenset({"XXX", "XTS"})  # "no currency" and "testing" are not amounts
_UI_ROOT = Path(__file__).resolve().parents[2] / "challenge_ui"


# -- locale and amounts -----------------------------------------------------------------------


def negotiate_locale(browser_language: str | None) -> str:
    """The page language for a browserLanguage (or Accept-Language) value: "de" or "en"."""
    for tag in _language_tags(browser_language):
        primary = tag.split("-", 1)[0]
        if primary in LANGUAGES:
            return primary
    return LANGUAGES[0]


def format_amount(
    amount_minor: str | None,
    currency_numeric: str | None,
    exponent: int | None,
    locale: str,
) -> str | None:
    """The amount for display ("€49.99", "49,99 €"), or None when it cannot be shown faithfully.

    The AReq's exponent decides the decimals; babel's per-currency digits are only the minimum,
    so an unusual exponent still shows every digit instead of being rounded away.
    """
    if amount_minor is None or currency_numeric is None or exponent is None:
        return None
    if not amount_minor.isascii() or not amount_minor.isdigit() or not 0 <= exponent <= 9:
        return None
    alpha = _currency_alpha(currency_numeric)
    if alpha is None:
        return None
    value = Decimal(amount_minor).scaleb(-exponent)
    return format_currency(value, alpha, locale=_babel_locale(locale), decimal_quantization=False)


def _language_tags(value: str | None) -> list[str]:
    """Normalised tags, best first; accepts "de-DE", "de_DE" and "de-DE,de;q=0.9,en;q=0.8"."""
    if not value:
        return []
    tags = (part.split(";", 1)[0].strip().replace("_", "-").lower() for part in value.split(","))
    return [tag for tag in tags if tag]


@lru_cache(maxsize=512)
def _currency_alpha(numeric: str) -> str | None:
    if not (len(numeric) == 3 and numeric.isascii() and numeric.isdigit()):
        return None
    currency = pycountry.currencies.get(numeric=numeric)
    alpha = None if currency is None else str(currency.alpha_3)
    return None if alpha in _NON_CURRENCIES else alpha


@lru_cache(maxsize=256)
def _babel_locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("_", "-"), sep="-")
    except (ValueError, UnknownLocaleError):
        return Locale.parse(negotiate_locale(tag))


def format_locale(browser_language: str | None, lang: str) -> str:
    """The regional locale for numbers ("de-CH", "en-GB") when it matches the page language."""
    for tag in _language_tags(browser_language)[:1]:
        if tag.split("-", 1)[0] == lang:
            return tag
    return lang


# -- texts ------------------------------------------------------------------------------------


class Catalog:
    """One language's texts: ``t("otp.attempts", n=2)`` picks the CLDR plural form for n."""

    def __init__(self, lang: str, texts: Mapping[str, str | Mapping[str, str]]) -> None:
        self.lang = lang
        self._texts = texts
        self._locale = Locale.parse(lang)

    def __call__(self, key: str, n: int | None = None, **values: object) -> str:
        text = self._texts[key]
        if not isinstance(text, str):
            if n is None:
                raise KeyError(f"{key} is plural: pass n")
            text = text.get(self._locale.plural_form(n), text["other"])
        return text.format(n=n, **values) if (n is not None or values) else text

    def __contains__(self, key: str) -> bool:
        return key in self._texts

    def keys(self) -> set[str]:
        return set(self._texts)


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str | Mapping[str, str]]:
    flat: dict[str, str | Mapping[str, str]] = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, str):
            flat[key] = value
        elif isinstance(value, Mapping) and "other" in value and set(value) <= _PLURAL_KEYS:
            flat[key] = {str(k): str(v) for k, v in value.items()}
        elif isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        else:
            raise ValueError(f"{key}: expected text, plural forms or a group, got {value!r}")
    return flat


def load_catalogs(folder: Path) -> dict[str, Catalog]:
    catalogs: dict[str, Catalog] = {}
    for lang in LANGUAGES:
        path = folder / f"{lang}.yaml"
        catalogs[lang] = Catalog(lang, _flatten(yaml.safe_load(path.read_text("utf-8"))))
    reference = catalogs[LANGUAGES[0]].keys()
    for lang, catalog in catalogs.items():
        if catalog.keys() != reference:  # a missing text would surface only on a live page
            diff = sorted(reference.symmetric_difference(catalog.keys()))
            raise ValueError(f"i18n/{lang}.yaml and {LANGUAGES[0]}.yaml differ in keys: {diff}")
    return catalogs


class Texts:
    """Every language's catalog, loaded once (at start-up)."""

    def __init__(self, folder: Path = _UI_ROOT / "i18n") -> None:
        self._catalogs = load_catalogs(folder)
        _currency_alpha("978")  # pycountry parses its database on first use: not in a request

    def __getitem__(self, lang: str) -> Catalog:
        return self._catalogs[lang]

    def for_browser(self, browser_language: str | None) -> Catalog:
        """The catalog for a browserLanguage (or Accept-Language) value."""
        return self._catalogs[negotiate_locale(browser_language)]
