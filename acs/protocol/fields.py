"""AReq field tables as data, per message version, and the validation plans compiled from them.

Transcribed from ``shared/reference/emv3ds-fields.md`` with the corrections of ``emv3ds.md``
(which wins where they disagree): DS-added fields (``dsTransID``, ``dsReferenceNumber``,
``dsURL``, ``deviceInfo``) and the requestor/server routing fields are part of every AReq the
ACS receives; the vendor-only ``ds`` field is not an EMV field and is left out.

Each table row is a ``FieldSpec`` tagged with the versions it applies to, so one list holds all
three versions and ``AREQ_FIELDS[version]`` is the table of one version. ``plan_for`` returns a
plan compiled at import for a (version, channel, category): per field a single ``check``
closure (JSON type + format), whether the channel/category allows it, and when it is required.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from functools import cache
from itertools import product
from typing import Annotated, Any, Literal, cast

import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from acs.protocol import iso, urls
from acs.protocol.codes import (
    AuthenticationInd,
    DecReqInd,
    DeviceChannel,
    MessageCategory,
    MessageVersion,
    ThreeRIInd,
)

Message = Mapping[str, Any]

# ------------------------------------------------------------------------------ vocabulary


class Kind(Enum):
    """The JSON type a field must have."""

    STRING = "string"
    BOOLEAN = "boolean"
    OBJECT = "object"  # with a sub-table, or free-form when the table has none
    STRING_ARRAY = "array of strings"
    OBJECT_ARRAY = "array of objects"
    JSON = "any JSON value"


class Fmt(Enum):
    """Formats that need more than a regex."""

    DATE = "YYYYMMDD"
    YYMM = "YYMM"
    DATETIME = "YYYYMMDDHHMMSS"
    TIMESTAMP = "YYYYMMDDHHMM"
    UUID = "uuid"
    URL = "url"
    WEB_URL = "http(s) URL a browser can post to"  # acs.protocol.urls: CSP form-action host
    EMAIL = "email"
    IP = "ip"
    DEVICE_INFO = "base64url JSON object"
    EC_P256_JWK = "EC P-256 public JWK"


class Iso(Enum):
    """Registry checks applied after the format check; they have their own error codes."""

    COUNTRY = "ISO 3166-1 numeric"
    CURRENCY = "ISO 4217 numeric"
    MCC = "merchant category code"


@dataclass(frozen=True, slots=True)
class Condition:
    """A named predicate over the whole (top-level) message dict."""

    text: str
    test: Callable[[Message], bool]

    def __call__(self, message: Message) -> bool:
        return self.test(message)


Requirement = bool | Condition  # True = R, False = optional, Condition = C

V21, V22, V23 = MessageVersion.V2_1_0, MessageVersion.V2_2_0, MessageVersion.V2_3_1
ALL_VERSIONS = frozenset(MessageVersion)
UP_TO_22 = frozenset({V21, V22})
FROM_22 = frozenset({V22, V23})
ONLY_21, ONLY_22, ONLY_23 = frozenset({V21}), frozenset({V22}), frozenset({V23})

APP, BRW, RI = DeviceChannel.APP, DeviceChannel.BROWSER, DeviceChannel.THREE_RI
ALL_CHANNELS = frozenset(DeviceChannel)
ONLY_APP, ONLY_BRW, ONLY_3RI = frozenset({APP}), frozenset({BRW}), frozenset({RI})
APP_BRW = frozenset({APP, BRW})

ALL_CATEGORIES = frozenset(MessageCategory)
ONLY_PA = frozenset({MessageCategory.PAYMENT})

R = True  # required in every channel/category that allows the field


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One row of a field table."""

    name: str
    kind: Kind = Kind.STRING
    pattern: re.Pattern[str] | None = None
    values: frozenset[str] | None = None
    min_len: int = 1
    max_len: int | None = None
    fmt: Fmt | None = None
    int_range: tuple[int, int] | None = None  # numeric bounds of a digit string
    true_only: bool = False  # booleans that may only be true (payTokenInd)
    iso: Iso | None = None
    channels: frozenset[DeviceChannel] = ALL_CHANNELS
    categories: frozenset[MessageCategory] = ALL_CATEGORIES
    required: Requirement = False
    only_if: Condition | None = None  # present while this is false -> invalid
    sub: tuple[FieldSpec, ...] = ()
    min_items: int = 1
    max_items: int | None = None
    max_json_len: int | None = None  # length of the compact JSON encoding
    versions: frozenset[MessageVersion] = ALL_VERSIONS


def F(
    name: str, *, rx: str | None = None, values: Iterable[str] | None = None, **kw: Any
) -> FieldSpec:
    """Build a row; ``rx`` is anchored and ASCII-only, ``values`` an enumeration."""
    pattern = re.compile(rx, re.ASCII) if rx is not None else None
    vals = frozenset(values) if values is not None else None
    return FieldSpec(name=name, pattern=pattern, values=vals, **kw)


def _codes(first: int, last: int) -> frozenset[str]:
    return frozenset(f"{n:02d}" for n in range(first, last + 1))


# ------------------------------------------------------------------------------ conditions


def _present(value: Any) -> bool:
    """EMV treats absent, null and empty as missing."""
    return value is not None and value != "" and value != []


def _sub_value(message: Message, obj: str, name: str) -> Any:
    parent = message.get(obj)
    if isinstance(parent, dict):
        return parent.get(name)
    # the typed fast path (typed.py) hands its conditions sub-objects as Structs
    return getattr(parent, name, None) if isinstance(parent, msgspec.Struct) else None


def _is(name: str, *values: str) -> Callable[[Message], bool]:
    """``message[name]`` is one of ``values`` (plain strs, so StrEnum members work too)."""
    wanted = frozenset(str(v) for v in values)

    def test(message: Message) -> bool:
        value = message.get(name)
        return isinstance(value, str) and value in wanted

    return test


def _has(name: str) -> Condition:
    return Condition(f"{name} is present", lambda m: _present(m.get(name)))


_PA = _is("messageCategory", MessageCategory.PAYMENT)
_NPA = _is("messageCategory", MessageCategory.NON_PAYMENT)
_AUTH_RECURRING_OR_INSTALMENT = _is(
    "threeDSRequestorAuthenticationInd", AuthenticationInd.RECURRING, AuthenticationInd.INSTALMENT
)
_AUTH_PURCHASE_23 = _is(
    "threeDSRequestorAuthenticationInd",
    AuthenticationInd.RECURRING,
    AuthenticationInd.INSTALMENT,
    AuthenticationInd.BILLING_AGREEMENT,
    AuthenticationInd.SPLIT_SHIPMENT,
    AuthenticationInd.DELAYED_SHIPMENT,
)
_RI_PURCHASE_22 = _is(
    "threeRIInd",
    ThreeRIInd.RECURRING,
    ThreeRIInd.INSTALMENT,
    ThreeRIInd.SPLIT_DELAYED_SHIPMENT,
    ThreeRIInd.TOP_UP,
    ThreeRIInd.MAIL_ORDER,
    ThreeRIInd.TELEPHONE_ORDER,
    ThreeRIInd.OTHER_PAYMENT,
)
_RI_PURCHASE_23_EXTRA = _is("threeRIInd", "15")  # 2.3.1 value whose name was not retrieved
_RI_RECURRING_OR_INSTALMENT = _is("threeRIInd", ThreeRIInd.RECURRING, ThreeRIInd.INSTALMENT)
_AUTH_INSTALMENT = _is("threeDSRequestorAuthenticationInd", AuthenticationInd.INSTALMENT)
_RI_INSTALMENT = _is("threeRIInd", ThreeRIInd.INSTALMENT)

