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
from acs.protocol.errors import ProtocolError, erro_message
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


Combo = tuple[str, str, str]


@dataclass(frozen=True)
class Case:
    name: str
    combo: Combo
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
        cases += [
            Case(f"{v}-no-{f}", (v, BRW, PA), drop(f), MISSING, f) for f in _ALL_CHANNEL_REQUIRED
        ]
        cases += [
            Case(f"{v}-app-no-{f}", (v, APP, PA), drop(f), MISSING, f) for f in _PAYMENT_REQUIRED
        ]
        cases += [
            Case(f"{v}-app-no-{f}", (v, APP, NPA), drop(f), MISSING, f) for f in _APP_REQUIRED
        ]
        cases += [
            Case(f"{v}-brw-no-{f}", (v, BRW, NPA), drop(f), MISSING, f)
            for f in (*_BROWSER_ALL, *_BROWSER_REQUIRED[v])
        ]
        cases += [
            Case(f"{v}-3ri-no-{f}", (v, RI, NPA), drop(f), MISSING, f) for f in _3RI_REQUIRED[v]
        ]
    cases.append(Case("2.3-app-no-sdkType", (V23, APP, PA), drop("sdkType"), MISSING, "sdkType"))
    return cases


_OFF_CURVE_KEY = {"kty": "EC", "crv": "P-256", "x": samples.b64url(b"\x01" * 32), "y": "AQ"}
_TOO_MANY = [extension(f"ext-{i}") for i in range(11)]

# Combos: A/B/R = app/browser/3RI, then the version; a trailing N = non-payment (02).
A21, A22, A23 = (V21, APP, PA), (V22, APP, PA), (V23, APP, PA)
B21, B22, B23 = (V21, BRW, PA), (V22, BRW, PA), (V23, BRW, PA)
R21, R22, R23 = (V21, RI, PA), (V22, RI, PA), (V23, RI, PA)
A21N, A22N, A23N = (V21, APP, NPA), (V22, APP, NPA), (V23, APP, NPA)
B21N, B22N, B23N = (V21, BRW, NPA), (V22, BRW, NPA), (V23, BRW, NPA)
R22N, R23N = (V22, RI, NPA), (V23, RI, NPA)
DUP, EXT, VER = (
    ErrorCode.DUPLICATE_ELEMENT,
    ErrorCode.CRITICAL_EXTENSION_UNKNOWN,
    ErrorCode.VERSION_NOT_SUPPORTED,
)
BAD_MSG = ErrorCode.MESSAGE_INVALID


def bad(name: str, combo: Combo, path: str, value: Any, code: ErrorCode = INVALID) -> Case:
    """Set one field; the field named in errorDetail is the path without list indexes."""
    field = ".".join(p for p in path.split(".") if not p.isdigit())
    return Case(name, combo, put(path, value), code, field)


