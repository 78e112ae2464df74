"""AReq validation: the samples parse, and a table of broken AReqs get the exact Erro code."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from acs.protocol import fields, iso, messages, validate
from acs.protocol.codes import (
    ChallengeInd,
    DeviceChannel,
    ErrorCode,
    MessageCategory,
    MessageVersion,
)
from acs.protocol.errors import ProtocolError, erro_body
from acs.protocol.validate import parse_areq
from tests.protocol import samples

Mutation = Callable[[dict[str, Any]], bytes | None]

# ------------------------------------------------------------------------------ helpers


def _parent(message: dict[str, Any], path: str) -> tuple[Any, str | int]:
    *parents, last = path.split(".")
    node: Any = message
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, int(last) if isinstance(node, list) else last


def put(path: str, value: Any) -> Mutation:
    """Set a (dotted) field; list indexes are numbers: messageExtension.0.id."""

    def mutate(message: dict[str, Any]) -> None:
        node, key = _parent(message, path)
        node[key] = value

    return mutate


def drop(*paths: str) -> Mutation:
    def mutate(message: dict[str, Any]) -> None:
        for path in paths:
            node, key = _parent(message, path)
            del node[key]

    return mutate


def chain(*mutations: Mutation) -> Mutation:
    def mutate(message: dict[str, Any]) -> bytes | None:
        body = None
        for m in mutations:
            body = m(message) or body
        return body

    return mutate


def raw(body: bytes) -> Mutation:
    return lambda message: body


def duplicate(path: str) -> Mutation:
    """Serialise with ``path`` written twice in its object (json.dumps cannot do that)."""

    def mutate(message: dict[str, Any]) -> bytes:
        node, key = _parent(message, path)
        assert isinstance(key, str)
        marker = f"__dup_{uuid.uuid4().hex}__"
        original = dict(node)
        node.clear()
        node[marker] = 1
        node.update(original)
        text = json.dumps(message)
        return text.replace(f'"{marker}": 1', f'"{key}": {json.dumps(original[key])}').encode()

    return mutate


def extension(ext_id: str, critical: bool = False) -> dict[str, Any]:
    return {"name": "Test extension", "id": ext_id, "criticalityIndicator": critical, "data": {}}


def body_for(combo: tuple[str, str, str], mutation: Mutation | None) -> bytes:
    message = samples.areq(*combo)
    body = mutation(message) if mutation else None
    return body if body is not None else json.dumps(message).encode()


def error_for(combo: tuple[str, str, str], mutation: Mutation) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        parse_areq(body_for(combo, mutation))
    return info.value


# ------------------------------------------------------------------------------ samples


@pytest.mark.parametrize(("version", "channel", "category"), samples.ALL_COMBINATIONS)
def test_every_sample_parses(version: str, channel: str, category: str) -> None:
    areq = parse_areq(samples.areq_bytes(version, channel, category))
    assert isinstance(areq, messages.AReq)
    assert areq.version == MessageVersion(version)
    assert areq.channel == DeviceChannel(channel)
    assert areq.category == MessageCategory(category)
    assert areq.dsReferenceNumber == samples.DS_REFERENCE_NUMBER
    assert areq.dsURL == samples.DS_URL
    if channel == DeviceChannel.APP:
        assert areq.sdkEphemPubKey is not None and areq.sdkEphemPubKey["crv"] == "P-256"
        assert areq.deviceRenderOptions is not None
    if channel == DeviceChannel.BROWSER:
        assert areq.browserUserAgent and areq.notificationURL


def test_browser_payment_sample_is_realistic() -> None:
    body = samples.areq_bytes("2.2.0", "02", "01")
    assert 2000 <= len(body) <= 4000
    areq = parse_areq(body)
    assert areq.acctInfo is not None and areq.acctInfo.chAccAgeInd == "05"
    assert areq.merchantRiskIndicator is not None
    assert areq.homePhone == messages.PhoneNumber(cc="44", subscriber="2079460000")


def test_samples_use_fresh_ids_and_overrides() -> None:
    a, b = samples.areq("2.2.0", "01", "01"), samples.areq("2.2.0", "01", "01")
    assert a["threeDSServerTransID"] != b["threeDSServerTransID"]
    assert a["sdkTransID"] != b["sdkTransID"] and a["dsTransID"] != b["dsTransID"]
    c = samples.areq("2.2.0", "02", "01", pan="5105105105105100", email=samples.REMOVE)
    assert c["acctNumber"] == "5105105105105100" and "email" not in c


# ------------------------------------------------------------------------ the error table


@dataclass(frozen=True)
class Case:
    name: str
    combo: tuple[str, str, str]
    mutation: Mutation
    code: ErrorCode
    field: str  # must appear in errorDetail


V21, V22, V23 = "2.1.0", "2.2.0", "2.3.1"
APP, BRW, RI = "01", "02", "03"
PA, NPA = "01", "02"
MISSING, INVALID = ErrorCode.REQUIRED_MISSING, ErrorCode.FORMAT_INVALID
ISO, MCC = ErrorCode.ISO_CODE_INVALID, ErrorCode.MCC_INVALID

_ALL_CHANNEL_REQUIRED = (
    "messageType",
    "messageVersion",
    "deviceChannel",
    "messageCategory",
    "threeDSServerTransID",
    "dsTransID",
    "dsReferenceNumber",
    "threeDSServerRefNumber",
    "threeDSServerURL",
    "threeDSRequestorID",
    "threeDSRequestorName",
    "threeDSRequestorURL",
    "acctNumber",
)
_PAYMENT_REQUIRED = (
    "acquirerBIN",
    "acquirerMerchantID",
    "mcc",
    "merchantCountryCode",
    "merchantName",
    "purchaseAmount",
    "purchaseCurrency",
    "purchaseExponent",
    "purchaseDate",
)
_APP_REQUIRED = (
    "sdkAppID",
    "sdkTransID",
    "sdkReferenceNumber",
    "sdkMaxTimeout",
    "sdkEphemPubKey",
    "deviceRenderOptions",
    "deviceInfo",  # neither deviceInfo nor sdkEncData: 201 names deviceInfo
    "threeDSRequestorAuthenticationInd",
)
_BROWSER_REQUIRED = {
    V21: ("browserJavaEnabled", "browserLanguage", "browserColorDepth", "browserTZ"),
    V22: ("browserJavascriptEnabled", "browserLanguage", "browserColorDepth"),
    V23: ("browserJavascriptEnabled", "browserJavaEnabled", "browserScreenHeight"),
}
_BROWSER_ALL = (
    "browserAcceptHeader",
    "browserUserAgent",
    "notificationURL",
    "threeDSCompInd",
    "threeDSRequestorAuthenticationInd",
)
_3RI_REQUIRED = {
    V21: ("threeRIInd",),
    V22: ("threeRIInd", "recurringExpiry", "recurringFrequency", "purchaseAmount"),
    V23: ("threeRIInd", "recurringInd", "recurringAmount", "recurringDate"),
}


def _missing_cases() -> list[Case]:
    cases: list[Case] = []
    for v in samples.VERSIONS:
        cases += [Case(f"{v}-no-{f}", (v, BRW, PA), drop(f), MISSING, f) for f in _ALL_CHANNEL_REQUIRED]
        cases += [Case(f"{v}-app-no-{f}", (v, APP, PA), drop(f), MISSING, f) for f in _PAYMENT_REQUIRED]
        cases += [Case(f"{v}-app-no-{f}", (v, APP, NPA), drop(f), MISSING, f) for f in _APP_REQUIRED]
        cases += [
            Case(f"{v}-brw-no-{f}", (v, BRW, NPA), drop(f), MISSING, f)
            for f in (*_BROWSER_ALL, *_BROWSER_REQUIRED[v])
        ]
        cases += [Case(f"{v}-3ri-no-{f}", (v, RI, NPA), drop(f), MISSING, f) for f in _3RI_REQUIRED[v]]
    cases.append(Case("2.3-app-no-sdkType", (V23, APP, PA), drop("sdkType"), MISSING, "sdkType"))
    return cases


_OFF_CURVE_KEY = {"kty": "EC", "crv": "P-256", "x": samples.b64url(b"\x01" * 32), "y": samples.b64url(b"\x02" * 32)}  # fmt: skip
_TOO_MANY = [extension(f"ext-{i}") for i in range(11)]

EXPLICIT: list[Case] = [
    # wrong JSON types
    Case("js-enabled-string", (V22, BRW, PA), put("browserJavascriptEnabled", "true"), INVALID, "browserJavascriptEnabled"),
    Case("java-enabled-number", (V21, BRW, PA), put("browserJavaEnabled", 1), INVALID, "browserJavaEnabled"),
    Case("pay-token-string", (V23, APP, PA), put("payTokenInd", "Y"), INVALID, "payTokenInd"),
    Case("pay-token-false", (V22, BRW, PA), put("payTokenInd", False), INVALID, "payTokenInd"),
    Case("acct-number-int", (V22, BRW, PA), put("acctNumber", 4016000000000012), INVALID, "acctNumber"),
    Case("acct-info-array", (V22, BRW, PA), put("acctInfo", [{"chAccAgeInd": "01"}]), INVALID, "acctInfo"),
    Case("ext-critical-string", (V22, BRW, PA), put("messageExtension", [{**extension("x"), "criticalityIndicator": "true"}]), INVALID, "messageExtension.criticalityIndicator"),
    # UUIDs
    Case("bad-server-trans-id", (V22, BRW, PA), put("threeDSServerTransID", "not-a-uuid"), INVALID, "threeDSServerTransID"),
    Case("sdk-app-id-no-dashes", (V23, APP, PA), put("sdkAppID", uuid.uuid4().hex), INVALID, "sdkAppID"),
    Case("ds-trans-id-braces", (V21, APP, NPA), put("dsTransID", "{" + str(uuid.uuid4()) + "}"), INVALID, "dsTransID"),
    # dates
    Case("bad-ch-acc-date", (V22, BRW, PA), put("acctInfo.chAccDate", "20231341"), INVALID, "acctInfo.chAccDate"),
    Case("feb-30-purchase", (V21, BRW, PA), put("purchaseDate", "20230230120000"), INVALID, "purchaseDate"),
    Case("purchase-hour-24", (V23, APP, PA), put("purchaseDate", "20230101240000"), INVALID, "purchaseDate"),
    Case("expiry-month-13", (V22, APP, PA), put("cardExpiryDate", "2513"), INVALID, "cardExpiryDate"),
    Case("recurring-expiry-feb-31", (V22, RI, NPA), put("recurringExpiry", "20240231"), INVALID, "recurringExpiry"),
    Case("auth-timestamp-minute-60", (V22, BRW, PA), put("threeDSRequestorAuthenticationInfo.threeDSReqAuthTimestamp", "202401012360"), INVALID, "threeDSRequestorAuthenticationInfo.threeDSReqAuthTimestamp"),
    Case("auth-info-2.3-item", (V23, BRW, PA), put("threeDSRequestorAuthenticationInfo.0.threeDSReqAuthMethod", "11"), INVALID, "threeDSRequestorAuthenticationInfo.threeDSReqAuthMethod"),
    # fields of another version
    Case("dec-req-in-2.1", (V21, BRW, PA), put("threeDSRequestorDecReqInd", "N"), INVALID, "threeDSRequestorDecReqInd"),
    Case("sdk-type-in-2.1", (V21, APP, PA), put("sdkType", "01"), INVALID, "sdkType"),
    Case("accept-language-in-2.1", (V21, BRW, PA), put("acceptLanguage", ["en"]), INVALID, "acceptLanguage"),
    Case("js-enabled-in-2.1", (V21, BRW, PA), put("browserJavascriptEnabled", True), INVALID, "browserJavascriptEnabled"),
    Case("ch-acc-req-id-in-2.2", (V22, BRW, PA), put("acctInfo.chAccReqID", "abc"), INVALID, "acctInfo.chAccReqID"),
    Case("trust-list-in-2.2", (V22, BRW, PA), put("trustListStatus", "Y"), INVALID, "trustListStatus"),
    Case("white-list-in-2.3", (V23, BRW, PA), put("whiteListStatus", "Y"), INVALID, "whiteListStatus"),
    Case("ui-type-06-in-2.2", (V22, APP, PA), put("deviceRenderOptions.sdkUiType", ["01", "06"]), INVALID, "deviceRenderOptions.sdkUiType"),
    Case("auth-info-array-in-2.2", (V22, BRW, PA), put("threeDSRequestorAuthenticationInfo", [{"threeDSReqAuthMethod": "01"}]), INVALID, "threeDSRequestorAuthenticationInfo"),
    # fields of another channel / category
    Case("user-agent-in-app", (V22, APP, PA), put("browserUserAgent", "Mozilla/5.0"), INVALID, "browserUserAgent"),
    Case("browser-language-in-app", (V23, APP, NPA), put("browserLanguage", "en"), INVALID, "browserLanguage"),
    Case("sdk-app-id-in-browser", (V22, BRW, PA), put("sdkAppID", str(uuid.uuid4())), INVALID, "sdkAppID"),
    Case("sdk-trans-id-in-3ri", (V23, RI, PA), put("sdkTransID", str(uuid.uuid4())), INVALID, "sdkTransID"),
    Case("notification-url-in-3ri", (V22, RI, NPA), put("notificationURL", "https://x.example/n"), INVALID, "notificationURL"),
    Case("comp-ind-in-app", (V22, APP, PA), put("threeDSCompInd", "Y"), INVALID, "threeDSCompInd"),
    Case("auth-ind-in-3ri-2.1", (V21, RI, PA), put("threeDSRequestorAuthenticationInd", "01"), INVALID, "threeDSRequestorAuthenticationInd"),
    Case("auth-ind-in-3ri-2.2", (V22, RI, NPA), put("threeDSRequestorAuthenticationInd", "01"), INVALID, "threeDSRequestorAuthenticationInd"),
    Case("auth-ind-in-3ri-2.3", (V23, RI, PA), put("threeDSRequestorAuthenticationInd", "02"), INVALID, "threeDSRequestorAuthenticationInd"),
    Case("three-ri-ind-in-browser", (V22, BRW, PA), put("threeRIInd", "01"), INVALID, "threeRIInd"),
    Case("purchase-in-3ri-2.1", (V21, RI, PA), put("purchaseAmount", "100"), INVALID, "purchaseAmount"),
    Case("challenge-ind-in-3ri-2.2", (V22, RI, PA), put("threeDSRequestorChallengeInd", "01"), INVALID, "threeDSRequestorChallengeInd"),
    Case("trans-type-in-npa", (V22, BRW, NPA), put("transType", "01"), INVALID, "transType"),
    Case("addr-match-in-3ri", (V22, RI, PA), put("addrMatch", "Y"), INVALID, "addrMatch"),
    # present while its condition forbids it
    Case("pay-token-source-alone", (V22, BRW, PA), put("payTokenSource", "01"), INVALID, "payTokenSource"),
    Case("default-sdk-with-split", (V23, APP, PA), chain(put("sdkType", "02"), put("splitSdkType", {"sdkVariant": "01"}), put("sdkServerSignedContent", "a.b.c")), INVALID, "defaultSdkType"),
    # ISO codes and MCC
    Case("merchant-country-999", (V22, BRW, PA), put("merchantCountryCode", "999"), ISO, "merchantCountryCode"),
    Case("bill-country-000", (V21, APP, PA), put("billAddrCountry", "000"), ISO, "billAddrCountry"),
    Case("acquirer-country-999", (V23, BRW, PA), put("acquirerCountryCode", "999"), ISO, "acquirerCountryCode"),
    Case("currency-999", (V22, BRW, PA), put("purchaseCurrency", "999"), ISO, "purchaseCurrency"),
    Case("currency-gold", (V23, APP, PA), put("purchaseCurrency", "959"), ISO, "purchaseCurrency"),
    Case("gift-card-currency-999", (V22, BRW, PA), put("merchantRiskIndicator.giftCardCurr", "999"), ISO, "merchantRiskIndicator.giftCardCurr"),
    Case("recurring-currency-999", (V23, RI, NPA), put("recurringCurrency", "999"), ISO, "recurringCurrency"),
    Case("mcc-0001", (V22, BRW, PA), put("mcc", "0001"), MCC, "mcc"),
    Case("mcc-letters", (V22, BRW, PA), put("mcc", "54a1"), INVALID, "mcc"),
    Case("country-two-digits", (V22, BRW, PA), put("merchantCountryCode", "82"), INVALID, "merchantCountryCode"),
    # message extensions
    Case("critical-unknown-extension", (V22, BRW, PA), put("messageExtension", [extension("ACME-EXT-1", critical=True)]), ErrorCode.CRITICAL_EXTENSION_UNKNOWN, "ACME-EXT-1"),
    Case("eleven-extensions-2.2", (V22, BRW, PA), put("messageExtension", _TOO_MANY), INVALID, "messageExtension"),
    Case("sixteen-extensions-2.3", (V23, BRW, PA), put("messageExtension", [extension(f"e{i}") for i in range(16)]), INVALID, "messageExtension"),
    Case("extension-without-name", (V23, BRW, PA), put("messageExtension", [{"id": "x", "criticalityIndicator": False, "data": {}}]), MISSING, "messageExtension.name"),
    # duplicates
    Case("duplicate-top-level", (V22, BRW, PA), duplicate("acctNumber"), ErrorCode.DUPLICATE_ELEMENT, "acctNumber"),
    Case("duplicate-nested", (V22, BRW, PA), duplicate("acctInfo.chAccAgeInd"), ErrorCode.DUPLICATE_ELEMENT, "acctInfo.chAccAgeInd"),
    Case("duplicate-in-array", (V23, APP, PA), chain(put("messageExtension", [extension("x")]), duplicate("messageExtension.0.id")), ErrorCode.DUPLICATE_ELEMENT, "messageExtension.id"),
    # envelope
    Case("version-2.0.9", (V22, BRW, PA), put("messageVersion", "2.0.9"), ErrorCode.VERSION_NOT_SUPPORTED, "2.1.0, 2.2.0, 2.3.1"),
    Case("version-1.0.2", (V22, BRW, PA), put("messageVersion", "1.0.2"), ErrorCode.VERSION_NOT_SUPPORTED, "messageVersion"),
    Case("version-number", (V22, BRW, PA), put("messageVersion", 2.2), ErrorCode.VERSION_NOT_SUPPORTED, "messageVersion"),
    Case("message-type-creq", (V22, BRW, PA), put("messageType", "CReq"), ErrorCode.MESSAGE_INVALID, "messageType"),
    Case("message-type-lowercase", (V23, APP, PA), put("messageType", "areq"), ErrorCode.MESSAGE_INVALID, "messageType"),
    Case("invalid-json", (V22, BRW, PA), raw(b'{"messageType": "AReq",'), ErrorCode.MESSAGE_INVALID, "JSON"),
    Case("empty-body", (V22, BRW, PA), raw(b""), ErrorCode.MESSAGE_INVALID, "JSON"),
    Case("json-array", (V22, BRW, PA), raw(b'[{"messageType": "AReq"}]'), ErrorCode.MESSAGE_INVALID, "object"),
    Case("device-channel-04", (V22, BRW, PA), put("deviceChannel", "04"), INVALID, "deviceChannel"),
    Case("device-channel-ds-80", (V22, BRW, PA), put("deviceChannel", "80"), INVALID, "DS-specific"),
    Case("category-ds-85", (V23, APP, PA), put("messageCategory", "85"), INVALID, "messageCategory"),
    Case("device-channel-int", (V21, BRW, PA), put("deviceChannel", 2), INVALID, "deviceChannel"),
    # empty and null required values
    Case("empty-acct-number", (V22, BRW, PA), put("acctNumber", ""), MISSING, "acctNumber"),
    Case("null-requestor-url", (V23, APP, NPA), put("threeDSRequestorURL", None), MISSING, "threeDSRequestorURL"),
    Case("empty-render-options", (V22, APP, PA), put("deviceRenderOptions", {}), MISSING, "deviceRenderOptions.sdkInterface"),
    Case("empty-ui-type-list", (V23, APP, PA), put("deviceRenderOptions.sdkUiType", []), MISSING, "deviceRenderOptions.sdkUiType"),
    Case("phone-without-cc", (V22, BRW, PA), drop("homePhone.cc"), MISSING, "homePhone.cc"),
    Case("ship-state-without-country", (V22, BRW, PA), drop("shipAddrCountry"), MISSING, "shipAddrCountry"),
    # decoupled
    Case("dec-max-time-missing-2.2", (V22, BRW, PA), put("threeDSRequestorDecReqInd", "Y"), MISSING, "threeDSRequestorDecMaxTime"),
    Case("dec-max-time-missing-2.3-F", (V23, APP, PA), put("threeDSRequestorDecReqInd", "F"), MISSING, "threeDSRequestorDecMaxTime"),
    Case("dec-req-F-in-2.2", (V22, APP, PA), put("threeDSRequestorDecReqInd", "F"), INVALID, "threeDSRequestorDecReqInd"),
    Case("dec-max-time-10081", (V22, BRW, PA), chain(put("threeDSRequestorDecReqInd", "Y"), put("threeDSRequestorDecMaxTime", "10081")), INVALID, "threeDSRequestorDecMaxTime"),
    Case("dec-max-time-zero", (V23, BRW, PA), put("threeDSRequestorDecMaxTime", "00000"), INVALID, "threeDSRequestorDecMaxTime"),
    # challenge indicator shapes
    Case("challenge-ind-string-2.3", (V23, BRW, PA), put("threeDSRequestorChallengeInd", "01"), INVALID, "threeDSRequestorChallengeInd"),
    Case("challenge-ind-05-in-2.1", (V21, BRW, PA), put("threeDSRequestorChallengeInd", "05"), INVALID, "threeDSRequestorChallengeInd"),
    Case("challenge-ind-array-2.2", (V22, APP, PA), put("threeDSRequestorChallengeInd", ["01"]), INVALID, "threeDSRequestorChallengeInd"),
    Case("challenge-ind-three-items", (V23, APP, PA), put("threeDSRequestorChallengeInd", ["01", "02", "03"]), INVALID, "threeDSRequestorChallengeInd"),
    Case("challenge-ind-15-in-2.3", (V23, BRW, NPA), put("threeDSRequestorChallengeInd", ["15"]), INVALID, "threeDSRequestorChallengeInd"),
    # app data
    Case("ephem-key-off-curve", (V22, APP, PA), put("sdkEphemPubKey", _OFF_CURVE_KEY), INVALID, "sdkEphemPubKey"),
    Case("ephem-key-rsa", (V23, APP, PA), put("sdkEphemPubKey", {"kty": "RSA", "n": "AQAB", "e": "AQAB"}), INVALID, "sdkEphemPubKey"),
    Case("ephem-key-as-string", (V21, APP, PA), put("sdkEphemPubKey", json.dumps(samples.p256_jwk())), INVALID, "sdkEphemPubKey"),
    Case("sdk-interface-04", (V22, APP, NPA), put("deviceRenderOptions.sdkInterface", "04"), INVALID, "deviceRenderOptions.sdkInterface"),
    Case("sdk-max-timeout-04", (V22, APP, PA), put("sdkMaxTimeout", "04"), INVALID, "sdkMaxTimeout"),
    Case("sdk-max-timeout-one-digit", (V23, APP, PA), put("sdkMaxTimeout", "5"), INVALID, "sdkMaxTimeout"),
    Case("device-info-not-base64", (V22, APP, PA), put("deviceInfo", "not base64!"), INVALID, "deviceInfo"),
    Case("device-info-not-json", (V23, APP, PA), put("deviceInfo", samples.b64url(b"hello")), INVALID, "deviceInfo"),
    Case("split-sdk-without-content", (V23, APP, PA), chain(put("sdkType", "02"), drop("defaultSdkType"), put("splitSdkType", {"sdkVariant": "01"})), MISSING, "sdkServerSignedContent"),
    # amounts and other formats
    Case("amount-49-digits", (V22, BRW, PA), put("purchaseAmount", "1" * 49), INVALID, "purchaseAmount"),
    Case("amount-decimal-point", (V23, BRW, PA), put("purchaseAmount", "123.45"), INVALID, "purchaseAmount"),
    Case("exponent-two-digits", (V22, APP, PA), put("purchaseExponent", "10"), INVALID, "purchaseExponent"),
    Case("color-depth-30-in-2.2", (V22, BRW, PA), put("browserColorDepth", "30"), INVALID, "browserColorDepth"),
    Case("color-depth-100-in-2.3", (V23, BRW, PA), put("browserColorDepth", "100"), INVALID, "browserColorDepth"),
    Case("language-9-chars-2.2", (V22, BRW, PA), put("browserLanguage", "en-GB-xyz"), INVALID, "browserLanguage"),
    Case("browser-ip-bad", (V22, BRW, PA), put("browserIP", "999.1.1.1"), INVALID, "browserIP"),
    Case("notification-url-ftp", (V21, BRW, NPA), put("notificationURL", "ftp://x.example/n"), INVALID, "notificationURL"),
    Case("cardholder-name-1-char", (V22, BRW, PA), put("cardholderName", "J"), INVALID, "cardholderName"),
    Case("email-no-at", (V22, BRW, PA), put("email", "jane.example.com"), INVALID, "email"),
    Case("phone-letters", (V23, BRW, PA), put("homePhone.subscriber", "20794x"), INVALID, "homePhone.subscriber"),
    Case("instalments-1", (V22, BRW, PA), put("purchaseInstalData", "1"), INVALID, "purchaseInstalData"),
    Case("npa-recurring-needs-purchase", (V22, BRW, NPA), put("threeDSRequestorAuthenticationInd", "02"), MISSING, "purchaseAmount"),
    # priority between classes
    Case("201-beats-203", (V22, BRW, PA), chain(drop("acctNumber"), put("mcc", "54a1")), MISSING, "acctNumber"),
    Case("203-beats-304", (V22, BRW, PA), chain(put("merchantCountryCode", "999"), put("mcc", "5x")), INVALID, "mcc"),
    Case("304-beats-306", (V22, BRW, PA), chain(put("merchantCountryCode", "999"), put("mcc", "0001")), ISO, "merchantCountryCode"),
    Case("202-beats-203", (V22, BRW, PA), chain(put("messageExtension", [extension("CRIT", True)]), put("mcc", "x")), ErrorCode.CRITICAL_EXTENSION_UNKNOWN, "CRIT"),
    Case("204-beats-201", (V22, BRW, PA), chain(drop("merchantName"), duplicate("acctNumber")), ErrorCode.DUPLICATE_ELEMENT, "acctNumber"),
    Case("102-beats-204", (V22, BRW, PA), chain(put("messageVersion", "3.0.0"), duplicate("acctNumber")), ErrorCode.VERSION_NOT_SUPPORTED, "3.0.0"),
    Case("101-beats-102", (V22, BRW, PA), chain(put("messageVersion", "9"), put("messageType", "RReq")), ErrorCode.MESSAGE_INVALID, "messageType"),
]  # fmt: skip

CASES = _missing_cases() + EXPLICIT


def test_the_table_is_big_enough() -> None:
    assert len(EXPLICIT) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_areq_gets_the_exact_error(case: Case) -> None:
    err = error_for(case.combo, case.mutation)
    assert err.code is case.code, err
    assert case.field in err.detail, err


# ------------------------------------------------------------------------- error content


def test_ids_and_version_are_echoed() -> None:
    message = samples.areq("2.3.1", "01", "01", mcc="0001")
    with pytest.raises(ProtocolError) as info:
        parse_areq(json.dumps(message).encode())
    err = info.value
    assert err.code is ErrorCode.MCC_INVALID
    assert err.ids.threeDSServerTransID == message["threeDSServerTransID"]
    assert err.ids.dsTransID == message["dsTransID"]
    assert err.ids.sdkTransID == message["sdkTransID"]
    assert err.message_version == "2.3.1"
    body = erro_body(err)
    assert body["errorCode"] == "306" and body["errorComponent"] == "A"
    assert body["errorMessageType"] == "AReq" and body["messageVersion"] == "2.3.1"
    assert body["dsTransID"] == message["dsTransID"]


def test_malformed_ids_are_not_echoed() -> None:
    err = error_for(("2.2.0", "01", "01"), put("sdkTransID", "nope"))
    assert err.ids.sdkTransID is None
    assert err.ids.threeDSServerTransID is not None


def test_unsupported_version_is_echoed_but_erro_uses_a_supported_one() -> None:
    err = error_for(("2.2.0", "02", "01"), put("messageVersion", "2.0.9"))
    assert err.detail == "messageVersion 2.0.9 is not supported; supported: 2.1.0, 2.2.0, 2.3.1"
    assert err.message_version == "2.0.9"
    assert erro_body(err)["messageVersion"] == "2.3.1"


def test_all_problems_of_the_worst_class_are_listed() -> None:
    err = error_for(
        ("2.2.0", "02", "01"),
        chain(put("browserColorDepth", "30"), put("acctInfo.chAccDate", "20231341")),
    )
    names, reason = err.detail.split(": ")
    assert set(names.split(",")) == {"browserColorDepth", "acctInfo.chAccDate"}
    assert reason == "invalid format or value"
    err = error_for(("2.3.1", "01", "01"), drop("sdkAppID", "acctNumber", "mcc"))
    names = err.detail.split(":")[0].split(",")
    assert sorted(names) == ["acctNumber", "mcc", "sdkAppID"]


def test_detail_gives_a_reason_per_kind_of_problem() -> None:
    err = error_for(
        ("2.2.0", "01", "01"),
        chain(put("browserUserAgent", "x"), put("sdkMaxTimeout", "01")),
    )
    names = err.detail.split(": ")[0]
    assert set(names.split(",")) == {"browserUserAgent", "sdkMaxTimeout"}
    assert "browserUserAgent not allowed for deviceChannel 01" in err.detail
    assert "sdkMaxTimeout invalid format or value" in err.detail
    err = error_for(("2.1.0", "02", "01"), put("trustListStatus", "Y"))
    assert err.detail == "trustListStatus: not defined in 2.1.0"
    err = error_for(("2.2.0", "02", "01"), put("browserJavaEnabled", "false"))
    assert "wrong JSON type, expected boolean" in err.detail
    err = error_for(("2.2.0", "02", "01"), put("messageExtension", _TOO_MANY))
    assert "more than 10 items" in err.detail


def test_critical_extension_detail_names_the_id_and_the_field() -> None:
    exts = [extension("A000000004-acsPaymentInfo", True), extension("OTHER", False)]
    err = error_for(("2.2.0", "02", "01"), put("messageExtension", exts))
    assert err.code is ErrorCode.CRITICAL_EXTENSION_UNKNOWN
    assert "A000000004-acsPaymentInfo" in err.detail and "messageExtension" in err.detail
    assert "OTHER" not in err.detail


# ----------------------------------------------------------------------- accepted inputs


def parse(combo: tuple[str, str, str], mutation: Mutation) -> messages.AReq:
    return parse_areq(body_for(combo, mutation))


def test_unknown_fields_are_ignored() -> None:
    areq = parse(
        ("2.2.0", "02", "01"),
        chain(put("ds", "visa"), put("futureField", {"a": [1]}), put("acctInfo.newThing", 5)),
    )
    assert not hasattr(areq, "futureField")


def test_empty_optional_values_read_as_absent() -> None:
    areq = parse(("2.2.0", "02", "01"), chain(put("acctID", ""), put("billAddrLine2", None)))
    assert areq.acctID is None and areq.billAddrLine2 is None


def test_sdk_enc_data_is_accepted_instead_of_device_info() -> None:
    areq = parse(("2.2.0", "01", "01"), chain(drop("deviceInfo"), put("sdkEncData", "a.b.c.d.e")))
    assert areq.deviceInfo is None and areq.sdkEncData == "a.b.c.d.e"


def test_2_3_browser_without_javascript_needs_no_screen_data() -> None:
    js_fields = ("browserLanguage", "browserColorDepth", "browserScreenHeight", "browserTZ")
    areq = parse(
        ("2.3.1", "02", "01"),
        chain(put("browserJavascriptEnabled", False), drop("browserJavaEnabled", *js_fields)),
    )
    assert areq.browserLanguage is None and areq.browserJavascriptEnabled is False


def test_2_3_lenient_fields() -> None:
    parse(("2.3.1", "02", "01"), drop("acceptLanguage"))  # optional here (sources disagree)
    areq = parse(
        ("2.3.1", "03", "01"),
        chain(
            put("acquirerCountryCode", "826"),
            put("acquirerCountryCodeSource", "01"),
            put("threeDSRequestorChallengeInd", ["02"]),  # allowed for 3RI in 2.3.1
            put("browserColorDepth", None),
        ),
    )
    assert areq.challenge_indicators == (ChallengeInd.NO_CHALLENGE,)


def test_extension_limits_and_recognised_critical_extensions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parse(("2.3.1", "02", "01"), put("messageExtension", [extension(f"e{i}") for i in range(15)]))
    parse(("2.2.0", "02", "01"), put("messageExtension", [extension("NON-CRITICAL")]))
    monkeypatch.setattr(validate, "RECOGNISED_EXTENSIONS", frozenset({"KNOWN"}))
    areq = parse(("2.2.0", "02", "01"), put("messageExtension", [extension("KNOWN", True)]))
    assert areq.messageExtension is not None
    assert areq.messageExtension[0].id == "KNOWN" and areq.messageExtension[0].criticalityIndicator


def test_challenge_indicator_properties() -> None:
    assert parse(("2.1.0", "02", "01"), drop("threeDSRequestorChallengeInd")).challenge_indicators == (
        ChallengeInd.NO_PREFERENCE,
    )
    areq = parse(("2.2.0", "01", "01"), put("threeDSRequestorChallengeInd", "05"))
    assert areq.challenge_indicators == (ChallengeInd.NO_CHALLENGE_TRA_PERFORMED,)
    areq = parse(("2.3.1", "02", "01"), put("threeDSRequestorChallengeInd", ["04", "03"]))
    assert areq.challenge_indicators == (
        ChallengeInd.CHALLENGE_MANDATED,
        ChallengeInd.CHALLENGE_PREFERRED,
    )
    areq = parse(("2.2.0", "02", "01"), put("threeDSRequestorChallengeInd", "85"))  # DS-specific
    assert areq.challenge_indicators == (ChallengeInd.NO_PREFERENCE,)


@pytest.mark.parametrize(
    ("version", "indicator", "expected"),
    [("2.2.0", "Y", True), ("2.2.0", "N", False), ("2.3.1", "F", True), ("2.3.1", "B", True)],
)
def test_decoupled_requested(version: str, indicator: str, expected: bool) -> None:
    areq = parse(
        (version, "01", "01"),
        chain(
            put("threeDSRequestorDecReqInd", indicator),
            put("threeDSRequestorDecMaxTime", "00060"),
        ),
    )
    assert areq.decoupled_requested is expected
    assert parse(("2.1.0", "01", "01"), lambda m: None).decoupled_requested is False


def test_validation_does_not_change_the_callers_sample() -> None:
    message = samples.areq("2.2.0", "02", "01", acctID="")
    before = copy.deepcopy(message)
    parse_areq(json.dumps(message).encode())
    assert message == before


def test_parse_accepts_text() -> None:
    assert parse_areq(json.dumps(samples.areq("2.2.0", "02", "01"))).messageType == "AReq"


def test_encoding_an_areq_omits_absent_fields() -> None:
    areq = parse_areq(samples.areq_bytes("2.1.0", "03", "02"))
    encoded = json.loads(msgspec.json.encode(areq))
    assert "browserUserAgent" not in encoded and encoded["threeRIInd"] == "01"


# ------------------------------------------------------------------------- tables and ISO


def _struct_fields(struct: type[msgspec.Struct]) -> set[str]:
    return set(struct.__struct_fields__)


_SUB_STRUCTS: dict[str, type[msgspec.Struct]] = {
    "acctInfo": messages.AcctInfo,
    "merchantRiskIndicator": messages.MerchantRiskIndicator,
    "deviceRenderOptions": messages.DeviceRenderOptions,
    "homePhone": messages.PhoneNumber,
    "messageExtension": messages.MessageExtension,
    "threeDSRequestorAuthenticationInfo": messages.ThreeDSRequestorAuthenticationInfo,
    "threeDSRequestorPriorAuthenticationInfo": messages.ThreeDSRequestorPriorAuthenticationInfo,
    "recurringInd": messages.RecurringInd,
    "sellerInfo": messages.SellerInfo,
}


@pytest.mark.parametrize("version", list(MessageVersion))
def test_every_table_field_is_on_the_struct(version: MessageVersion) -> None:
    table = fields.AREQ_FIELDS[version]
    assert {row.name for row in table} <= _struct_fields(messages.AReq)
    for row in table:
        if row.name in _SUB_STRUCTS:
            assert {s.name for s in row.sub} <= _struct_fields(_SUB_STRUCTS[row.name])
    assert "ds" not in {row.name for row in table}


def test_version_tables_differ_where_the_spec_does() -> None:
    names = {v: {row.name for row in fields.AREQ_FIELDS[v]} for v in MessageVersion}
    assert "browserJavascriptEnabled" not in names[MessageVersion.V2_1_0]
    assert "whiteListStatus" in names[MessageVersion.V2_2_0]
    assert "trustListStatus" in names[MessageVersion.V2_3_1]
    assert {"dsTransID", "dsReferenceNumber", "deviceInfo"} <= names[MessageVersion.V2_1_0]


def test_iso_checks() -> None:
    assert iso.is_country("826") and iso.is_country("840")
    assert not iso.is_country("999") and not iso.is_country("901") and not iso.is_country("000")
    assert iso.is_currency("978") and iso.is_currency("840")
    assert not any(iso.is_currency(str(n)) for n in range(955, 965))
    assert not iso.is_currency("999")
    assert iso.currency_exponent("392") == 0 and iso.currency_exponent("048") == 3
    assert iso.currency_exponent("978") == 2 and iso.currency_exponent("999") is None
    assert iso.is_valid_mcc("0742") and iso.is_valid_mcc("5411") and iso.is_valid_mcc("9999")
    assert not iso.is_valid_mcc("0741") and not iso.is_valid_mcc("54a1")
    assert not iso.is_valid_mcc("５４１１")  # full-width digits are not digits on the wire