IS_PAYMENT = Condition("messageCategory is 01", _PA)
PURCHASE_21 = Condition(
    "messageCategory is 01, or 02 with threeDSRequestorAuthenticationInd 02/03",
    lambda m: _PA(m) or (_NPA(m) and _AUTH_RECURRING_OR_INSTALMENT(m)),
)
PURCHASE_22 = Condition(
    "messageCategory is 01, or 02 with authenticationInd 02/03 or threeRIInd 01/02/06-09/11",
    lambda m: _PA(m) or (_NPA(m) and (_AUTH_RECURRING_OR_INSTALMENT(m) or _RI_PURCHASE_22(m))),
)
PURCHASE_23 = Condition(
    "messageCategory is 01, or 02 with authenticationInd 02/03/07-09 or threeRIInd "
    "01/02/06-09/11/15",
    lambda m: (
        _PA(m)
        or (_NPA(m) and (_AUTH_PURCHASE_23(m) or _RI_PURCHASE_22(m) or _RI_PURCHASE_23_EXTRA(m)))
    ),
)
INSTALMENT_21 = Condition("threeDSRequestorAuthenticationInd is 03", _AUTH_INSTALMENT)
INSTALMENT_22 = Condition(
    "threeDSRequestorAuthenticationInd is 03 or threeRIInd is 02",
    lambda m: _AUTH_INSTALMENT(m) or _RI_INSTALMENT(m),
)
RECURRING_21 = Condition(
    "threeDSRequestorAuthenticationInd is 02/03", _AUTH_RECURRING_OR_INSTALMENT
)
RECURRING_22 = Condition(
    "threeDSRequestorAuthenticationInd is 02/03 or threeRIInd is 01/02",
    lambda m: _AUTH_RECURRING_OR_INSTALMENT(m) or _RI_RECURRING_OR_INSTALMENT(m),
)
RECURRING_AMOUNT_23 = Condition(
    "recurring/instalment transaction or recurringInd.amountInd is 01",
    lambda m: RECURRING_22(m) or _sub_value(m, "recurringInd", "amountInd") == "01",
)
FIXED_FREQUENCY_23 = Condition(
    "recurringInd.frequencyInd is 01",
    lambda m: _sub_value(m, "recurringInd", "frequencyInd") == "01",
)
JS_ENABLED = Condition(
    "browserJavascriptEnabled is true", lambda m: m.get("browserJavascriptEnabled") is True
)
DECOUPLED_22 = Condition(
    "threeDSRequestorDecReqInd is Y", _is("threeDSRequestorDecReqInd", DecReqInd.YES)
)
DECOUPLED_23 = Condition(
    "threeDSRequestorDecReqInd is Y, F or B",
    _is("threeDSRequestorDecReqInd", DecReqInd.YES, DecReqInd.FALLBACK, DecReqInd.BOTH),
)
PAY_TOKEN = Condition("payTokenInd is true", lambda m: m.get("payTokenInd") is True)
SPC_SUPPORT = Condition("threeDSRequestorSpcSupport is Y", _is("threeDSRequestorSpcSupport", "Y"))
DEFAULT_SDK = Condition("sdkType is 01", _is("sdkType", "01"))
SPLIT_SDK = Condition("sdkType is 02", _is("sdkType", "02"))
NO_SDK_ENC_DATA = Condition(
    "sdkEncData is absent (the DS forwards deviceInfo instead)",
    lambda m: not _present(m.get("sdkEncData")),
)

# ------------------------------------------------------------------------------ sub-tables

YN = ("Y", "N")
DIGITS3 = r"[0-9]{3}"
DS_CODES = r"|[89][0-9]"  # 80-99 are reserved for DS use in every EMV code list

PHONE: tuple[FieldSpec, ...] = (
    F("cc", rx=r"[0-9]{1,3}", required=R),
    F("subscriber", rx=r"[0-9]{1,15}", required=R),
)

ACCT_INFO: tuple[FieldSpec, ...] = (
    F("chAccAgeInd", values=_codes(1, 5)),
    F("chAccChange", fmt=Fmt.DATE),
    F("chAccChangeInd", values=_codes(1, 4)),
    F("chAccDate", fmt=Fmt.DATE),
    F("chAccPwChange", fmt=Fmt.DATE),
    F("chAccPwChangeInd", values=_codes(1, 5)),
    F("chAccReqID", max_len=64, versions=ONLY_23),
    F("nbPurchaseAccount", rx=r"[0-9]{1,4}"),
    F("paymentAccAge", fmt=Fmt.DATE),
    F("paymentAccInd", values=_codes(1, 5)),
    F("provisionAttemptsDay", rx=r"[0-9]{1,3}"),
    F("shipAddressUsage", fmt=Fmt.DATE),
    F("shipAddressUsageInd", values=_codes(1, 4)),
    F("shipNameIndicator", values=_codes(1, 2)),
    F("suspiciousAccActivity", values=_codes(1, 2)),
    F("txnActivityDay", rx=r"[0-9]{1,3}"),
    F("txnActivityYear", rx=r"[0-9]{1,3}"),
)

MERCHANT_RISK_INDICATOR: tuple[FieldSpec, ...] = (
    F("deliveryEmailAddress", fmt=Fmt.EMAIL, max_len=254),
    F("deliveryTimeframe", values=_codes(1, 4)),
    F("giftCardAmount", rx=r"[0-9]{1,15}"),
    F("giftCardCount", rx=r"[0-9]{2}"),
    F("giftCardCurr", rx=DIGITS3, iso=Iso.CURRENCY),
    F("preOrderDate", fmt=Fmt.DATE),
    F("preOrderPurchaseInd", values=_codes(1, 2)),
    F("reorderItemsInd", values=_codes(1, 2)),
    F("shipIndicator", values=_codes(1, 7), versions=UP_TO_22),
    F("shipIndicator", values=_codes(1, 9), versions=ONLY_23),
    F("transChar", kind=Kind.STRING_ARRAY, values=_codes(1, 2), max_items=2, versions=ONLY_23),
)

DEVICE_RENDER_OPTIONS: tuple[FieldSpec, ...] = (
    F("sdkInterface", values=_codes(1, 3), required=R),
    F("sdkUiType", kind=Kind.STRING_ARRAY, values=_codes(1, 5), max_items=5, required=R,
      versions=UP_TO_22),
    F("sdkUiType", kind=Kind.STRING_ARRAY, values=_codes(1, 7), max_items=7, required=R,
      versions=ONLY_23),
    F("sdkAuthenticationType", kind=Kind.STRING_ARRAY, rx=r"[0-9]{2}", max_items=99,
      versions=ONLY_23),
)  # fmt: skip

AUTH_INFO: tuple[FieldSpec, ...] = (
    F("threeDSReqAuthMethod", rx=r"0[1-6]" + DS_CODES, versions=ONLY_21),
    F("threeDSReqAuthMethod", rx=r"0[1-8]" + DS_CODES, versions=ONLY_22),
    F("threeDSReqAuthMethod", rx=r"0[1-9]|10" + DS_CODES, versions=ONLY_23),
    F("threeDSReqAuthTimestamp", fmt=Fmt.TIMESTAMP),
    F("threeDSReqAuthData", max_len=2048, versions=ONLY_21),
    F("threeDSReqAuthData", max_len=20000, versions=ONLY_22),
    F("threeDSReqAuthData", kind=Kind.JSON, max_json_len=50000, versions=ONLY_23),
    F("dsAuthInfVerifInd", rx=r"0[1-3]" + DS_CODES, versions=ONLY_23),
)

PRIOR_AUTH_INFO: tuple[FieldSpec, ...] = (
    F("threeDSReqPriorAuthData", max_len=2048),
    F("threeDSReqPriorAuthMethod", rx=r"0[1-4]" + DS_CODES, versions=UP_TO_22),
    F("threeDSReqPriorAuthMethod", rx=r"0[1-5]" + DS_CODES, versions=ONLY_23),
    F("threeDSReqPriorAuthTimestamp", fmt=Fmt.TIMESTAMP),
    F("threeDSReqPriorRef", max_len=36),
    F("threeDSReqPriorDsTransId", max_len=36, versions=ONLY_23),
)

MESSAGE_EXTENSION: tuple[FieldSpec, ...] = (
    F("name", max_len=64, required=R),
    F("id", max_len=64, required=R),
    F("criticalityIndicator", kind=Kind.BOOLEAN, required=R),
    F("data", kind=Kind.JSON, max_json_len=8059, required=R),
)

RECURRING_IND: tuple[FieldSpec, ...] = (
    F("amountInd", rx=r"[0-9]{2}"),
    F("frequencyInd", rx=r"[0-9]{2}"),
)

SELLER_INFO: tuple[FieldSpec, ...] = (
    F("sellerName", max_len=100, required=R),
    F("sellerId", max_len=50),
    F("sellerBusinessName", max_len=100),
    F("sellerAccDate", fmt=Fmt.DATE),
    F("sellerAddrLine1", max_len=50),
    F("sellerAddrLine2", max_len=50),
    F("sellerAddrLine3", max_len=50),
    F("sellerAddrCity", max_len=50),
    F("sellerAddrState", max_len=3),
    F("sellerAddrPostCode", max_len=16),
    F("sellerAddrCountry", rx=DIGITS3, iso=Iso.COUNTRY),
    F("sellerEmail", fmt=Fmt.EMAIL, max_len=254),
    F("sellerPhone", kind=Kind.OBJECT, sub=PHONE),
)

