"""Hostile bodies: whatever arrives, parse_areq answers with a ProtocolError, never a crash."""

from __future__ import annotations

import json

import pytest

from acs.protocol.codes import ErrorCode
from acs.protocol.errors import ProtocolError, erro_message
from acs.protocol.validate import parse_areq
from tests.protocol import samples


def error(body: bytes | str) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        parse_areq(body)
    return info.value


def valid_text(**overrides: object) -> str:
    return json.dumps(samples.areq("2.2.0", "02", "01", **overrides))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"null",
        b"true",
        b"123",
        b'"AReq"',
        b"[]",
        b'[{"messageType": "AReq"}]',
        b"{",
        b'{"messageType": "AReq"',
        b"{'messageType': 'AReq'}",
        b'{"messageType": "AReq",}',
        b"\xff\xfe\x00",
        b'{"a": NaN}',
        b'{"a": -Infinity}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    ],
    ids=lambda b: repr(b[:24]),
)
def test_unparsable_bodies_are_101(body: bytes) -> None:
    err = error(body)
    assert err.code is ErrorCode.MESSAGE_INVALID
    assert err.ids.threeDSServerTransID is None


def test_only_utf8_is_accepted() -> None:
    text = valid_text()
    assert error(text.encode("utf-16")).code is ErrorCode.MESSAGE_INVALID
    assert error(b"\xef\xbb\xbf" + text.encode()).code is ErrorCode.MESSAGE_INVALID  # BOM
    utf8 = json.dumps(
        samples.areq("2.2.0", "02", "01", merchantName="Caf\u00e9"), ensure_ascii=False
    )
    latin = utf8.encode("latin-1")
    assert "UTF-8" in error(latin).detail


def test_lone_surrogate_escapes_are_101_but_real_pairs_are_fine() -> None:
    text = valid_text(merchantName="MERCHANT")
    assert error(text.replace("MERCHANT", "\\ud800")).code is ErrorCode.MESSAGE_INVALID
    areq = parse_areq(text.replace("MERCHANT", "Caf\\u00e9 \\ud83d\\ude00").encode())
    assert areq.merchantName == "Caf\u00e9 \U0001f600"


def test_huge_numbers() -> None:
    assert error(valid_text().replace('"acctNumber"', '"n": ' + "9" * 5000 + ', "acctNumber"'))
    err = error(valid_text().replace('"4016000000000012"', "1e999"))
    assert err.code is ErrorCode.FORMAT_INVALID and "acctNumber" in err.detail
    parse_areq(valid_text().replace('"acctNumber"', '"unknownBig": 1e999, "acctNumber"'))


def test_deep_nesting_inside_a_field_is_a_format_error() -> None:
    deep = "[" * 500 + "]" * 500
    err = error(valid_text(acctInfo="X").replace('"X"', deep))
    assert err.code is ErrorCode.FORMAT_INVALID and "acctInfo" in err.detail


def test_envelope_of_the_wrong_type() -> None:
    err = error(valid_text(messageType={"x": 1}))
    assert err.code is ErrorCode.MESSAGE_INVALID and "an object" in err.detail
    err = error(valid_text(messageType=["AReq"]))
    assert err.code is ErrorCode.MESSAGE_INVALID and "an array" in err.detail
    err = error(valid_text(messageVersion=True))
    assert err.code is ErrorCode.VERSION_NOT_SUPPORTED and "true" in err.detail
    err = error(valid_text(messageCategory={"a": 1}))
    assert err.code is ErrorCode.FORMAT_INVALID and "messageCategory" in err.detail


def test_empty_object_names_the_envelope() -> None:
    err = error(b"{}")
    assert err.code is ErrorCode.REQUIRED_MISSING
    assert err.detail == "messageType,messageVersion: required element missing"
    err = error(b'{"messageType": "AReq"}')
    assert err.detail == "messageVersion: required element missing"


def test_invalid_channel_still_reports_missing_common_fields() -> None:
    message = samples.areq("2.2.0", "02", "01", deviceChannel="07")
    del message["threeDSServerURL"]
    err = error(json.dumps(message))
    assert err.code is ErrorCode.REQUIRED_MISSING and err.detail.startswith("threeDSServerURL")


def test_details_are_ascii_and_bounded() -> None:
    nasty = "\u202e\x00<script>" + "\u00e9" * 500
    err = error(valid_text(messageType=nasty))
    assert err.detail.isascii() and len(err.detail) < 200
    key = json.dumps(nasty)
    body = valid_text().replace('"acctNumber"', f'{key}: 1, {key}: 2, "acctNumber"')
    err = error(body)
    assert err.code is ErrorCode.DUPLICATE_ELEMENT and err.detail.isascii()
    assert len(erro_message(err).errorDetail) <= 2048


def test_keys_differing_in_case_are_not_duplicates() -> None:
    parse_areq(valid_text().replace('"acctNumber"', '"ACCTNUMBER": "x", "acctNumber"'))


def test_several_duplicates_are_all_named() -> None:
    text = valid_text().replace(
        '"acctNumber"', '"email": "a@b.c", "acctInfo": {"x": 1, "x": 2}, "acctNumber"'
    )
    err = error(text)
    assert err.code is ErrorCode.DUPLICATE_ELEMENT
    assert set(err.detail.split(":")[0].split(",")) == {"email", "acctInfo"}


def test_buffer_types_are_accepted() -> None:
    body = valid_text().encode()
    assert parse_areq(bytearray(body)).messageType == "AReq"
    assert parse_areq(memoryview(body)).messageType == "AReq"  # type: ignore[arg-type]
