"""Validation profiles: strict reports elements of another message version (Erro 203); lenient
drops those valid as their version has them and reports the others the same way."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from acs.protocol import validate
from acs.protocol.codes import ErrorCode
from acs.protocol.errors import ProtocolError
from acs.protocol.profiles import ValidationProfile
from acs.protocol.validate import ParsedAReq, ProfileDependentError, read_areq
from tests.protocol import samples

STRICT, LENIENT = ValidationProfile.STRICT, ValidationProfile.LENIENT
PAN = "4016000000000012"


def _body(combo: tuple[str, str, str], **members: Any) -> bytes:
    return json.dumps(_with(samples.areq(*combo, pan=PAN), **members)).encode()


def _with(message: dict[str, Any], **members: Any) -> dict[str, Any]:
    """``message`` with members set; ``a__b`` is member b of object a (of its first item)."""
    message = copy.deepcopy(message)
    for path, value in members.items():
        *parents, name = path.split("__")
        parent: Any = message
        for part in parents:
            parent = parent[part]
        parent = parent[0] if isinstance(parent, list) else parent
        parent[name] = value
    return message


def _error(body: bytes, profile: ValidationProfile) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        read_areq(body, profile)
    return info.value


def _lenient(body: bytes) -> ParsedAReq:
    parsed = read_areq(body, LENIENT)
    assert validate._parse_typed(body) is None  # the typed path vouches for none of these
    return parsed


@pytest.mark.parametrize(
    ("combo", "members", "dropped"),
    [
        (("2.3.1", "02", "01"), {"whiteListStatus": "Y", "whiteListStatusSource": "01"},
         ("whiteListStatus", "whiteListStatusSource")),
        (("2.2.0", "02", "01"), {"trustListStatus": "N"}, ("trustListStatus",)),
        (("2.2.0", "01", "02"), {"acctInfo__chAccReqID": "req-1"}, ("acctInfo.chAccReqID",)),
        (("2.1.0", "02", "01"), {"browserJavascriptEnabled": True, "zzFuture": 1},
         ("browserJavascriptEnabled",)),
        # valid as 2.3.1 has it ("B"), though not as 2.2.0 does
        (("2.1.0", "03", "02"), {"threeDSRequestorDecReqInd": "B"},
         ("threeDSRequestorDecReqInd",)),
        (("2.2.0", "03", "01"), {"recurringInd": {"amountInd": "01", "frequencyInd": "02"}},
         ("recurringInd",)),
        (("2.1.0", "02", "01"), {"sellerInfo": [{"sellerName": "Corner Shop"}]},
         ("sellerInfo",)),
        (("2.2.0", "01", "01"),
         {"threeDSRequestorAuthenticationInfo__dsAuthInfVerifInd": "01"},
         ("threeDSRequestorAuthenticationInfo.dsAuthInfVerifInd",)),
        # the other version's channel rules do not apply: 2.3.1 has threeDSMethodId for BRW
        (("2.2.0", "01", "01"), {"threeDSMethodId": "6f3e5a8c-0d7b-4c1e-9a2f-3b4c5d6e7f80"},
         ("threeDSMethodId",)),
    ],
)  # fmt: skip
def test_lenient_drops_what_strict_reports(
    combo: tuple[str, str, str], members: dict[str, Any], dropped: tuple[str, ...]
) -> None:
    message = samples.areq(*combo, pan=PAN)
    body = json.dumps(_with(message, **members)).encode()
    err = _error(body, STRICT)
    assert type(err) is ProfileDependentError and err.acct_number == PAN
    assert err.code is ErrorCode.FORMAT_INVALID
    assert err.detail == f"{','.join(dropped)}: not defined in {combo[0]}"
    parsed = _lenient(body)
    assert parsed.dropped == dropped
    # the AReq of the message without them (and without the unknown name)
    assert parsed.areq == validate.parse_areq(json.dumps(message).encode())


@pytest.mark.parametrize(
    ("combo", "members", "field"),
    [
        (("2.3.1", "02", "01"), {"whiteListStatus": "X"}, "whiteListStatus"),
        (("2.2.0", "02", "01"), {"acctInfo__chAccReqID": "x" * 65}, "acctInfo.chAccReqID"),
        (("2.1.0", "02", "01"), {"browserJavascriptEnabled": "true"}, "browserJavascriptEnabled"),
        (("2.1.0", "02", "01"), {"threeDSRequestorDecReqInd": "Z"}, "threeDSRequestorDecReqInd"),
        # a required member missing, an ISO code no registry knows: invalid in 2.3.1 too
        (("2.2.0", "02", "01"), {"sellerInfo": [{"sellerId": "s-1"}]}, "sellerInfo"),
        (("2.2.0", "02", "01"), {"acquirerCountryCode": "999"}, "acquirerCountryCode"),
        (("2.2.0", "03", "01"), {"recurringInd": {"amountInd": "1"}}, "recurringInd"),
    ],
)  # fmt: skip
def test_a_malformed_element_of_another_version_is_an_erro_in_both(
    combo: tuple[str, str, str], members: dict[str, Any], field: str
) -> None:
    body = _body(combo, **members)
    for profile in ValidationProfile:
        err = _error(body, profile)
        assert type(err) is ProtocolError  # the same in the other profile
        assert err.code is ErrorCode.FORMAT_INVALID
        assert err.detail == f"{field}: not defined in {combo[0]}"


def test_unknown_and_empty_names_are_ignored_in_both() -> None:
    body = _body(("2.2.0", "02", "01"), zzFuture={"a": 1}, trustListStatus=None, sdkType="")
    for profile in ValidationProfile:
        parsed = read_areq(body, profile)
        assert parsed.dropped == () and parsed.encoded is None  # the full path: nulls


def test_valid_messages_take_the_typed_path_in_both() -> None:
    body = samples.areq_bytes("2.3.1", "02", "01")
    for profile in ValidationProfile:
        parsed = read_areq(body, profile)
        assert parsed.encoded is not None and parsed.dropped == ()


def test_the_worst_class_decides_and_depends_on_the_profile() -> None:
    # a bad currency (304) beside a valid other-version element: strict 203, lenient 304
    body = _body(("2.3.1", "02", "01"), whiteListStatus="Y", purchaseCurrency="999")
    strict, lenient = _error(body, STRICT), _error(body, LENIENT)
    assert type(strict) is type(lenient) is ProfileDependentError
    assert strict.code is ErrorCode.FORMAT_INVALID and strict.detail.startswith("whiteListStatus")
    assert lenient.code is ErrorCode.ISO_CODE_INVALID and "purchaseCurrency" in lenient.detail
    assert strict.acct_number == lenient.acct_number == PAN
    # a 203 of its own beside it: lenient reports only that one
    body = _body(("2.3.1", "02", "01"), whiteListStatus="Y", mcc="54110")
    assert _error(body, STRICT).detail == (
        "mcc,whiteListStatus: mcc invalid format or value; whiteListStatus not defined in 2.3.1"
    )
    assert _error(body, LENIENT).detail == "mcc: invalid format or value"
    # a missing element (201) outranks them: the same error in both, not profile-dependent
    message = samples.areq("2.3.1", "02", "01", whiteListStatus="Y")
    del message["notificationURL"]
    for profile in ValidationProfile:
        err = _error(json.dumps(message).encode(), profile)
        assert type(err) is ProtocolError and err.code is ErrorCode.REQUIRED_MISSING


def test_an_invalid_pan_is_not_offered_for_a_range_lookup() -> None:
    body = _body(("2.3.1", "02", "01"), whiteListStatus="Y", acctNumber="4016")
    for profile in ValidationProfile:
        err = _error(body, profile)
        assert type(err) is ProfileDependentError and err.acct_number is None
        assert "acctNumber" in err.detail
