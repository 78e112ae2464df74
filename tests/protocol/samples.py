"""Builders of valid, realistic AReq dicts (as the DS forwards them to the ACS).

``areq(version, channel, category, pan=..., **overrides)`` covers every supported version x
channel x category; overrides replace top-level fields, and ``REMOVE`` deletes one.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from itertools import product
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

VERSIONS = ("2.1.0", "2.2.0", "2.3.1")
CHANNELS = ("01", "02", "03")  # app, browser, 3RI
CATEGORIES = ("01", "02")  # payment, non-payment
ALL_COMBINATIONS: list[tuple[str, str, str]] = list(product(VERSIONS, CHANNELS, CATEGORIES))

DS_REFERENCE_NUMBER = "3DS_LOA_DIS_PPFU_020100_00010"
DS_URL = "http://127.0.0.1:9/ds/rreq"
REMOVE: Any = object()  # areq(..., field=REMOVE) drops the field


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def p256_jwk() -> dict[str, str]:
    """A fresh ephemeral SDK public key as a JWK (what an SDK puts in sdkEphemPubKey)."""
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def device_info() -> str:
    """deviceInfo as the DS forwards it for APP: base64url of the SDK's device JSON."""
    data = {
        "DV": "1.6",
        "DD": {
            "C001": "Android",
            "C002": "Google Pixel 8",
            "C003": "14",
            "C004": "en-GB",
            "C005": "Europe/London",
            "C006": "0",
            "C007": "1080x2400",
            "C008": "sdk-app-instance-2",
            "A001": "REL",
            "A010": "34",
        },
        "DPNA": {"C010": "RE03"},
        "SW": ["SW01"],
    }
    return b64url(json.dumps(data, separators=(",", ":")).encode())


def _now(fmt: str = "%Y%m%d%H%M%S") -> str:
    return datetime.now(UTC).strftime(fmt)


def _phone(subscriber: str) -> dict[str, str]:
    return {"cc": "44", "subscriber": subscriber}


def _address(prefix: str) -> dict[str, str]:
    return {
        f"{prefix}AddrLine1": "221B Baker Street",
        f"{prefix}AddrLine2": "Flat 2",
        f"{prefix}AddrCity": "London",
        f"{prefix}AddrPostCode": "NW1 6XE",
        f"{prefix}AddrState": "LND",
        f"{prefix}AddrCountry": "826",
    }


def _core(version: str, channel: str, category: str, pan: str) -> dict[str, Any]:
    return {
        "messageType": "AReq",
        "messageVersion": version,
        "deviceChannel": channel,
        "messageCategory": category,
        "threeDSServerTransID": str(uuid.uuid4()),
        "dsTransID": str(uuid.uuid4()),
        "dsReferenceNumber": DS_REFERENCE_NUMBER,
        "dsURL": DS_URL,
        "threeDSServerRefNumber": "3DS_LOA_SER_PPFU_020100_00008",
        "threeDSServerOperatorID": "10075020",
        "threeDSServerURL": "https://3dss.example.com/3ds/results",
        "threeDSRequestorID": "10075020_MERCH0001",
        "threeDSRequestorName": "Example Groceries Ltd",
        "threeDSRequestorURL": "https://shop.example.com",
        "acctNumber": pan,
        "acctType": "02",
        "cardExpiryDate": "3012",
        "acctID": "customer-0042",
        "acquirerBIN": "412345",
        "acquirerMerchantID": "MERCH000000001",
        "mcc": "5411",
        "merchantCountryCode": "826",
        "merchantName": "Example Groceries",
        "cardholderName": "Jane A Doe",
        "email": "jane.doe@example.com",
        "homePhone": _phone("2079460000"),
        "mobilePhone": _phone("7700900123"),
        "workPhone": _phone("2079461234"),
        **_address("bill"),
        **_address("ship"),
    }


def _purchase() -> dict[str, Any]:
    return {
        "purchaseAmount": "12345",
        "purchaseCurrency": "978",
        "purchaseExponent": "2",
        "purchaseDate": _now(),
    }


