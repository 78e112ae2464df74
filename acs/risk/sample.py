"""Realistic AReqs for rule tests, ``acs rules explain`` and backtests.

``base_areq`` is one frictionless-looking 2.2.0 browser payment that rule test cases patch with a
fragment; ``generate`` makes a seeded stream of varied transactions (cards, merchants, countries,
amounts, account signals, a timeline) so that a backtest shows a believable outcome mix.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pycountry

# Enrolled demo cardholders without a forced outcome (config/cardholders.yaml): the rules decide.
DEMO_PANS = (
    "4016000000000053",
    "4016000000000087",
    "4016000000000095",
    "5105000000000045",
    "371000000000035",
)

_BASE: dict[str, Any] = {
    "messageType": "AReq",
    "messageVersion": "2.2.0",
    "deviceChannel": "02",
    "messageCategory": "01",
    "threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
    "dsTransID": "4e8e1b8c-3f2a-4d6e-9b1a-2c5d7e9f0a11",
    "dsReferenceNumber": "3DS_LOA_DIS_PPFU_020100_00010",
    "dsURL": "https://ds.example.com/rreq",
    "threeDSServerRefNumber": "3DS_LOA_SER_PPFU_020100_00008",
    "threeDSServerURL": "https://3dss.example.com/results",
    "threeDSRequestorID": "10075020_MERCH0001",
    "threeDSRequestorName": "Example Groceries Ltd",
    "threeDSRequestorURL": "https://merchant.example.com",
    "threeDSRequestorAuthenticationInd": "01",
    "threeDSCompInd": "Y",
    "notificationURL": "https://merchant.example.com/3ds/notify",
    "acctNumber": DEMO_PANS[0],
    "cardExpiryDate": "3012",
    "cardholderName": "Dana Demo",
    "email": "dana@example.com",
    "acquirerBIN": "400551",
    "acquirerMerchantID": "MERCH0001",
    "mcc": "5411",
    "merchantCountryCode": "276",
    "merchantName": "Example Groceries",
    "purchaseAmount": "4999",
    "purchaseCurrency": "978",
    "purchaseExponent": "2",
    "purchaseDate": "20261125093000",
    "billAddrCountry": "276",
    "shipAddrCountry": "276",
    "acctInfo": {
        "chAccAgeInd": "05",
        "chAccDate": "20190311",
        "txnActivityDay": "1",
        "txnActivityYear": "14",
        "suspiciousAccActivity": "01",
        "nbPurchaseAccount": "11",
    },
    "merchantRiskIndicator": {
        "shipIndicator": "01",
        "deliveryTimeframe": "03",
        "reorderItemsInd": "02",
    },
    "browserAcceptHeader": "text/html,application/xhtml+xml",
    "browserIP": "192.0.2.10",
    "browserJavaEnabled": False,
    "browserJavascriptEnabled": True,
    "browserLanguage": "de-DE",
    "browserColorDepth": "24",
    "browserScreenHeight": "1080",
    "browserScreenWidth": "1920",
    "browserTZ": "-60",
    "browserUserAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126",
}


def base_areq(**overrides: Any) -> dict[str, Any]:
    areq = copy.deepcopy(_BASE)
    merge(areq, overrides)
    return areq


def merge(target: dict[str, Any], fragment: dict[str, Any]) -> None:
    """Deep-merge a fragment; a ``null`` value removes the field."""
    for key, value in fragment.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value


MERCHANTS = [  # name, mcc, country, currency
    ("Example Groceries", "5411", "276", "978"),
    ("Rail Europe", "4112", "250", "978"),
    ("Game Credits Online", "5816", "840", "840"),
    ("London Books", "5942", "826", "826"),
    ("Nordic Outdoor", "5941", "752", "752"),
    ("Electro Markt", "5732", "276", "978"),
    ("Gift Cards Hub", "5999", "528", "978"),
]

# A merchant country's purchase currency (ISO numeric), for --countries; EUR where not listed.
_CURRENCY_OF = {"826": "826", "840": "840", "752": "752", "756": "756", "208": "208"}
_MERCHANT_NAMES = {mcc: name for name, mcc, _c, _cur in MERCHANTS}

# Browsers a card's holder uses, and others (a new device): browserUserAgent, screen width x height.
_DEVICES = (
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126", "1920", "1080"),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/17.5",
        "1512",
        "982",
    ),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148", "393", "852"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/127.0", "2560", "1440"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Chrome/126", "412", "915"),
)


class MixError(ValueError):
    """A --mcc, --amounts, --countries or --fraud-rate value the generator cannot use."""


def _weights(option: str, text: str, check: Callable[[str], str]) -> list[tuple[str, float]]:
    pairs: list[tuple[str, float]] = []
    for item in text.split(","):
        key, sep, weight = item.strip().partition("=")
        try:
            value = float(weight) if sep else 1.0
        except ValueError:
            value = -1.0
        if not key or value <= 0:
            raise MixError(f"{option} {text!r}: write KEY=WEIGHT,... with positive weights")
        pairs.append((check(key), value))
    return pairs


def _mcc(key: str) -> str:
    if not (len(key) == 4 and key.isdigit()):
        raise MixError(f"--mcc: {key!r} is not a 4-digit merchant category code, e.g. 5411")
    return key


def _country(key: str) -> str:
    found = (
        pycountry.countries.get(numeric=key.zfill(3))
        if key.isdigit()
        else pycountry.countries.get(alpha_2=key.upper())
    )
    if found is None:
        raise MixError(f"--countries: {key!r} is not an ISO 3166-1 alpha-2 or numeric code")
    return str(found.numeric)


def _band(key: str) -> str:
    low, sep, high = key.partition("-")
    try:
        ok = bool(sep) and 0 < float(low) < float(high)
    except ValueError:
        ok = False
    if not ok:
        raise MixError(f"--amounts: {key!r} is not a band LOW-HIGH in EUR, e.g. 30-250")
    return key


@dataclass(frozen=True, slots=True)
class Mix:
    """What ``acs rules generate`` varies; None: the sample merchants' own mix."""

    mccs: list[tuple[str, float]] | None = None
    amounts: list[tuple[str, float]] | None = None
    countries: list[tuple[str, float]] | None = None
    fraud_rate: float | None = None

    @classmethod
    def parse(
        cls,
        *,
        mcc: str | None = None,
        amounts: str | None = None,
        countries: str | None = None,
        fraud_rate: float | None = None,
    ) -> Mix:
        if fraud_rate is not None and not 0 <= fraud_rate <= 1:
            raise MixError(f"--fraud-rate {fraud_rate}: give a share between 0 and 1, e.g. 0.02")
        return cls(
            _weights("--mcc", mcc, _mcc) if mcc else None,
            _weights("--amounts", amounts, _band) if amounts else None,
            _weights("--countries", countries, _country) if countries else None,
            fraud_rate,
        )