# ---------------------------------------------------------------------------- AReq table


def _address(prefix: str, country_required: Requirement) -> tuple[FieldSpec, ...]:
    return (
        F(f"{prefix}City", max_len=50),
        F(f"{prefix}Country", rx=DIGITS3, iso=Iso.COUNTRY, required=country_required),
        F(f"{prefix}Line1", max_len=50),
        F(f"{prefix}Line2", max_len=50),
        F(f"{prefix}Line3", max_len=50),
        F(f"{prefix}PostCode", max_len=16),
        F(f"{prefix}State", max_len=3),
    )


def _status_pair(
    status: str, source_rx: str, versions: frozenset[MessageVersion], status_values: Iterable[str]
) -> tuple[FieldSpec, ...]:
    """A status field and its ``...Source``, which belongs only beside a status."""
    has = _has(status)
    return (
        F(status, values=status_values, versions=versions),
        F(f"{status}Source", rx=source_rx, required=has, only_if=has, versions=versions),
    )


_BROWSER_COLOR_DEPTHS = ("1", "4", "8", "15", "16", "24", "32", "48")

AREQ: tuple[FieldSpec, ...] = (
    # envelope (checked first, with their own error codes, by validate.py)
    F("messageType", values=("AReq",), required=R),
    F("messageVersion", values=[v.value for v in MessageVersion], required=R),
    F("deviceChannel", rx=r"0[1-3]" + DS_CODES, required=R),
    F("messageCategory", rx=r"0[1-2]" + DS_CODES, required=R),
    # IDs and routing; ds* are added by the DS and always present on the DS -> ACS leg
    F("threeDSServerTransID", fmt=Fmt.UUID, required=R),
    F("dsTransID", fmt=Fmt.UUID, required=R),
    F("dsReferenceNumber", max_len=32, required=R),
    F("dsURL", fmt=Fmt.URL, max_len=2048),
    F("sdkTransID", fmt=Fmt.UUID, channels=ONLY_APP, required=R),
    F("threeDSServerRefNumber", max_len=32, required=R),
    F("threeDSServerOperatorID", max_len=32),
    F("threeDSServerURL", fmt=Fmt.URL, max_len=2048, required=R),
    # 3DS Requestor
    F("threeDSRequestorID", max_len=35, required=R),
    F("threeDSRequestorName", max_len=40, required=R),
    F("threeDSRequestorURL", fmt=Fmt.URL, max_len=2048, required=R),
    F("threeDSRequestorAuthenticationInd", rx=r"0[1-6]" + DS_CODES, channels=APP_BRW,
      required=R, versions=ONLY_21),
    F("threeDSRequestorAuthenticationInd", rx=r"0[1-7]" + DS_CODES, channels=APP_BRW,
      required=R, versions=ONLY_22),
    F("threeDSRequestorAuthenticationInd", rx=r"0[1-9]|10" + DS_CODES, channels=APP_BRW,
      required=R, versions=ONLY_23),
    F("threeDSRequestorAuthenticationInfo", kind=Kind.OBJECT, sub=AUTH_INFO,
      versions=UP_TO_22),
    F("threeDSRequestorAuthenticationInfo", kind=Kind.OBJECT_ARRAY, sub=AUTH_INFO,
      max_items=3, versions=ONLY_23),
    F("threeDSRequestorChallengeInd", rx=r"0[1-4]" + DS_CODES, channels=APP_BRW,
      versions=ONLY_21),
    F("threeDSRequestorChallengeInd", rx=r"0[1-9]" + DS_CODES, channels=APP_BRW,
      versions=ONLY_22),
    F("threeDSRequestorChallengeInd", kind=Kind.STRING_ARRAY, rx=r"0[1-9]|1[0-4]" + DS_CODES,
      max_items=2, versions=ONLY_23),
    F("threeDSRequestorDecReqInd", values=YN, versions=ONLY_22),
    F("threeDSRequestorDecReqInd", values=[d.value for d in DecReqInd], versions=ONLY_23),
    F("threeDSRequestorDecMaxTime", rx=r"[0-9]{5}", int_range=(1, 10080),
      required=DECOUPLED_22, versions=ONLY_22),
    F("threeDSRequestorDecMaxTime", rx=r"[0-9]{5}", int_range=(1, 10080),
      required=DECOUPLED_23, versions=ONLY_23),
    F("threeDSRequestorPriorAuthenticationInfo", kind=Kind.OBJECT, sub=PRIOR_AUTH_INFO,
      versions=UP_TO_22),
    F("threeDSRequestorPriorAuthenticationInfo", kind=Kind.OBJECT_ARRAY, sub=PRIOR_AUTH_INFO,
      max_items=3, versions=ONLY_23),
    F("threeDSReqAuthMethodInd", rx=r"0[1-3]" + DS_CODES, channels=APP_BRW, versions=FROM_22),
    F("threeRIInd", rx=r"0[1-5]" + DS_CODES, channels=ONLY_3RI, required=R, versions=ONLY_21),
    F("threeRIInd", rx=r"0[1-9]|1[0-2]" + DS_CODES, channels=ONLY_3RI, required=R,
      versions=ONLY_22),
    F("threeRIInd", rx=r"0[1-9]|1[0-9]" + DS_CODES, channels=ONLY_3RI, required=R,
      versions=ONLY_23),
    F("threeDSCompInd", values=("Y", "N", "U"), channels=ONLY_BRW, required=R),
    F("threeDSMethodId", fmt=Fmt.UUID, channels=ONLY_BRW, versions=ONLY_23),
    F("threeDSRequestorSpcSupport", values=("Y",), channels=ONLY_BRW, versions=ONLY_23),
    F("spcIncompInd", rx=r"[0-9]{2}", channels=ONLY_BRW, versions=ONLY_23),
    F("payeeOrigin", fmt=Fmt.URL, max_len=2048, required=SPC_SUPPORT, versions=ONLY_23),
    F("notificationURL", fmt=Fmt.WEB_URL, max_len=256, channels=ONLY_BRW, required=R),
    # card
    F("acctNumber", rx=r"[0-9]{13,19}", required=R),
    F("acctType", rx=r"0[1-3]" + DS_CODES),
    F("acctID", max_len=64),
    F("acctInfo", kind=Kind.OBJECT, sub=ACCT_INFO),
    F("cardExpiryDate", fmt=Fmt.YYMM),
    *_status_pair("cardSecurityCodeStatus", r"0[12]", ONLY_23, ("Y", "N", "U")),
    F("cardSecurityCode", rx=r"[0-9]{3,4}", versions=ONLY_23),
    # merchant and acquirer
    F("acquirerBIN", max_len=11, required=IS_PAYMENT),
    F("acquirerMerchantID", max_len=35, required=IS_PAYMENT),
    F("acquirerCountryCode", rx=DIGITS3, iso=Iso.COUNTRY, versions=ONLY_23),
    F("acquirerCountryCodeSource", rx=r"[0-9]{2}", versions=ONLY_23),
    F("mcc", rx=r"[0-9]{4}", iso=Iso.MCC, required=IS_PAYMENT),
    F("merchantCountryCode", rx=DIGITS3, iso=Iso.COUNTRY, required=IS_PAYMENT),
    F("merchantName", max_len=40, required=IS_PAYMENT),
    F("merchantRiskIndicator", kind=Kind.OBJECT, sub=MERCHANT_RISK_INDICATOR),
    # purchase (2.1.0: not for 3RI)
    F("purchaseAmount", rx=r"[0-9]{1,48}", channels=APP_BRW, required=PURCHASE_21,
      versions=ONLY_21),
    F("purchaseAmount", rx=r"[0-9]{1,48}", required=PURCHASE_22, versions=ONLY_22),
    F("purchaseAmount", rx=r"[0-9]{1,48}", required=PURCHASE_23, versions=ONLY_23),
    F("purchaseCurrency", rx=DIGITS3, iso=Iso.CURRENCY, channels=APP_BRW, required=PURCHASE_21,
      versions=ONLY_21),
    F("purchaseCurrency", rx=DIGITS3, iso=Iso.CURRENCY, required=PURCHASE_22, versions=ONLY_22),
    F("purchaseCurrency", rx=DIGITS3, iso=Iso.CURRENCY, required=PURCHASE_23, versions=ONLY_23),
    F("purchaseExponent", rx=r"[0-9]", channels=APP_BRW, required=PURCHASE_21, versions=ONLY_21),
    F("purchaseExponent", rx=r"[0-9]", required=PURCHASE_22, versions=ONLY_22),
    F("purchaseExponent", rx=r"[0-9]", required=PURCHASE_23, versions=ONLY_23),
    F("purchaseDate", fmt=Fmt.DATETIME, channels=APP_BRW, required=PURCHASE_21,
      versions=ONLY_21),
    F("purchaseDate", fmt=Fmt.DATETIME, required=PURCHASE_22, versions=ONLY_22),
    F("purchaseDate", fmt=Fmt.DATETIME, required=PURCHASE_23, versions=ONLY_23),
    F("purchaseInstalData", rx=r"[0-9]{1,3}", int_range=(2, 999), channels=APP_BRW,
      required=INSTALMENT_21, versions=ONLY_21),
    F("purchaseInstalData", rx=r"[0-9]{1,3}", int_range=(2, 999), required=INSTALMENT_22,
      versions=FROM_22),
    F("transType", values=("01", "03", "10", "11", "28"), channels=APP_BRW, categories=ONLY_PA,
      versions=ONLY_21),
    F("transType", values=("01", "03", "10", "11", "28"), categories=ONLY_PA,
      versions=FROM_22),
    # recurring
    F("recurringExpiry", fmt=Fmt.DATE, channels=APP_BRW, required=RECURRING_21,
      versions=ONLY_21),
    F("recurringExpiry", fmt=Fmt.DATE, required=RECURRING_22, versions=ONLY_22),
    F("recurringExpiry", fmt=Fmt.DATE, versions=ONLY_23),
    F("recurringFrequency", rx=r"[0-9]{1,4}", channels=APP_BRW, required=RECURRING_21,
      versions=ONLY_21),
    F("recurringFrequency", rx=r"[0-9]{1,4}", required=RECURRING_22, versions=ONLY_22),
    F("recurringFrequency", rx=r"[0-9]{1,4}", required=FIXED_FREQUENCY_23, versions=ONLY_23),
    F("recurringAmount", rx=r"[0-9]{1,48}", required=RECURRING_AMOUNT_23, versions=ONLY_23),
    F("recurringCurrency", rx=DIGITS3, iso=Iso.CURRENCY, required=_has("recurringAmount"),
      versions=ONLY_23),
    F("recurringExponent", rx=r"[0-9]", required=_has("recurringAmount"), versions=ONLY_23),
    F("recurringDate", fmt=Fmt.DATE, required=FIXED_FREQUENCY_23, versions=ONLY_23),
    F("recurringInd", kind=Kind.OBJECT, sub=RECURRING_IND, required=RECURRING_22,
      versions=ONLY_23),
    # tokens, trust lists, device binding, misc 2.3.1 data
    F("payTokenInd", kind=Kind.BOOLEAN, true_only=True),
    F("payTokenSource", rx=r"0[1-2]" + DS_CODES, required=PAY_TOKEN, only_if=PAY_TOKEN,
      versions=FROM_22),
    F("payTokenInfo", kind=Kind.JSON, max_json_len=10000, versions=ONLY_23),
    *_status_pair("whiteListStatus", r"0[1-3]" + DS_CODES, ONLY_22, YN),
    *_status_pair("trustListStatus", r"0[1-3]" + DS_CODES, ONLY_23, YN),
    *_status_pair("deviceBindingStatus", r"0[1-3]", ONLY_23, _codes(1, 15)),
    F("multiTransaction", kind=Kind.JSON, max_json_len=10000, versions=ONLY_23),
    F("sellerInfo", kind=Kind.OBJECT_ARRAY, sub=SELLER_INFO, max_items=50, versions=ONLY_23),
    F("taxId", max_len=45, versions=ONLY_23),
    # Broadcast information: an optional JSON object of at most 4096 characters in every
    # version (emv3ds.md 3.1 gives no version; EMVCo's own 2.1.0 sample AReq carries one)
    F("broadInfo", kind=Kind.OBJECT, max_json_len=4096),
    F("messageExtension", kind=Kind.OBJECT_ARRAY, sub=MESSAGE_EXTENSION, max_items=10,
      max_json_len=81920, versions=UP_TO_22),
    F("messageExtension", kind=Kind.OBJECT_ARRAY, sub=MESSAGE_EXTENSION, max_items=15,
      max_json_len=81920, versions=ONLY_23),
    # cardholder
    F("cardholderName", min_len=2, max_len=45),
    F("email", fmt=Fmt.EMAIL, max_len=254),
    F("homePhone", kind=Kind.OBJECT, sub=PHONE),
    F("mobilePhone", kind=Kind.OBJECT, sub=PHONE),
    F("workPhone", kind=Kind.OBJECT, sub=PHONE),
    F("addrMatch", values=YN, channels=APP_BRW),
    *_address("billAddr", False),
    *_address("shipAddr", _has("shipAddrState")),
    # browser
    F("browserAcceptHeader", max_len=2048, channels=ONLY_BRW, required=R),
    F("browserUserAgent", max_len=2048, channels=ONLY_BRW, required=R),
    F("browserIP", fmt=Fmt.IP, max_len=45, channels=ONLY_BRW),
    F("browserJavascriptEnabled", kind=Kind.BOOLEAN, channels=ONLY_BRW, required=R,
      versions=FROM_22),
    F("browserJavaEnabled", kind=Kind.BOOLEAN, channels=ONLY_BRW, required=R,
      versions=ONLY_21),
    F("browserJavaEnabled", kind=Kind.BOOLEAN, channels=ONLY_BRW, required=JS_ENABLED,
      versions=FROM_22),
    F("browserLanguage", max_len=8, channels=ONLY_BRW, required=R, versions=UP_TO_22),
    F("browserLanguage", max_len=35, channels=ONLY_BRW, required=JS_ENABLED, versions=ONLY_23),
    F("browserColorDepth", values=_BROWSER_COLOR_DEPTHS, channels=ONLY_BRW, required=R,
      versions=ONLY_21),
    F("browserColorDepth", values=_BROWSER_COLOR_DEPTHS, channels=ONLY_BRW,
      required=JS_ENABLED, versions=ONLY_22),
    F("browserColorDepth", rx=r"[0-9]{1,2}", int_range=(1, 99), channels=ONLY_BRW,
      required=JS_ENABLED, versions=ONLY_23),
    F("browserScreenHeight", rx=r"[0-9]{1,6}", channels=ONLY_BRW, required=R, versions=ONLY_21),
    F("browserScreenHeight", rx=r"[0-9]{1,6}", channels=ONLY_BRW, required=JS_ENABLED,
      versions=FROM_22),
    F("browserScreenWidth", rx=r"[0-9]{1,6}", channels=ONLY_BRW, required=R, versions=ONLY_21),
    F("browserScreenWidth", rx=r"[0-9]{1,6}", channels=ONLY_BRW, required=JS_ENABLED,
      versions=FROM_22),
    F("browserTZ", rx=r"[+-]?[0-9]{1,4}", channels=ONLY_BRW, required=R, versions=ONLY_21),
    F("browserTZ", rx=r"[+-]?[0-9]{1,4}", channels=ONLY_BRW, required=JS_ENABLED,
      versions=FROM_22),
    F("acceptLanguage", kind=Kind.STRING_ARRAY, max_len=100, max_items=99, channels=ONLY_BRW,
      versions=ONLY_23),
    F("deviceId", max_len=64, channels=ONLY_BRW, versions=ONLY_23),
    F("userId", max_len=64, channels=ONLY_BRW, versions=ONLY_23),
    # app (the DS replaces sdkEncData by the decrypted deviceInfo; accept either)
    F("sdkAppID", fmt=Fmt.UUID, channels=ONLY_APP, required=R),
    F("sdkEncData", max_len=64000, channels=ONLY_APP),
    F("deviceInfo", fmt=Fmt.DEVICE_INFO, max_len=64000, channels=ONLY_APP,
      required=NO_SDK_ENC_DATA),
    F("sdkEphemPubKey", kind=Kind.OBJECT, fmt=Fmt.EC_P256_JWK, max_json_len=256,
      channels=ONLY_APP, required=R),
    F("sdkMaxTimeout", rx=r"[0-9]{2}", int_range=(5, 99), channels=ONLY_APP, required=R),
    F("sdkReferenceNumber", max_len=32, channels=ONLY_APP, required=R),
    F("deviceRenderOptions", kind=Kind.OBJECT, sub=DEVICE_RENDER_OPTIONS, channels=ONLY_APP,
      required=R),
    F("sdkType", rx=r"0[12]" + DS_CODES, channels=ONLY_APP, required=R, versions=ONLY_23),
    F("defaultSdkType", kind=Kind.OBJECT, channels=ONLY_APP, required=DEFAULT_SDK,
      only_if=DEFAULT_SDK, versions=ONLY_23),
    F("splitSdkType", kind=Kind.OBJECT, channels=ONLY_APP, required=SPLIT_SDK,
      only_if=SPLIT_SDK, versions=ONLY_23),
    F("sdkServerSignedContent", max_len=4000, channels=ONLY_APP, required=SPLIT_SDK,
      only_if=SPLIT_SDK, versions=ONLY_23),
    F("sdkSignatureTimestamp", fmt=Fmt.DATETIME, channels=ONLY_APP, versions=ONLY_23),
    F("appIp", fmt=Fmt.IP, max_len=45, channels=ONLY_APP, versions=ONLY_23),
)  # fmt: skip