def _risk(version: str) -> dict[str, Any]:
    acct_info = {
        "chAccAgeInd": "05",
        "chAccDate": "20190311",
        "chAccChangeInd": "04",
        "chAccChange": "20230102",
        "chAccPwChangeInd": "05",
        "chAccPwChange": "20220815",
        "shipAddressUsageInd": "04",
        "shipAddressUsage": "20200601",
        "txnActivityDay": "1",
        "txnActivityYear": "14",
        "provisionAttemptsDay": "0",
        "nbPurchaseAccount": "11",
        "suspiciousAccActivity": "01",
        "shipNameIndicator": "01",
        "paymentAccInd": "05",
        "paymentAccAge": "20190311",
    }
    risk = {
        "shipIndicator": "01",
        "deliveryTimeframe": "03",
        "deliveryEmailAddress": "jane.doe@example.com",
        "reorderItemsInd": "02",
        "preOrderPurchaseInd": "01",
        "giftCardAmount": "0",
        "giftCardCount": "00",
        "giftCardCurr": "978",
    }
    return {"acctInfo": acct_info, "merchantRiskIndicator": risk}


def _requestor(version: str, category: str) -> dict[str, Any]:
    """APP/BRW requestor data: payment (01) or add-card (04) for non-payment."""
    auth_info = {"threeDSReqAuthMethod": "02", "threeDSReqAuthTimestamp": _now("%Y%m%d%H%M")}
    fields: dict[str, Any] = {
        "threeDSRequestorAuthenticationInd": "01" if category == "01" else "04",
        "threeDSRequestorAuthenticationInfo": [auth_info] if version == "2.3.1" else auth_info,
        "threeDSRequestorChallengeInd": ["01"] if version == "2.3.1" else "01",
        "addrMatch": "N",
    }
    if version != "2.1.0":
        fields["threeDSRequestorDecReqInd"] = "N"
    return fields


def _browser(version: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "browserAcceptHeader": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "browserUserAgent": (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
        ),
        "browserIP": "192.0.2.10",
        "browserJavaEnabled": False,
        "browserLanguage": "en-GB",
        "browserColorDepth": "24",
        "browserScreenHeight": "1080",
        "browserScreenWidth": "1920",
        "browserTZ": "0",
        "notificationURL": "https://shop.example.com/3ds/notify",
        "threeDSCompInd": "Y",
    }
    if version != "2.1.0":
        fields["browserJavascriptEnabled"] = True
    if version == "2.3.1":
        fields["acceptLanguage"] = ["en-GB", "en"]
    return fields


def _app(version: str) -> dict[str, Any]:
    ui_types = ["01", "02", "03", "04", "05"]
    fields: dict[str, Any] = {
        "sdkAppID": str(uuid.uuid4()),
        "sdkTransID": str(uuid.uuid4()),
        "sdkReferenceNumber": "3DS_LOA_SDK_PPFU_020100_00007",
        "sdkMaxTimeout": "05",
        "sdkEphemPubKey": p256_jwk(),
        "deviceRenderOptions": {"sdkInterface": "03", "sdkUiType": ui_types},
        "deviceInfo": device_info(),
    }
    if version == "2.3.1":
        fields["sdkType"] = "01"
        fields["defaultSdkType"] = {"sdkVariant": "01"}
    return fields


def _three_ri(version: str) -> dict[str, Any]:
    """3RI recurring payment. 2.1.0 does not allow purchase/recurring fields for 3RI."""
    fields: dict[str, Any] = {"threeRIInd": "01"}
    if version == "2.1.0":
        return fields
    fields |= _purchase()
    fields |= {"recurringExpiry": "20301231", "recurringFrequency": "30"}
    if version == "2.3.1":
        fields |= {
            "recurringInd": {"amountInd": "01", "frequencyInd": "01"},
            "recurringAmount": "12345",
            "recurringCurrency": "978",
            "recurringExponent": "2",
            "recurringDate": "20300101",
        }
    return fields


def areq(
    version: str, channel: str, category: str, pan: str = "4016000000000012", **overrides: Any
) -> dict[str, Any]:
    """A valid AReq dict for one version/channel/category (fresh IDs each call)."""
    message = _core(version, channel, category, pan) | _risk(version)
    if channel == "03":
        message |= _three_ri(version)
    else:
        message |= _requestor(version, category)
        message |= _browser(version) if channel == "02" else _app(version)
        if category == "01":
            message |= _purchase() | {"transType": "01"}
    for name, value in overrides.items():
        if value is REMOVE:
            message.pop(name, None)
        else:
            message[name] = value
    return message


def areq_bytes(version: str, channel: str, category: str, **overrides: Any) -> bytes:
    return json.dumps(areq(version, channel, category, **overrides)).encode()
