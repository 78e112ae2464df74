"""A realistic purchase AReq as the DS forwards it to the ACS, per message version and channel:
what the built-in SDK and the scenario runner send before a challenge (fresh IDs each call).

The app channel's own fields (sdkEphemPubKey, deviceInfo, ...) come from ``SdkSession.areq``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

VERSIONS = ("2.1.0", "2.2.0", "2.3.1")
APP, BROWSER = "01", "02"
NOTIFICATION_URL = "https://shop.example.com/3ds/notify"
DS_URL = "http://127.0.0.1:9/ds/rreq"  # a closed port: replace it with a DS that answers RReqs


def _now(fmt: str) -> str:
    return datetime.now(UTC).strftime(fmt)


def _address(prefix: str) -> dict[str, str]:
    return {
        f"{prefix}AddrLine1": "221B Baker Street",
        f"{prefix}AddrCity": "London",
        f"{prefix}AddrPostCode": "NW1 6XE",
        f"{prefix}AddrCountry": "826",
    }


def _browser(version: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "browserAcceptHeader": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "browserUserAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0",
        "browserIP": "192.0.2.10",
        "browserJavaEnabled": False,
        "browserLanguage": "en-GB",
        "browserColorDepth": "24",
        "browserScreenHeight": "1080",
        "browserScreenWidth": "1920",
        "browserTZ": "0",
        "notificationURL": NOTIFICATION_URL,
        "threeDSCompInd": "U",
    }
    if version != "2.1.0":
        fields["browserJavascriptEnabled"] = True
    return fields


def purchase_areq(
    pan: str, *, version: str = "2.2.0", channel: str = BROWSER, ds_url: str = DS_URL
) -> dict[str, Any]:
    """A 100.00 EUR purchase by ``pan`` (01 app or 02 browser); the app fields are left to the
    SDK. ValueError names a version or channel this does not build."""
    if version not in VERSIONS:
        raise ValueError(f"messageVersion {version!r}: use one of {', '.join(VERSIONS)}")
    if channel not in (APP, BROWSER):
        raise ValueError(f"deviceChannel {channel!r}: use 01 (app) or 02 (browser)")
    is_2_3 = version == "2.3.1"
    auth_info = {"threeDSReqAuthMethod": "02", "threeDSReqAuthTimestamp": _now("%Y%m%d%H%M")}
    areq: dict[str, Any] = {
        "messageType": "AReq",
        "messageVersion": version,
        "deviceChannel": channel,
        "messageCategory": "01",
        "threeDSServerTransID": str(uuid.uuid4()),
        "dsTransID": str(uuid.uuid4()),
        "dsReferenceNumber": "3DS_LOA_DIS_PPFU_020100_00010",
        "dsURL": ds_url,
        "threeDSServerRefNumber": "3DS_LOA_SER_PPFU_020100_00008",
        "threeDSServerOperatorID": "10075020",
        "threeDSServerURL": "https://3dss.example.com/3ds/results",
        "threeDSRequestorID": "10075020_MERCH0001",
        "threeDSRequestorName": "Example Groceries Ltd",
        "threeDSRequestorURL": "https://shop.example.com",
        "threeDSRequestorAuthenticationInd": "01",
        "threeDSRequestorAuthenticationInfo": [auth_info] if is_2_3 else auth_info,
        "threeDSRequestorChallengeInd": ["01"] if is_2_3 else "01",
        "acctNumber": pan,
        "acctType": "02",
        "cardExpiryDate": "3012",
        "acquirerBIN": "412345",
        "acquirerMerchantID": "MERCH000000001",
        "mcc": "5411",
        "merchantCountryCode": "826",
        "merchantName": "Example Groceries",
        "cardholderName": "Jane A Doe",
        "email": "jane.doe@example.com",
        "mobilePhone": {"cc": "44", "subscriber": "7700900123"},
        **_address("bill"),
        **_address("ship"),
        # an established account with nothing suspicious, as a merchant's records show it
        "acctInfo": {
            "chAccAgeInd": "05",
            "chAccDate": "20190311",
            "txnActivityDay": "1",
            "txnActivityYear": "14",
            "nbPurchaseAccount": "11",
            "suspiciousAccActivity": "01",
            "shipNameIndicator": "01",
        },
        "merchantRiskIndicator": {"shipIndicator": "01", "deliveryTimeframe": "03"},
        "purchaseAmount": "10000",
        "purchaseCurrency": "978",
        "purchaseExponent": "2",
        "purchaseDate": _now("%Y%m%d%H%M%S"),
        "transType": "01",
    }
    if version != "2.1.0":
        areq["threeDSRequestorDecReqInd"] = "N"
    if channel == BROWSER:
        areq |= _browser(version)
    return areq
