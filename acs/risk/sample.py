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
from collections.abc import Iterator
from typing import Any

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


_MERCHANTS = [  # name, mcc, country, currency
    ("Example Groceries", "5411", "276", "978"),
    ("Rail Europe", "4112", "250", "978"),
    ("Game Credits Online", "5816", "840", "840"),
    ("London Books", "5942", "826", "826"),
    ("Nordic Outdoor", "5941", "752", "752"),
    ("Electro Markt", "5732", "276", "978"),
    ("Gift Cards Hub", "5999", "528", "978"),
]


def generate(
    count: int, seed: int = 7, start: dt.datetime | None = None
) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    moment = start or dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    for _ in range(count):
        moment += dt.timedelta(seconds=rng.expovariate(1 / 7200))  # ~12 a day over 5 cards
        name, mcc, country, curr = rng.choice(_MERCHANTS)
        amount = int(rng.lognormvariate(3.6, 1.1) * 100)
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
        yield areq