def _pick(rng: random.Random, pairs: list[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in pairs], weights=[w for _, w in pairs])[0]


def generate(
    count: int, seed: int = 7, start: dt.datetime | None = None, mix: Mix | None = None
) -> Iterator[dict[str, Any]]:
    """Seeded AReqs. Without a ``mix`` the stream is the one the shipped samples come from; the
    options and the device and fraud draws use a second generator, so they leave it as it is."""
    rng = random.Random(seed)
    extra = random.Random(f"{seed}:mix")
    mix = mix or Mix()
    moment = start or dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    for _ in range(count):
        moment += dt.timedelta(seconds=rng.expovariate(1 / 7200))  # ~12 a day over 5 cards
        name, mcc, country, curr = rng.choice(MERCHANTS)
        amount = int(rng.lognormvariate(3.6, 1.1) * 100)
        if mix.mccs:
            mcc = _pick(extra, mix.mccs)
            name = _MERCHANT_NAMES.get(mcc, f"Merchant {mcc}")
        if mix.countries:
            country = _pick(extra, mix.countries)
            curr = _CURRENCY_OF.get(country, "978")
        if mix.amounts:
            low, high = (float(x) for x in _pick(extra, mix.amounts).split("-"))
            amount = int(extra.uniform(low, high) * 100)
        areq = base_areq(
            threeDSServerTransID=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            dsTransID=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            acctNumber=rng.choices(DEMO_PANS, weights=(4, 3, 2, 2, 1))[0],
            merchantName=name,
            mcc=mcc,
            merchantCountryCode=country,
            purchaseCurrency=curr,
            purchaseAmount=str(max(amount, 50)),
            purchaseDate=moment.strftime("%Y%m%d%H%M%S"),
            messageVersion=rng.choice(("2.1.0", "2.2.0", "2.2.0", "2.3.1")),
            shipAddrCountry=rng.choices((country, "826", "840"), weights=(8, 1, 1))[0],
        )
        areq["acctInfo"]["chAccAgeInd"] = rng.choices(
            ("01", "02", "03", "04", "05"), weights=(1, 1, 1, 2, 10)
        )[0]
        areq["acctInfo"]["suspiciousAccActivity"] = rng.choices(("01", "02"), weights=(30, 1))[0]
        if areq["messageVersion"] == "2.1.0":
            del areq["browserJavascriptEnabled"]  # defined from 2.2.0 on
        if rng.random() < 0.1:
            areq["threeDSRequestorChallengeInd"] = rng.choice(("02", "03", "04"))
        if areq["messageVersion"] == "2.3.1" and "threeDSRequestorChallengeInd" in areq:
            areq["threeDSRequestorChallengeInd"] = [areq["threeDSRequestorChallengeInd"]]
        new_device = extra.random() < 0.08
        if new_device:  # mostly each card's one browser (base_areq's); now and then another
            agent, width, height = extra.choice(_DEVICES[1:])
            areq["browserUserAgent"] = agent
            areq["browserScreenWidth"], areq["browserScreenHeight"] = width, height
        if mix.fraud_rate is not None:
            areq["label"] = {"fraud": _fraud(extra, areq, mix.fraud_rate, new_device)}
        yield areq


def _fraud(rng: random.Random, areq: dict[str, Any], rate: float, new_device: bool) -> bool:
    """Fraud at about ``rate`` overall, leaning to new accounts, new devices and big amounts."""
    lean = 1.0
    if areq["acctInfo"]["chAccAgeInd"] in ("01", "02", "03"):
        lean *= 3
    if new_device:
        lean *= 4
    if int(areq["purchaseAmount"]) > 25_000:
        lean *= 2
    return rng.random() < min(1.0, rate * lean / 1.9)  # 1.9: the mean lean of the stream