# Fields validate.py checks before the table walk, with their own error codes.
ENVELOPE = frozenset({"messageType", "messageVersion", "deviceChannel", "messageCategory"})


def _for_version(rows: Iterable[FieldSpec], version: MessageVersion) -> tuple[FieldSpec, ...]:
    return tuple(
        replace(row, sub=_for_version(row.sub, version)) if row.sub else row
        for row in rows
        if version in row.versions
    )


AREQ_FIELDS: Mapping[MessageVersion, tuple[FieldSpec, ...]] = {
    v: _for_version(AREQ, v) for v in MessageVersion
}
"""The AReq field table of each version (the rows of ``AREQ`` tagged with that version)."""

AREQ_FIELD_NAMES: frozenset[str] = frozenset(row.name for row in AREQ)
"""Every top-level name any supported version defines; other names are ignored."""

# ---------------------------------------------------------------------------- format checks

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_URL = re.compile(r"https?://[^\s/?#@]+(?:[/?#]\S*)?", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
# Dotted-quad IPv4 without leading zeros: every match is accepted by ``ipaddress`` (fast path).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


def is_uuid(value: object) -> bool:
    """Canonical 36-char 8-4-4-4-12 hex UUID (any version, as EMV allows)."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


# The date formats: a fixed number of ASCII digits (``isdigit`` alone also accepts the digits of
# other scripts, hence ``isascii``), read as one int and split arithmetically.


def _real_date(yyyymmdd: int) -> bool:
    try:
        date(yyyymmdd // 10000, yyyymmdd // 100 % 100, yyyymmdd % 100)
    except ValueError:
        return False
    return True


def _is_date(value: str) -> bool:
    return len(value) == 8 and value.isdigit() and value.isascii() and _real_date(int(value))


def _is_yymm(value: str) -> bool:
    return len(value) == 4 and value.isdigit() and value.isascii() and 1 <= int(value) % 100 <= 12


def _is_datetime(value: str) -> bool:
    if not (len(value) == 14 and value.isdigit() and value.isascii()):
        return False
    n = int(value)
    return (
        _real_date(n // 1_000_000)
        and n // 10000 % 100 < 24
        and n // 100 % 100 < 60
        and n % 100 < 60
    )


def _is_timestamp(value: str) -> bool:
    if not (len(value) == 12 and value.isdigit() and value.isascii()):
        return False
    n = int(value)
    return _real_date(n // 10000) and n // 100 % 100 < 24 and n % 100 < 60


def _is_ip(value: str) -> bool:
    if _IPV4.fullmatch(value) is not None:
        return True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _b64url_decode(value: object) -> bytes | None:
    """Decode padded or unpadded base64url; None when it is not base64url."""
    if not isinstance(value, str) or _B64URL.fullmatch(value) is None:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _is_device_info(value: str) -> bool:
    """``deviceInfo`` as the DS forwards it: base64url of a JSON object."""
    raw = _b64url_decode(value)
    if raw is None:
        return False
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return isinstance(decoded, dict)


def _coordinate(value: object) -> int | None:
    raw = _b64url_decode(value)
    return int.from_bytes(raw, "big") if raw and len(raw) <= 32 else None


def is_p256_public_jwk(value: object) -> bool:
    """A public EC JWK on curve P-256 whose point is on the curve (checked by cryptography)."""
    if not isinstance(value, dict) or value.get("kty") != "EC" or value.get("crv") != "P-256":
        return False
    x, y = _coordinate(value.get("x")), _coordinate(value.get("y"))
    if x is None or y is None:
        return False
    try:
        ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except ValueError:
        return False
    return True


_STRING_FORMATS: Mapping[Fmt, Callable[[str], bool]] = {
    Fmt.DATE: _is_date,
    Fmt.YYMM: _is_yymm,
    Fmt.DATETIME: _is_datetime,
    Fmt.TIMESTAMP: _is_timestamp,
    Fmt.UUID: lambda v: _UUID.fullmatch(v) is not None,
    Fmt.URL: lambda v: _URL.fullmatch(v) is not None,
    Fmt.WEB_URL: urls.is_web_url,  # the final page posts the CRes there (CSP form-action)
    Fmt.EMAIL: lambda v: _EMAIL.fullmatch(v) is not None,
    Fmt.IP: _is_ip,
    Fmt.DEVICE_INFO: _is_device_info,
}


# The fixed-length formats as one exact regex each (real calendar dates, leap years included),
# for the fast checks: a C-level ``fullmatch`` that raises TypeError for a non-string.
_MONTH_DAY = (
    r"(?:(?:0[1-9]|1[0-2])(?:0[1-9]|1[0-9]|2[0-8])"  # every month has days 01-28
    r"|(?:0[13-9]|1[0-2])(?:29|30)"  # all but February have 29 and 30
    r"|(?:0[13578]|1[02])31)"
)
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DATE_RX = rf"(?!0000)(?:[0-9]{{4}}{_MONTH_DAY}|{_LEAP_YEAR}0229)"  # no year 0 in ``date``
_HHMM_RX = r"(?:[01][0-9]|2[0-3])[0-5][0-9]"
_FORMAT_PATTERNS: Mapping[Fmt, re.Pattern[str]] = {
    Fmt.DATE: re.compile(_DATE_RX),
    Fmt.TIMESTAMP: re.compile(_DATE_RX + _HHMM_RX),
    Fmt.DATETIME: re.compile(_DATE_RX + _HHMM_RX + "[0-5][0-9]"),
    Fmt.YYMM: re.compile(r"[0-9]{2}(?:0[1-9]|1[0-2])"),
    Fmt.UUID: _UUID,
    Fmt.URL: _URL,
    Fmt.EMAIL: _EMAIL,
}
"""Per format, when there is one: a pattern accepting exactly what ``_STRING_FORMATS`` does."""


def json_length(value: object) -> int | None:
    """Length of the compact JSON encoding, or None when it cannot be encoded (bad Unicode)."""
    try:
        return len(msgspec.json.encode(value))
    except (msgspec.EncodeError, ValueError, OverflowError):
        return None


# ------------------------------------------------------------------------- check compiler

Check = Callable[[object], bool]
StrPredicate = Callable[[str], bool]

# Most EMV code patterns denote a small finite set of strings (``0[1-7]|[89][0-9]``, ``[0-9]{3}``):
# those are expanded once into a frozenset, so the check is one lookup instead of a regex run.
_FINITE_LIMIT = 1200  # [0-9]{1,3} has 1110 words; [0-9]{4} (10000) stays a digit-run check
_ATOM = re.compile(
    r"(\[(?:[0-9A-Za-z](?:-[0-9A-Za-z])?)+\]|[0-9A-Za-z])(?:\{([0-9]+)(?:,([0-9]+))?\})?"
)
_CLASS_PART = re.compile(r"([0-9A-Za-z])(?:-([0-9A-Za-z]))?")
_ASCII_DIGITS = "0123456789"
_PLAIN_FLAGS = re.ASCII | re.UNICODE

Atom = tuple[str, int, int]  # the characters an atom matches, and its min and max repeat


def _class_chars(token: str) -> str:
    """The characters of a ``[...]`` class made of literals and ranges (``[0-69]``)."""
    chars: set[str] = set()
    for first, last in _CLASS_PART.findall(token[1:-1]):
        chars.update(map(chr, range(ord(first), ord(last or first) + 1)))
    return "".join(sorted(chars))


@cache
def _pattern_atoms(source: str, flags: int) -> tuple[tuple[Atom, ...], ...] | None:
    """The alternatives of a pattern built only from alphanumeric literals and classes, each
    optionally counted ``{n}``/``{n,m}`` (``0[1-9]|1[0-4]``); None for any other pattern."""
    if flags & ~_PLAIN_FLAGS:
        return None
    alternatives: list[tuple[Atom, ...]] = []
    for alternative in source.split("|"):
        atoms: list[Atom] = []
        pos = 0
        while pos < len(alternative):
            m = _ATOM.match(alternative, pos)
            if m is None:
                return None
            token, low, high = m.groups()
            chars = _class_chars(token) if token.startswith("[") else token
            count = int(low) if low is not None else 1
            atoms.append((chars, count, int(high) if high is not None else count))
            pos = m.end()
        if not atoms:
            return None
        alternatives.append(tuple(atoms))
    return tuple(alternatives)


@cache
def _finite_language(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Every string ``pattern.fullmatch`` accepts, when that is a small set; else None."""
    alternatives = _pattern_atoms(pattern.pattern, pattern.flags)
    if alternatives is None:
        return None
    words: set[str] = set()
    for atoms in alternatives:
        partial = [""]
        for chars, low, high in atoms:
            if len(partial) * sum(len(chars) ** k for k in range(low, high + 1)) > _FINITE_LIMIT:
                return None
            pieces = ["".join(p) for k in range(low, high + 1) for p in product(chars, repeat=k)]
            partial = [head + piece for head in partial for piece in pieces]
        words.update(partial)
    if len(words) > _FINITE_LIMIT:
        return None
    return frozenset(words)


def _digit_run(pattern: re.Pattern[str]) -> tuple[int, int] | None:
    """(min, max) when the pattern is just ``[0-9]{min,max}``."""
    alternatives = _pattern_atoms(pattern.pattern, pattern.flags)
    if alternatives is None or len(alternatives) != 1 or len(alternatives[0]) != 1:
        return None
    chars, low, high = alternatives[0][0]
    return (low, high) if chars == _ASCII_DIGITS else None


def _both(first: StrPredicate | None, second: StrPredicate | None) -> StrPredicate | None:
    """The conjunction of two optional predicates, as one closure (no ``all()`` per value)."""
    if first is None:
        return second
    if second is None:
        return first
    return lambda v: first(v) and second(v)


def _int_range_ok(spec: FieldSpec) -> StrPredicate | None:
    if spec.int_range is None:
        return None
    first, last = spec.int_range
    return lambda v: v.isascii() and v.isdigit() and first <= int(v) <= last


def _string_rest(spec: FieldSpec, extra: StrPredicate | None) -> StrPredicate | None:
    """The checks of a string besides its type, length and pattern, as one predicate."""
    fmt = _STRING_FORMATS[spec.fmt] if spec.fmt is not None else None
    enumerated = spec.values.__contains__ if spec.values is not None else None
    return _both(_both(_both(enumerated, _int_range_ok(spec)), fmt), extra)


def _string_words(spec: FieldSpec, extra: StrPredicate | None = None) -> frozenset[str] | None:
    """The valid strings of a row when they are a small known set (enumeration or pattern)."""
    if spec.values is not None and spec.pattern is None and spec.fmt is None:
        # An enumeration alone: the length limits do not apply (as the table means it).
        return spec.values if extra is None else frozenset(filter(extra, spec.values))
    language = _finite_language(spec.pattern) if spec.pattern is not None else None
    if language is None:
        return None
    lo, hi = spec.min_len, spec.max_len if spec.max_len is not None else 1 << 62
    rest = _string_rest(spec, extra)
    return frozenset(w for w in language if lo <= len(w) <= hi and (rest is None or rest(w)))


def _string_check(spec: FieldSpec, extra: StrPredicate | None = None) -> Check:
    """Type, length, regex, enumeration and format checks of a string, fused in one closure.

    ``extra`` is one more predicate on the string (a registry check, for the fast path). The
    common shapes get their own lambda: this runs for every field of every AReq.
    """
    words = _string_words(spec, extra)
    if words is not None:
        return lambda v: isinstance(v, str) and v in words
    lo, hi = spec.min_len, spec.max_len if spec.max_len is not None else 1 << 62
    rest = _string_rest(spec, extra)
    if spec.pattern is None:
        if rest is None:
            return lambda v: isinstance(v, str) and lo <= len(v) <= hi
        return lambda v: isinstance(v, str) and lo <= len(v) <= hi and rest(v)
    run = _digit_run(spec.pattern)
    if run is not None and max(lo, run[0]) >= 1:
        short, long = max(lo, run[0]), min(hi, run[1])
        if rest is None:
            return lambda v: (
                isinstance(v, str) and short <= len(v) <= long and v.isdigit() and v.isascii()
            )
        return lambda v: (
            isinstance(v, str)
            and short <= len(v) <= long
            and v.isdigit()
            and v.isascii()
            and rest(v)
        )
    match = spec.pattern.fullmatch
    if rest is None:
        return lambda v: isinstance(v, str) and lo <= len(v) <= hi and match(v) is not None
    return lambda v: isinstance(v, str) and lo <= len(v) <= hi and match(v) is not None and rest(v)


def _json_len_ok(spec: FieldSpec) -> Check:
    limit = spec.max_json_len
    if limit is None:
        return lambda v: True
    return lambda v: (n := json_length(v)) is not None and n <= limit


def _items_ok(spec: FieldSpec) -> Callable[[list[Any]], bool]:
    lo, hi = spec.min_items, spec.max_items if spec.max_items is not None else 1 << 62
    return lambda v: lo <= len(v) <= hi


def build_check(spec: FieldSpec) -> Check:
    """One closure validating the JSON type and format of a present value."""
    if spec.kind is Kind.BOOLEAN:
        return (lambda v: v is True) if spec.true_only else (lambda v: v is True or v is False)
    if spec.kind is Kind.STRING:
        return _string_check(spec)
    json_ok, items_ok = _json_len_ok(spec), _items_ok(spec)
    if spec.kind is Kind.STRING_ARRAY:
        item_ok = _string_check(spec)
        return lambda v: isinstance(v, list) and items_ok(v) and all(item_ok(i) for i in v)
    if spec.kind is Kind.OBJECT_ARRAY:
        return lambda v: (
            isinstance(v, list)
            and items_ok(v)
            and all(isinstance(i, dict) for i in v)
            and json_ok(v)
        )
    if spec.kind is Kind.OBJECT:
        if spec.fmt is Fmt.EC_P256_JWK:
            return lambda v: isinstance(v, dict) and json_ok(v) and is_p256_public_jwk(v)
        if spec.max_json_len is None:
            return lambda v: isinstance(v, dict)
        return lambda v: isinstance(v, dict) and json_ok(v)
    return json_ok  # Kind.JSON: any value, bounded size


_REGISTRY_CHECKS: Mapping[Iso, StrPredicate] = {
    Iso.COUNTRY: iso.is_country,
    Iso.CURRENCY: iso.is_currency,
    Iso.MCC: iso.is_valid_mcc,
}
_EMPTY_VALUES: tuple[object, ...] = (None, "", [])


def is_empty(value: object) -> bool:
    """EMV reads null, "" and [] as absent."""
    return value is None or value == "" or value == []


def _reject(value: object) -> bool:
    return False


def build_fast_check(spec: FieldSpec, check: Check) -> Check:
    """``check`` and the registry check in one closure that is false for every empty value:
    true when the walk has nothing to do for a present value of the row, false when it must
    look closer (the full path then reports). Strings mostly use ``_string_split`` instead."""
    registry = _registry(spec)
    if registry is not None and spec.kind is not Kind.STRING:
        raise ValueError(f"{spec.name}: registry checks apply to strings")
    fast = check if registry is None else _string_check(spec, registry)
    if any(fast(e) for e in _EMPTY_VALUES):
        accepts_empty = fast
        fast = lambda v: not is_empty(v) and accepts_empty(v)  # noqa: E731
    return fast


def _registry(spec: FieldSpec) -> StrPredicate | None:
    return _REGISTRY_CHECKS[spec.iso] if spec.iso is not None else None


# ------------------------------------------------------------------------------- plans


@dataclass(frozen=True, slots=True)
class CompiledField:
    """A row resolved for one (version, channel, category)."""

    name: str
    path: str  # dotted, for errorDetail (acctInfo.chAccDate)
    spec: FieldSpec
    check: Check
    allowed: bool
    required: Requirement
    sub: ObjectPlan | None
    only_if: Condition | None  # copied from spec: read on the hot path
    iso: Iso | None
    # For the fast path: ``check`` + registry check (+ the sub-object's fast path), false for
    # empty values and for fields not allowed here. ``only_if`` is left to ``fast_accepts``.
    fast: Check = _reject


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """How to validate one JSON object (the message or a sub-object)."""

    fields: Mapping[str, CompiledField]
    foreign: frozenset[str]  # defined by another version only -> invalid here
    required: tuple[CompiledField, ...]  # rows that may be required (R or C)
    # per foreign name, the element as each version that defines it has it (lenient profile)
    foreign_fields: Mapping[str, tuple[CompiledField, ...]] = field(default_factory=dict)
    not_allowed_reason: Mapping[str, str] = field(default_factory=dict)
    always: tuple[CompiledField, ...] = ()  # the R rows of ``required``
    conditional: tuple[tuple[CompiledField, Callable[[Message], bool]], ...] = ()
    always_names: frozenset[str] = frozenset()
    conditional_names: frozenset[str] = frozenset()
    conditional_tests: Mapping[str, Callable[[Message], bool]] = field(default_factory=dict)
    # The fast path (``fast_accepts``): the shape, then per present name the checks it leaves.
    shape: type[msgspec.Struct] | None = None
    post: tuple[tuple[str, Check], ...] = ()  # Python checks of members the shape types Any
    nested: tuple[tuple[str, ObjectPlan], ...] = ()  # sub-objects typed by their own shape
    deep: tuple[tuple[str, str, Check], ...] = ()  # ``post`` of simple nested ones, inlined
    only_if: tuple[tuple[str, Condition], ...] = ()  # present only if the condition holds


def _allowed(
    spec: FieldSpec, channel: DeviceChannel | None, category: MessageCategory | None
) -> bool:
    return (channel is None or channel in spec.channels) and (
        category is None or category in spec.categories
    )


def _requirement(
    spec: FieldSpec, channel: DeviceChannel | None, category: MessageCategory | None
) -> Requirement:
    """Requirement in this context; with an unknown channel/category only universal rules hold."""
    if not _allowed(spec, channel, category):
        return False
    universal = spec.channels == ALL_CHANNELS and spec.categories == ALL_CATEGORIES
    if (channel is None or category is None) and not universal:
        return False
    return spec.required


def _reason(
    spec: FieldSpec, channel: DeviceChannel | None, category: MessageCategory | None
) -> str:
    if channel is not None and channel not in spec.channels:
        return f"not allowed for deviceChannel {channel.value}"
    return f"not allowed for messageCategory {category.value if category else '?'}"


def compile_object(
    rows: tuple[FieldSpec, ...],
    version: MessageVersion,
    channel: DeviceChannel | None,
    category: MessageCategory | None,
    prefix: str = "",
    skip: frozenset[str] = frozenset(),
) -> ObjectPlan:
    """Resolve the rows of every version for one context into an ``ObjectPlan``."""
    mine = [r for r in rows if version in r.versions and r.name not in skip]
    names = {r.name for r in mine}
    compiled: dict[str, CompiledField] = {}
    reasons: dict[str, str] = {}
    for spec in mine:
        sub_rows = tuple(s for r in rows if r.name == spec.name for s in r.sub)
        sub = (
            compile_object(sub_rows, version, channel, category, f"{prefix}{spec.name}.")
            if spec.kind in (Kind.OBJECT, Kind.OBJECT_ARRAY) and sub_rows
            else None
        )
        allowed = _allowed(spec, channel, category)
        if not allowed:
            reasons[spec.name] = _reason(spec, channel, category)
        check, fast = _checks_of(spec)
        if not allowed:
            fast = _reject
        elif sub is not None:
            fast = _object_fast(spec, check, sub)
        compiled[spec.name] = CompiledField(
            name=spec.name,
            path=prefix + spec.name,
            spec=spec,
            check=check,
            allowed=allowed,
            required=_requirement(spec, channel, category),
            sub=sub,
            only_if=spec.only_if,
            iso=spec.iso,
            fast=fast,
        )
    always = tuple(f for f in compiled.values() if f.required is True)
    conditional = tuple(
        (f, f.required.test) for f in compiled.values() if isinstance(f.required, Condition)
    )
    foreign = frozenset(r.name for r in rows if r.name not in names and r.name not in skip)
    foreign_fields = {name: _elsewhere(rows, name, version, prefix) for name in sorted(foreign)}
    # A sub-object's shape requires its R members; the message's leaves them to the walk.
    shape, post, nested, deep = _shape(compiled, foreign, enforce_required=bool(prefix))
    return ObjectPlan(
        fields=compiled,
        foreign=foreign,
        foreign_fields=foreign_fields,
        required=tuple(f for f in compiled.values() if f.required is not False),
        not_allowed_reason=reasons,
        always=always,
        conditional=conditional,
        always_names=frozenset(f.name for f in always),
        conditional_names=frozenset(f.name for f, _ in conditional),
        conditional_tests={f.name: test for f, test in conditional},
        shape=shape,
        post=post,
        nested=nested,
        deep=deep,
        only_if=tuple((f.name, f.only_if) for f in compiled.values() if f.only_if is not None),
    )


_ELSEWHERE: dict[tuple[str, MessageVersion], CompiledField] = {}


def _elsewhere(
    rows: tuple[FieldSpec, ...], name: str, version: MessageVersion, prefix: str
) -> tuple[CompiledField, ...]:
    """A name ``version`` does not define, compiled for each version that does, for any
    channel and category: what "valid as another version defines it" means to the lenient
    profile (the other version's inclusion rules do not apply to an element that is dropped).
    The rows at one path are the same in every plan, so one compilation per path and version."""
    named = tuple(r for r in rows if r.name == name)
    found: list[CompiledField] = []
    for other in sorted({v for r in named for v in r.versions} - {version}):
        key = (prefix + name, other)
        compiled = _ELSEWHERE.get(key)
        if compiled is None:
            plan = compile_object(named, other, None, None, prefix)
            compiled = _ELSEWHERE[key] = plan.fields[name]
        found.append(compiled)
    return tuple(found)


_CHECKS: dict[FieldSpec, tuple[Check, Check]] = {}


def _checks_of(spec: FieldSpec) -> tuple[Check, Check]:
    """``check`` and ``fast`` of a row, built once for all the plans that use the row."""
    checks = _CHECKS.get(spec)
    if checks is None:
        check = build_check(spec)
        checks = _CHECKS[spec] = (check, build_fast_check(spec, check))
    return checks


# ------------------------------------------------------------------------------ fast path
#
# The walk (validate.py) visits every member of every object in Python. For the usual message,
# with nothing to report, ``fast_accepts`` reaches the same verdict for much less: a msgspec
# Struct per plan - its *shape* - checks in C the JSON type, length and enumerated values of
# every member it can express, and gives foreign and not-allowed names a type no value has;
# then Python runs on the members present only the checks a shape cannot express (formats,
# patterns, registries, ``only_if``). Either failing just sends the object down the full walk.
#
# Empty members: a shape never accepts null, "" or [] for a name the tables define. Unknown
# names are not in the shape, so an empty unknown member is not dropped on the fast path; no
# Struct reads those names (``test_structs_read_only_table_names`` keeps it so).

_ABSENT = object()
NEVER: Any = Annotated[str, msgspec.Meta(min_length=1, max_length=0)]  # no value has this type
_SHAPES: dict[tuple[tuple[str, int, int], ...], type[msgspec.Struct]] = {}


_ASCII_DIGIT_SET = frozenset(_ASCII_DIGITS)


def _conjunction(checks: list[StrPredicate]) -> StrPredicate | None:
    """One callable for all the checks: the check itself when alone (often a C function)."""
    result: StrPredicate | None = None
    for check in checks:
        result = _both(result, check)
    return result


@cache
def _string_split(spec: FieldSpec) -> tuple[Any, StrPredicate | None] | None:
    """A string row (with its registry check) split in two: a msgspec type that rejects every
    empty value - an enumeration, or ``str`` with the row's length limits - and the check left
    to Python (None if none is). That check only ever gets strings and answers by its truth
    value, so it is often one C call (a regex ``fullmatch``). None when the row does not split
    (an empty string may be valid): then its fast check does it all."""
    registry = _registry(spec)
    words = _string_words(spec, registry)
    if words is not None:
        if "" in words:
            return None
        return (Literal[tuple(sorted(words))] if words else NEVER), None
    if spec.min_len < 1:
        return None
    low, high = spec.min_len, spec.max_len
    checks: list[StrPredicate] = []
    if spec.pattern is not None:
        run = _digit_run(spec.pattern)
        if run is not None:  # [0-9]{a,b}: the lengths go to the type
            low, high = max(low, run[0]), run[1] if high is None else min(high, run[1])
            checks.append(_ASCII_DIGIT_SET.issuperset)
        else:
            checks.append(cast(StrPredicate, spec.pattern.fullmatch))
    if spec.values is not None:
        checks.append(spec.values.__contains__)
    int_range = _int_range_ok(spec)
    if int_range is not None:
        checks.append(int_range)
    if spec.fmt is not None:
        exact = _FORMAT_PATTERNS.get(spec.fmt)
        checks.append(cast(StrPredicate, exact.fullmatch) if exact else _STRING_FORMATS[spec.fmt])
    if registry is not None:
        checks.append(registry)
    return Annotated[str, msgspec.Meta(min_length=low, max_length=high)], _conjunction(checks)


@cache
def _string_type(spec: FieldSpec) -> Any:
    """A msgspec type accepting exactly the non-empty strings the row accepts, or None."""
    split = _string_split(spec)
    return split[0] if split is not None and split[1] is None else None


def shape_type(f: CompiledField) -> tuple[Any, Check | None]:
    """The shape's type for a field, and the check Python must still run on a present value
    (None: the type says it all). The type rejects every empty value, or it is Any and the
    check (``f.fast``) does."""
    spec, sub = f.spec, f.sub
    if not f.allowed:
        return NEVER, None
    if sub is not None:
        nestable = spec.kind is Kind.OBJECT and spec.max_json_len is None and spec.fmt is None
        if nestable and independent(sub):
            return sub.shape, None
        return Any, f.fast
    if spec.kind is Kind.BOOLEAN:
        return (Literal[True] if spec.true_only else bool), None
    if spec.kind is Kind.STRING:
        split = _string_split(spec)
        return (Any, f.fast) if split is None else split  # type: ignore[return-value]
    if spec.kind is Kind.OBJECT and spec.max_json_len is None and spec.fmt is None:
        return dict, None
    if spec.kind is Kind.STRING_ARRAY:
        typ = _array_type(spec)
        return (Any, f.fast) if typ is None else (typ, None)
    return Any, f.fast


@cache
def _array_type(spec: FieldSpec) -> Any:
    """A msgspec type accepting exactly the non-empty arrays of strings the row accepts."""
    item = _string_type(spec) if spec.min_items >= 1 and spec.iso is None else None
    if item is None:
        return None
    meta = msgspec.Meta(min_length=spec.min_items, max_length=spec.max_items)
    return Annotated[list[item], meta]  # type: ignore[valid-type]


ShapeParts = tuple[
    type[msgspec.Struct],
    tuple[tuple[str, Check], ...],
    tuple[tuple[str, ObjectPlan], ...],
    tuple[tuple[str, str, Check], ...],
]


def _shape(
    compiled: Mapping[str, CompiledField], foreign: frozenset[str], *, enforce_required: bool
) -> ShapeParts:
    """The shape of an object plan, the Python checks it leaves (``post``, and ``deep`` for
    those of nested sub-objects), and the nested sub-plans with more to check (``nested``).
    Equal shapes are shared (the sub-tables are the same in most plans)."""
    members: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    post: list[tuple[str, Check]] = []
    nested: list[tuple[str, ObjectPlan]] = []
    deep: list[tuple[str, str, Check]] = []
    for f in compiled.values():
        typ, check = shape_type(f)
        if check is not None:
            post.append((f.name, check))
        elif f.sub is not None and typ is f.sub.shape:
            if f.sub.nested or f.sub.deep or f.sub.only_if:
                nested.append((f.name, f.sub))
            else:  # only ``post`` checks (phones, acctInfo...): inline them, saving a call
                deep.extend((f.name, name, check) for name, check in f.sub.post)
        if enforce_required and f.required is True:
            members.append((f.name, typ))
        else:
            members.append((f.name, _optional(typ), msgspec.UNSET))
    members.extend((name, _optional(NEVER), msgspec.UNSET) for name in sorted(foreign))
    # The types are shared objects (cached per row, ``_optional``), kept alive by the shapes
    # that use them: their identities make a cheap key.
    key = tuple((m[0], id(m[1]), len(m)) for m in members)
    shape = _SHAPES.get(key)
    if shape is None:
        shape = _SHAPES[key] = msgspec.defstruct(f"Shape{len(_SHAPES)}", members, kw_only=True)
    return shape, tuple(post), tuple(nested), tuple(deep)


_OPTIONAL: dict[int, tuple[Any, Any]] = {}


def _optional(typ: Any) -> Any:
    """``typ | UnsetType``, one object per type (hashing a big Literal is slow)."""
    if typ is Any:
        return Any
    known = _OPTIONAL.get(id(typ))
    if known is None:
        known = _OPTIONAL[id(typ)] = (typ, typ | msgspec.UnsetType)  # keeps typ (its id) alive
    return known[1]


def independent(plan: ObjectPlan) -> bool:
    """No rule of the plan reads the root message (so its fast check needs only the value)."""
    return not plan.conditional and not plan.only_if


def fast_accepts(plan: ObjectPlan, obj: dict[str, Any], root: Message) -> bool:
    """True when the walk would find nothing to report or drop in ``obj``, missing members
    of the message aside (the walk looks for those itself); False when it must look."""
    assert plan.shape is not None
    try:
        msgspec.convert(obj, plan.shape)
    except msgspec.ValidationError:
        return False
    return post_accepts(plan, obj, root)


Reader = Callable[[Any, str, Any], Any]


def post_accepts(
    plan: ObjectPlan, obj: Any, root: Message, read: Reader = dict.get, absent: Any = _ABSENT
) -> bool:
    """The checks the shape left: formats of present members, nested objects, ``only_if``.

    ``obj`` is a dict that passed the shape (``read`` is ``dict.get``; a member is absent when
    it is not a key, a null is checked and refused), or a Struct decoded with the shape's types
    (``read`` is ``getattr``; absent members are None, as the Struct's defaults)."""
    for name, check in plan.post:
        value = read(obj, name, absent)
        if value is not absent and not check(value):
            return False
    for name, member, check in plan.deep:
        item = read(obj, name, None)  # the shape made sure it is an object when present
        if item is not None:
            value = read(item, member, absent)
            if value is not absent and not check(value):
                return False
    for name, sub in plan.nested:
        item = read(obj, name, None)
        if item is not None and not post_accepts(sub, item, root, read, absent):
            return False
    if not plan.only_if:  # the usual case: no generator to set up
        return True
    return all(
        read(obj, name, absent) is absent or condition.test(root)
        for name, condition in plan.only_if
    )


def _object_fast(spec: FieldSpec, check: Check, sub: ObjectPlan) -> Check:
    """Fast check of a sub-object (or array of them) that its parent's shape cannot nest."""
    if not independent(sub):
        return _reject  # its rules read the root: leave it to the walk
    if spec.kind is Kind.OBJECT:

        def one(v: Any) -> bool:
            return check(v) and fast_accepts(sub, v, v)

        return one

    def each(v: Any) -> bool:  # check(v): v is a list of objects
        return check(v) and all(fast_accepts(sub, item, item) for item in v)

    return each


PlanKey = tuple[MessageVersion, DeviceChannel | None, MessageCategory | None]

_PLANS: dict[PlanKey, ObjectPlan] = {
    (v, ch, cat): compile_object(AREQ, v, ch, cat, skip=ENVELOPE)
    for v, ch, cat in product(MessageVersion, [*DeviceChannel, None], [*MessageCategory, None])
}


def plan_for(
    version: MessageVersion, channel: DeviceChannel | None, category: MessageCategory | None
) -> ObjectPlan:
    """The AReq plan for a context; ``None`` channel/category = not known (invalid value)."""
    return _PLANS[(version, channel, category)]
