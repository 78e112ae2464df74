"""The field registry: every name a rule may test, with its type and how it is read.

Values are computed lazily per decision and cached, so a rule set pays only for the fields it
touches. A missing value (the AReq did not carry it) is ``None``; comparisons on ``None`` do not
match, and ``exists`` tells the two apart. ``acs rules fields`` prints this registry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from acs.issuer.models import CardholderRecord, CardRange
from acs.protocol.codes import AuthenticationInd, DeviceChannel, ThreeDSCompInd, ThreeRIInd
from acs.protocol.messages import AReq
from acs.risk import currency
from acs.risk.counters import CardCounters
from acs.risk.exemptions import low_value_available
from acs.risk.model import Policy


class FieldType(StrEnum):
    NUMBER = "number"
    STRING = "string"
    BOOL = "bool"
    LIST = "list"  # of strings


@dataclass(slots=True)
class RiskInput:
    """Everything a decision may look at. ``pan`` stays in memory; fields expose BIN and suffix."""

    areq: AReq
    pan: str
    card_range: CardRange
    cardholder: CardholderRecord | None
    counters: CardCounters
    policy: Policy
    now: dt.datetime
    method_completed: bool | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    eur: float | None = field(init=False)  # the amount in EUR: several fields need it

    def __post_init__(self) -> None:
        self.eur = amount_eur(self.areq, self.policy)


_UNREAD = object()


class Facts:
    """Lazy, cached field values for one decision."""

    __slots__ = ("cache", "input")

    def __init__(self, risk_input: RiskInput) -> None:
        self.input = risk_input
        self.cache: dict[str, Any] = dict(risk_input.overrides)

    def get(self, name: str) -> Any:
        value = self.cache.get(name, _UNREAD)
        if value is _UNREAD:
            value = self.cache[name] = REGISTRY[name].read(self.input)
        return value


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType
    description: str
    read: Callable[[RiskInput], Any]


REGISTRY: dict[str, Field] = {}


Reader = Callable[[RiskInput], Any]


def _field(name: str, kind: FieldType, description: str) -> Callable[[Reader], Reader]:
    def register(read: Reader) -> Reader:
        REGISTRY[name] = Field(name, kind, description, read)
        return read

    return register


def _num(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _days_since(yyyymmdd: str | None, now: dt.datetime) -> float | None:
    if not yyyymmdd:
        return None
    try:
        day = dt.datetime.strptime(yyyymmdd, "%Y%m%d").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return float((now - day).days)


N, S, B, L = FieldType.NUMBER, FieldType.STRING, FieldType.BOOL, FieldType.LIST


def _plain(name: str, kind: FieldType, description: str, attr: str) -> None:
    """A field that is one AReq attribute, as is (strings) or as a number."""
    if kind is N:
        _field(name, kind, description)(lambda i: _num(getattr(i.areq, attr)))
    else:
        _field(name, kind, description)(lambda i: getattr(i.areq, attr))


def _sub(name: str, kind: FieldType, description: str, obj: str, attr: str) -> None:
    """A field inside acctInfo or merchantRiskIndicator."""

    def read(i: RiskInput) -> Any:
        value = getattr(getattr(i.areq, obj) or _EMPTY, attr, None)
        return _num(value) if kind is N else value

    _field(name, kind, description)(read)


class _Empty:
    pass


_EMPTY = _Empty()

# -- message ----------------------------------------------------------------------------------
_plain("version", S, "messageVersion: 2.1.0, 2.2.0 or 2.3.1", "messageVersion")
_plain("channel", S, "deviceChannel: 01 app, 02 browser, 03 3RI", "deviceChannel")
_plain("category", S, "messageCategory: 01 payment, 02 non-payment", "messageCategory")
_plain(
    "trans_type",
    S,
    "transType: 01 goods, 03 check, 10 funding, 11 quasi-cash, 28 prepaid",
    "transType",
)


@_field(
    "method_completed", B, "3DS Method ran to completion (threeDSCompInd Y, or recorded by the ACS)"
)
def _method_completed(i: RiskInput) -> bool | None:
    if i.method_completed is not None:
        return i.method_completed
    ind = i.areq.threeDSCompInd
    return None if ind is None else ind == ThreeDSCompInd.COMPLETED


# -- amount -----------------------------------------------------------------------------------
@_field("amount.minor", N, "purchaseAmount in minor units, e.g. 4999")
def _amount_minor(i: RiskInput) -> float | None:
    return _num(i.areq.purchaseAmount)


def amount_major(areq: AReq) -> float | None:
    minor, exponent = _num(areq.purchaseAmount), _num(areq.purchaseExponent)
    if minor is None or exponent is None:
        return None
    return currency.major_units(int(minor), int(exponent))


def amount_eur(areq: AReq, policy: Policy) -> float | None:
    major = amount_major(areq)
    if major is None or not areq.purchaseCurrency:
        return None
    return currency.to_eur(major, areq.purchaseCurrency, policy.eur_rates)


@_field("amount.major", N, "purchaseAmount in major units using purchaseExponent, e.g. 49.99")
def _amount_major(i: RiskInput) -> float | None:
    return amount_major(i.areq)


@_field("amount.eur", N, "the amount in EUR through the policy's rate table (missing if no rate)")
def _amount_eur(i: RiskInput) -> float | None:
    return i.eur


_plain("amount.currency", S, "purchaseCurrency, ISO 4217 numeric, e.g. 978", "purchaseCurrency")


@_field("amount.currency_alpha", S, "purchaseCurrency as ISO 4217 alpha, e.g. EUR")
def _currency_alpha(i: RiskInput) -> str | None:
    code = i.areq.purchaseCurrency
    return currency.currency_alpha(code) if code else None


# -- merchant and acquirer --------------------------------------------------------------------
_plain(
    "merchant.country",
    S,
    "merchantCountryCode, ISO 3166-1 numeric, e.g. 826",
    "merchantCountryCode",
)
_plain("merchant.mcc", S, "mcc, e.g. 5411", "mcc")
_plain("merchant.name", S, "merchantName", "merchantName")
_plain("merchant.id", S, "acquirerMerchantID", "acquirerMerchantID")
_plain("requestor.id", S, "threeDSRequestorID", "threeDSRequestorID")
_plain("acquirer.bin", S, "acquirerBIN", "acquirerBIN")
_plain(
    "acquirer.country", S, "acquirerCountryCode (2.3.1), ISO 3166-1 numeric", "acquirerCountryCode"
)


@_field("merchant.country_alpha", S, "merchantCountryCode as ISO 3166-1 alpha-2, e.g. GB")
def _merchant_alpha(i: RiskInput) -> str | None:
    code = i.areq.merchantCountryCode
    return currency.country_alpha(code) if code else None


@_field("merchant.in_eea", B, "the merchant country is in the EEA or the UK")
def _merchant_eea(i: RiskInput) -> bool | None:
    return currency.in_eea_uk(i.areq.merchantCountryCode)


@_field("acquirer.in_eea", B, "acquirerCountryCode (2.3.1) is in the EEA or the UK")
def _acquirer_eea(i: RiskInput) -> bool | None:
    return currency.in_eea_uk(i.areq.acquirerCountryCode)


# -- requestor indicators ---------------------------------------------------------------------
@_field("challenge_ind", L, "threeDSRequestorChallengeInd values in priority order (absent: [01])")
def _challenge_ind(i: RiskInput) -> list[str]:
    return [c.value for c in i.areq.challenge_indicators]


_plain(
    "authentication_ind",
    S,
    "threeDSRequestorAuthenticationInd: 01 payment, 02 recurring, 03 instalment, ...",
    "threeDSRequestorAuthenticationInd",
)
_plain("three_ri_ind", S, "threeRIInd: 01 recurring, 02 instalment, ... (3RI only)", "threeRIInd")


@_field(
    "decoupled_requested", B, "threeDSRequestorDecReqInd asks for decoupled (Y; F or B in 2.3.1)"
)
def _decoupled(i: RiskInput) -> bool:
    return i.areq.decoupled_requested


@_field(
    "trust_list_status", S, "whiteListStatus (2.2.0) or trustListStatus (2.3.1) as sent: Y or N"
)
def _trust_status(i: RiskInput) -> str | None:
    return i.areq.trustListStatus or i.areq.whiteListStatus


# -- cardholder account (acctInfo) -----------------------------------------------------------
for _name, _kind, _desc, _attr in (
    (
        "account.age_ind",
        S,
        "chAccAgeInd: 01 guest, 02 created now, 03 <30d, 04 30-60d, 05 >60d",
        "chAccAgeInd",
    ),
    (
        "account.change_ind",
        S,
        "chAccChangeInd: 01 now, 02 <30d, 03 30-60d, 04 >60d",
        "chAccChangeInd",
    ),
    (
        "account.password_change_ind",
        S,
        "chAccPwChangeInd: 01 none, 02 now, 03 <30d, 04 30-60d, 05 >60d",
        "chAccPwChangeInd",
    ),
    (
        "account.ship_address_usage_ind",
        S,
        "shipAddressUsageInd: 01 now, 02 <30d, 03 30-60d, 04 >60d",
        "shipAddressUsageInd",
    ),
    ("account.txn_day", N, "txnActivityDay: transactions in the past 24 hours", "txnActivityDay"),
    ("account.txn_year", N, "txnActivityYear: transactions in the past year", "txnActivityYear"),
    (
        "account.provision_attempts_day",
        N,
        "provisionAttemptsDay: card-add attempts in 24 hours",
        "provisionAttemptsDay",
    ),
    (
        "account.purchases_6m",
        N,
        "nbPurchaseAccount: purchases in the past six months",
        "nbPurchaseAccount",
    ),
    (
        "account.payment_age_ind",
        S,
        "paymentAccInd: 01 none, 02 now, 03 <30d, 04 30-60d, 05 >60d",
        "paymentAccInd",
    ),
    (
        "account.suspicious_activity",
        S,
        "suspiciousAccActivity: 01 none, 02 observed",
        "suspiciousAccActivity",
    ),
    (
        "account.ship_name_indicator",
        S,
        "shipNameIndicator: 01 identical, 02 different",
        "shipNameIndicator",
    ),
):
    _sub(_name, _kind, _desc, "acctInfo", _attr)

for _name, _attr in (
    ("account.age_days", "chAccDate"),
    ("account.changed_days", "chAccChange"),
    ("account.password_changed_days", "chAccPwChange"),
    ("account.ship_address_first_used_days", "shipAddressUsage"),
    ("account.payment_age_days", "paymentAccAge"),
):

    def _days(i: RiskInput, attr: str = _attr) -> float | None:
        return _days_since(getattr(i.areq.acctInfo or _EMPTY, attr, None), i.now)

    _field(_name, N, f"days since acctInfo.{_attr}")(_days)

# -- merchant risk indicator ----------------------------------------------------------------
for _name, _kind, _desc, _attr in (
    (
        "risk.ship_indicator",
        S,
        "shipIndicator: 01 billing address ... 05 digital goods, 06 tickets, 07 other",
        "shipIndicator",
    ),
    (
        "risk.delivery_timeframe",
        S,
        "deliveryTimeframe: 01 electronic, 02 same day, 03 overnight, 04 later",
        "deliveryTimeframe",
    ),
    ("risk.reorder", S, "reorderItemsInd: 01 first time, 02 reordered", "reorderItemsInd"),
    (
        "risk.pre_order",
        S,
        "preOrderPurchaseInd: 01 available, 02 future availability",
        "preOrderPurchaseInd",
    ),
    ("risk.gift_card_amount", N, "giftCardAmount in major units", "giftCardAmount"),
    ("risk.gift_card_count", N, "giftCardCount", "giftCardCount"),
    ("risk.gift_card_currency", S, "giftCardCurr, ISO 4217 numeric", "giftCardCurr"),
    ("risk.delivery_email", S, "deliveryEmailAddress", "deliveryEmailAddress"),
):
    _sub(_name, _kind, _desc, "merchantRiskIndicator", _attr)

# -- browser and device -----------------------------------------------------------------------
_plain("browser.language", S, "browserLanguage, e.g. en-GB", "browserLanguage")
_plain("browser.user_agent", S, "browserUserAgent", "browserUserAgent")
_plain("browser.accept_header", S, "browserAcceptHeader", "browserAcceptHeader")
_plain("browser.ip", S, "browserIP", "browserIP")
_plain("browser.javascript", B, "browserJavascriptEnabled", "browserJavascriptEnabled")
_plain("browser.java", B, "browserJavaEnabled", "browserJavaEnabled")
_plain("browser.color_depth", N, "browserColorDepth", "browserColorDepth")
_plain("browser.screen_width", N, "browserScreenWidth", "browserScreenWidth")
_plain("browser.screen_height", N, "browserScreenHeight", "browserScreenHeight")
_plain("browser.tz", N, "browserTZ, minutes from UTC as getTimezoneOffset() gives it", "browserTZ")
_plain("device.sdk_app_id", S, "sdkAppID (app channel)", "sdkAppID")
_plain("device.sdk_reference", S, "sdkReferenceNumber (app channel)", "sdkReferenceNumber")
_plain("device.app_ip", S, "appIp (2.3.1 app channel)", "appIp")


@_field("device.sdk_interface", S, "deviceRenderOptions.sdkInterface: 01 native, 02 HTML, 03 both")
def _sdk_interface(i: RiskInput) -> str | None:
    options = i.areq.deviceRenderOptions
    return options.sdkInterface if options else None


@_field("device.sdk_ui_types", L, "deviceRenderOptions.sdkUiType: the UI types the SDK can show")
def _sdk_ui(i: RiskInput) -> list[str] | None:
    options = i.areq.deviceRenderOptions
    return list(options.sdkUiType or []) if options else None


# -- the device, as this card has used it before ------------------------------------------------
# A browser is known by what it tells about itself in the AReq's browser fields (the ones the 3DS
# Server's 3DS Method collects); an app install by sdkAppID (else the SDK's deviceInfo). The
# counters keep each card's devices with when it first used them (``CardCounters``).
_BROWSER_SIGNALS = (
    "browserUserAgent",
    "browserAcceptHeader",
    "browserLanguage",
    "browserScreenWidth",
    "browserScreenHeight",
    "browserColorDepth",
    "browserTZ",
    "browserJavaEnabled",
    "browserJavascriptEnabled",
)


def device_id(areq: AReq) -> str | None:
    """A short keyed-free digest naming the device of an AReq; None when it names none (3RI)."""
    if areq.deviceChannel == DeviceChannel.APP:
        source = areq.sdkAppID or (str(areq.deviceInfo) if areq.deviceInfo else "")
        if not source:
            return None
        text = f"app|{source}"
    elif areq.deviceChannel == DeviceChannel.BROWSER:
        text = "browser|" + "|".join(str(getattr(areq, n, "")) for n in _BROWSER_SIGNALS)
    else:
        return None
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@_field(
    "device.seen_before",
    B,
    "this card used the device before (browser fields, or sdkAppID / deviceInfo); missing "
    "when the AReq names no device (3RI)",
)
def _device_seen(i: RiskInput) -> bool | None:
    first = i.counters.device_first_seen
    return None if first is None else first > 0


@_field("device.new", B, "first time this card uses the device: not device.seen_before")
def _device_new(i: RiskInput) -> bool | None:
    first = i.counters.device_first_seen
    return None if first is None else first == 0


@_field("device.first_seen_days", N, "days since this card first used the device (missing if new)")
def _device_days(i: RiskInput) -> float | None:
    first = i.counters.device_first_seen
    if not first:
        return None
    return round(max(0.0, i.now.timestamp() - first) / 86400, 2)


@_field("device.known_count", N, "how many devices this card had used before this AReq")
def _device_count(i: RiskInput) -> float | None:
    return None if i.counters.device_first_seen is None else float(i.counters.devices)


# -- addresses --------------------------------------------------------------------------------
_plain("billing.country", S, "billAddrCountry, ISO 3166-1 numeric", "billAddrCountry")
_plain("shipping.country", S, "shipAddrCountry, ISO 3166-1 numeric", "shipAddrCountry")
_plain("address_match", S, "addrMatch: Y shipping equals billing, N differs", "addrMatch")


@_field(
    "shipping.differs_from_merchant_country", B, "shipAddrCountry differs from merchantCountryCode"
)
def _ship_abroad(i: RiskInput) -> bool | None:
    ship, merchant = i.areq.shipAddrCountry, i.areq.merchantCountryCode
    return None if not ship or not merchant else ship != merchant


# -- card and cardholder ------------------------------------------------------------------------
@_field("card.range", S, "the id of the card range the PAN falls in")
def _range_id(i: RiskInput) -> str:
    return i.card_range.id


@_field("card.scheme", S, "visa, mastercard, amex, discover, jcb, unionpay, cartes_bancaires")
def _scheme(i: RiskInput) -> str:
    return i.card_range.scheme.value


@_field("card.bin", S, "the first 6 digits of the PAN (with the suffix: what PCI allows to show)")
def _bin(i: RiskInput) -> str:
    return i.pan[:6]


@_field("card.pan_suffix", S, "the last 4 digits of the PAN")
def _suffix(i: RiskInput) -> str:
    return i.pan[-4:]


_plain("cardholder.name", S, "cardholderName as the merchant sent it", "cardholderName")


@_field("cardholder.enrolled", B, "an enrolled cardholder exists for the PAN")
def _enrolled(i: RiskInput) -> bool:
    return i.cardholder is not None


@_field("cardholder.methods", L, "the cardholder's enrolled challenge methods, e.g. [otp_sms, kba]")
def _methods(i: RiskInput) -> list[str]:
    return [m.value for m in i.cardholder.methods] if i.cardholder else []


@_field(
    "cardholder.trusts_merchant", B, "merchantName or acquirerMerchantID is a trusted beneficiary"
)
def _trusted(i: RiskInput) -> bool:
    if i.cardholder is None:
        return False
    trusted = set(i.cardholder.trusted_beneficiaries)
    return bool({i.areq.merchantName, i.areq.acquirerMerchantID} & trusted)


# -- exemption state (PSD2 RTS) ---------------------------------------------------------------
@_field("exemption.low_value.count", N, "low-value exemptions granted since the last SCA")
def _lv_count(i: RiskInput) -> float:
    return float(i.counters.low_value_count)


@_field("exemption.low_value.cumulative_eur", N, "EUR exempted as low value since the last SCA")
def _lv_sum(i: RiskInput) -> float:
    return i.counters.low_value_eur


@_field(
    "exemption.low_value.available",
    B,
    "art. 16: under the amount limit, and the count and cumulative limits since the last SCA leave room",
)
def _lv_available(i: RiskInput) -> bool:
    return low_value_available(i)


@_field(
    "exemption.tra.limit_eur", N, "art. 18 band from the reference fraud rate: 500, 250, 100 or 0"
)
def _tra_limit(i: RiskInput) -> float:
    return i.policy.tra.limit_eur


@_field("exemption.tra.eligible", B, "the EUR amount is within the TRA band")
def _tra_eligible(i: RiskInput) -> bool:
    eur = i.eur
    limit = i.policy.tra.limit_eur
    return eur is not None and limit > 0 and eur <= limit


@_field("exemption.recurring", B, "recurring or instalment: 3RI 01/02 or authenticationInd 02/03")
def _recurring(i: RiskInput) -> bool:
    return (
        i.areq.threeRIInd in _RECURRING_3RI
        or i.areq.threeDSRequestorAuthenticationInd in _RECURRING_AUTH
    )


_RECURRING_3RI = frozenset({ThreeRIInd.RECURRING, ThreeRIInd.INSTALMENT})
_RECURRING_AUTH = frozenset({AuthenticationInd.RECURRING, AuthenticationInd.INSTALMENT})


@_field("exemption.merchant_initiated", B, "merchant-initiated (3RI, deviceChannel 03)")
def _mit(i: RiskInput) -> bool:
    return i.areq.deviceChannel == DeviceChannel.THREE_RI


@_field("exemption.one_leg_out", B, "merchant or acquirer country outside the EEA/UK")
def _one_leg_out(i: RiskInput) -> bool:
    return _merchant_eea(i) is False or _acquirer_eea(i) is False


def velocity_fields(windows: list[str]) -> None:
    """Register ``velocity.<window>.count`` and ``.amount_eur`` for the configured windows."""
    for window in windows:

        def count(i: RiskInput, w: str = window) -> float:
            return float(i.counters.velocity.get(w, (0, 0.0))[0])

        def amount(i: RiskInput, w: str = window) -> float:
            return i.counters.velocity.get(w, (0, 0.0))[1]

        _field(f"velocity.{window}.count", N, f"this card's earlier AReqs in the {window} window")(
            count
        )
        _field(
            f"velocity.{window}.amount_eur",
            N,
            f"EUR of this card's earlier AReqs in the {window} window",
        )(amount)


velocity_fields(["1h", "24h"])