EXPLICIT: list[Case] = [
    # wrong JSON types
    bad("js-enabled-string", B22, "browserJavascriptEnabled", "true"),
    bad("java-enabled-number", B21, "browserJavaEnabled", 1),
    bad("pay-token-string", A23, "payTokenInd", "Y"),
    bad("pay-token-false", B22, "payTokenInd", False),
    bad("acct-number-int", B22, "acctNumber", 4016000000000012),
    bad("acct-info-array", B22, "acctInfo", [{"chAccAgeInd": "01"}]),
    Case(
        "ext-critical-string",
        B22,
        put("messageExtension", [{**extension("x"), "criticalityIndicator": "true"}]),
        INVALID,
        "messageExtension.criticalityIndicator",
    ),
    # UUIDs
    bad("bad-server-trans-id", B22, "threeDSServerTransID", "not-a-uuid"),
    bad("sdk-app-id-no-dashes", A23, "sdkAppID", uuid.uuid4().hex),
    bad("ds-trans-id-braces", A21N, "dsTransID", "{" + str(uuid.uuid4()) + "}"),
    # dates
    bad("bad-ch-acc-date", B22, "acctInfo.chAccDate", "20231341"),
    bad("feb-30-purchase", B21, "purchaseDate", "20230230120000"),
    bad("purchase-hour-24", A23, "purchaseDate", "20230101240000"),
    bad("expiry-month-13", A22, "cardExpiryDate", "2513"),
    bad("recurring-expiry-feb-31", R22N, "recurringExpiry", "20240231"),
    bad(
        "auth-timestamp-minute-60",
        B22,
        "threeDSRequestorAuthenticationInfo.threeDSReqAuthTimestamp",
        "202401012360",
    ),
    bad("auth-method-11", B23, "threeDSRequestorAuthenticationInfo.0.threeDSReqAuthMethod", "11"),
    # fields of another version
    bad("dec-req-in-2.1", B21, "threeDSRequestorDecReqInd", "N"),
    bad("sdk-type-in-2.1", A21, "sdkType", "01"),
    bad("accept-language-in-2.1", B21, "acceptLanguage", ["en"]),
    bad("js-enabled-in-2.1", B21, "browserJavascriptEnabled", True),
    bad("ch-acc-req-id-in-2.2", B22, "acctInfo.chAccReqID", "abc"),
    bad("trust-list-in-2.2", B22, "trustListStatus", "Y"),
    bad("white-list-in-2.3", B23, "whiteListStatus", "Y"),
    bad("ui-type-06-in-2.2", A22, "deviceRenderOptions.sdkUiType", ["01", "06"]),
    bad("auth-info-array-in-2.2", B22, "threeDSRequestorAuthenticationInfo", [{}]),
    # broadInfo: an object of at most 4096 characters, in every version
    bad("broad-info-string-2.1", B21, "broadInfo", "TLS 1.x will be turned off"),
    bad("broad-info-too-long-2.2", A22, "broadInfo", {"message": "x" * 4085}),
    # fields of another channel / category
    bad("user-agent-in-app", A22, "browserUserAgent", "Mozilla/5.0"),
    bad("browser-language-in-app", A23N, "browserLanguage", "en"),
    bad("sdk-app-id-in-browser", B22, "sdkAppID", str(uuid.uuid4())),
    bad("sdk-trans-id-in-3ri", R23, "sdkTransID", str(uuid.uuid4())),
    bad("notification-url-in-3ri", R22N, "notificationURL", "https://x.example/n"),
    bad("comp-ind-in-app", A22, "threeDSCompInd", "Y"),
    bad("auth-ind-in-3ri-2.1", R21, "threeDSRequestorAuthenticationInd", "01"),
    bad("auth-ind-in-3ri-2.2", R22N, "threeDSRequestorAuthenticationInd", "01"),
    bad("auth-ind-in-3ri-2.3", R23, "threeDSRequestorAuthenticationInd", "02"),
    bad("three-ri-ind-in-browser", B22, "threeRIInd", "01"),
    bad("purchase-in-3ri-2.1", R21, "purchaseAmount", "100"),
    bad("challenge-ind-in-3ri-2.2", R22, "threeDSRequestorChallengeInd", "01"),
    bad("trans-type-in-npa", B22N, "transType", "01"),
    bad("addr-match-in-3ri", R22, "addrMatch", "Y"),
    # present while its condition forbids it
    bad("pay-token-source-alone", B22, "payTokenSource", "01"),
    Case(
        "default-sdk-with-split",
        A23,
        chain(
            put("sdkType", "02"),
            put("splitSdkType", {"sdkVariant": "01"}),
            put("sdkServerSignedContent", "a.b.c"),
        ),
        INVALID,
        "defaultSdkType",
    ),
    # ISO codes and MCC
    bad("merchant-country-999", B22, "merchantCountryCode", "999", ISO),
    bad("bill-country-000", A21, "billAddrCountry", "000", ISO),
    bad("acquirer-country-999", B23, "acquirerCountryCode", "999", ISO),
    bad("currency-999", B22, "purchaseCurrency", "999", ISO),
    bad("currency-gold", A23, "purchaseCurrency", "959", ISO),
    bad("gift-card-currency-999", B22, "merchantRiskIndicator.giftCardCurr", "999", ISO),
    bad("recurring-currency-999", R23N, "recurringCurrency", "999", ISO),
    bad("mcc-0001", B22, "mcc", "0001", MCC),
    bad("mcc-letters", B22, "mcc", "54a1"),
    bad("country-two-digits", B22, "merchantCountryCode", "82"),
    # message extensions
    Case(
        "critical-unknown-extension",
        B22,
        put("messageExtension", [extension("ACME-EXT-1", critical=True)]),
        EXT,
        "ACME-EXT-1",
    ),
    bad("eleven-extensions-2.2", B22, "messageExtension", _TOO_MANY),
    bad("sixteen-extensions-2.3", B23, "messageExtension", [extension(f"e{i}") for i in range(16)]),
    Case(
        "extension-without-name",
        B23,
        put("messageExtension", [{"id": "x", "criticalityIndicator": False, "data": {}}]),
        MISSING,
        "messageExtension.name",
    ),
    # duplicates
    Case("duplicate-top-level", B22, duplicate("acctNumber"), DUP, "acctNumber"),
    Case("duplicate-nested", B22, duplicate("acctInfo.chAccAgeInd"), DUP, "acctInfo.chAccAgeInd"),
    Case(
        "duplicate-in-array",
        A23,
        chain(put("messageExtension", [extension("x")]), duplicate("messageExtension.0.id")),
        DUP,
        "messageExtension.id",
    ),
    # envelope
    Case("version-2.0.9", B22, put("messageVersion", "2.0.9"), VER, "2.1.0, 2.2.0, 2.3.1"),
    bad("version-1.0.2", B22, "messageVersion", "1.0.2", VER),
    bad("version-number", B22, "messageVersion", 2.2, VER),
    bad("message-type-creq", B22, "messageType", "CReq", BAD_MSG),
    bad("message-type-lowercase", A23, "messageType", "areq", BAD_MSG),
    Case("invalid-json", B22, raw(b'{"messageType": "AReq",'), BAD_MSG, "JSON"),
    Case("empty-body", B22, raw(b""), BAD_MSG, "JSON"),
    Case("json-array", B22, raw(b'[{"messageType": "AReq"}]'), BAD_MSG, "object"),
    bad("device-channel-04", B22, "deviceChannel", "04"),
    Case("device-channel-ds-80", B22, put("deviceChannel", "80"), INVALID, "DS-specific"),
    bad("category-ds-85", A23, "messageCategory", "85"),
    bad("device-channel-int", B21, "deviceChannel", 2),
    # empty and null required values
    bad("empty-acct-number", B22, "acctNumber", "", MISSING),
    bad("null-requestor-url", A23N, "threeDSRequestorURL", None, MISSING),
    Case(
        "empty-render-options",
        A22,
        put("deviceRenderOptions", {}),
        MISSING,
        "deviceRenderOptions.sdkInterface",
    ),
    bad("empty-ui-type-list", A23, "deviceRenderOptions.sdkUiType", [], MISSING),
    Case("phone-without-cc", B22, drop("homePhone.cc"), MISSING, "homePhone.cc"),
    Case("ship-state-no-country", B22, drop("shipAddrCountry"), MISSING, "shipAddrCountry"),
    # decoupled
    Case(
        "dec-max-time-missing-2.2",
        B22,
        put("threeDSRequestorDecReqInd", "Y"),
        MISSING,
        "threeDSRequestorDecMaxTime",
    ),
    Case(
        "dec-max-time-missing-2.3-F",
        A23,
        put("threeDSRequestorDecReqInd", "F"),
        MISSING,
        "threeDSRequestorDecMaxTime",
    ),
    bad("dec-req-F-in-2.2", A22, "threeDSRequestorDecReqInd", "F"),
    bad("dec-max-time-10081", B22, "threeDSRequestorDecMaxTime", "10081"),
    bad("dec-max-time-zero", B23, "threeDSRequestorDecMaxTime", "00000"),
    # challenge indicator shapes
    bad("challenge-ind-string-2.3", B23, "threeDSRequestorChallengeInd", "01"),
    bad("challenge-ind-05-in-2.1", B21, "threeDSRequestorChallengeInd", "05"),
    bad("challenge-ind-array-2.2", A22, "threeDSRequestorChallengeInd", ["01"]),
    bad("challenge-ind-three-items", A23, "threeDSRequestorChallengeInd", ["01", "02", "03"]),
    bad("challenge-ind-15-in-2.3", B23N, "threeDSRequestorChallengeInd", ["15"]),
    # app data
    bad("ephem-key-off-curve", A22, "sdkEphemPubKey", _OFF_CURVE_KEY),
    bad("ephem-key-rsa", A23, "sdkEphemPubKey", {"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
    bad("ephem-key-as-string", A21, "sdkEphemPubKey", json.dumps(samples.p256_jwk())),
    bad("sdk-interface-04", A22N, "deviceRenderOptions.sdkInterface", "04"),
    bad("sdk-max-timeout-04", A22, "sdkMaxTimeout", "04"),
    bad("sdk-max-timeout-one-digit", A23, "sdkMaxTimeout", "5"),
    bad("device-info-not-base64", A22, "deviceInfo", "not base64!"),
    bad("device-info-not-json", A23, "deviceInfo", samples.b64url(b"hello")),
    Case(
        "split-sdk-without-content",
        A23,
        chain(
            put("sdkType", "02"), drop("defaultSdkType"), put("splitSdkType", {"sdkVariant": "01"})
        ),
        MISSING,
        "sdkServerSignedContent",
    ),
    # amounts and other formats
    bad("amount-49-digits", B22, "purchaseAmount", "1" * 49),
    bad("amount-decimal-point", B23, "purchaseAmount", "123.45"),
    bad("exponent-two-digits", A22, "purchaseExponent", "10"),
    bad("color-depth-30-in-2.2", B22, "browserColorDepth", "30"),
    bad("color-depth-100-in-2.3", B23, "browserColorDepth", "100"),
    bad("language-9-chars-2.2", B22, "browserLanguage", "en-GB-xyz"),
    bad("browser-ip-bad", B22, "browserIP", "999.1.1.1"),
    bad("notification-url-ftp", B21N, "notificationURL", "ftp://x.example/n"),
    bad("cardholder-name-1-char", B22, "cardholderName", "J"),
    bad("email-no-at", B22, "email", "jane.example.com"),
    bad("phone-letters", B23, "homePhone.subscriber", "20794x"),
    bad("instalments-1", B22, "purchaseInstalData", "1"),
    Case(
        "npa-recurring-needs-purchase",
        B22N,
        put("threeDSRequestorAuthenticationInd", "02"),
        MISSING,
        "purchaseAmount",
    ),
    # priority between classes
    Case("201-beats-203", B22, chain(drop("acctNumber"), put("mcc", "5x")), MISSING, "acctNumber"),
    Case(
        "203-beats-304",
        B22,
        chain(put("merchantCountryCode", "999"), put("mcc", "5x")),
        INVALID,
        "mcc",
    ),
    Case(
        "304-beats-306",
        B22,
        chain(put("merchantCountryCode", "999"), put("mcc", "0001")),
        ISO,
        "merchantCountryCode",
    ),
    Case(
        "202-beats-203",
        B22,
        chain(put("messageExtension", [extension("CRIT", True)]), put("mcc", "x")),
        EXT,
        "CRIT",
    ),
    Case(
        "204-beats-201",
        B22,
        chain(drop("merchantName"), duplicate("acctNumber")),
        DUP,
        "acctNumber",
    ),
    Case(
        "102-beats-204",
        B22,
        chain(put("messageVersion", "3.0.0"), duplicate("acctNumber")),
        VER,
        "3.0.0",
    ),
    Case(
        "101-beats-102",
        B22,
        chain(put("messageVersion", "9"), put("messageType", "RReq")),
        BAD_MSG,
        "messageType",
    ),
]


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
    body = msgspec.to_builtins(erro_message(err))
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
    assert erro_message(err).messageVersion == "2.3.1"


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


# EMVCo's 2.1.0 sample AReq carries this broadcast information
BROAD_INFO = {"message": "TLS 1.x will be turned off starting summer 2019"}


@pytest.mark.parametrize("combo", samples.ALL_COMBINATIONS)
def test_broad_info_is_optional_in_every_version(combo: tuple[str, str, str]) -> None:
    """On the typed path and on the full path, kept in the AReq and in its encoding."""
    body = body_for(combo, put("broadInfo", BROAD_INFO))
    typed = validate._parse_typed(body)
    assert typed is not None
    full = validate._parse_full(body).areq
    assert typed[0].broadInfo == full.broadInfo == BROAD_INFO
    assert json.loads(typed[1])["broadInfo"] == BROAD_INFO
    longest = {"message": "x" * (4096 - len('{"message":""}'))}
    assert parse(combo, put("broadInfo", longest)).broadInfo == longest


def test_empty_optional_values_read_as_absent() -> None:
    areq = parse(("2.2.0", "02", "01"), chain(put("acctID", ""), put("billAddrLine2", None)))
    assert areq.acctID is None and areq.billAddrLine2 is None


def test_null_fields_of_other_versions_or_channels_read_as_absent() -> None:
    parse(("2.2.0", "02", "01"), chain(put("trustListStatus", None), put("sdkAppID", "")))


def test_a_rejected_value_does_not_trigger_conditions() -> None:
    # threeRIInd 01 would make recurring data required, but it has no place in a browser AReq
    err = error_for(("2.2.0", "02", "01"), put("threeRIInd", "01"))
    assert err.detail == "threeRIInd: not allowed for deviceChannel 02"


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
    assert parse(
        ("2.1.0", "02", "01"), drop("threeDSRequestorChallengeInd")
    ).challenge_indicators == (ChallengeInd.NO_PREFERENCE,)
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
    assert "ds" not in fields.AREQ_FIELD_NAMES


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
    assert not iso.is_valid_mcc("\uff15\uff14\uff11\uff11")  # full-width digits
