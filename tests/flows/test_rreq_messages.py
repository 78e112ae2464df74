"""RReq built as the protocol Struct, per version; an RRes read strictly, every fault named."""

from __future__ import annotations

import json
import time

import msgspec
import pytest

from acs.challenge.session import Result, Session
from acs.flows.rreq import build_rreq, check_rres
from acs.issuer.models import ChallengeMethod

IDS = {
    "threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
    "acsTransID": "d7c1ee99-9478-44a6-b1f2-391e29c6b340",
    "dsTransID": "f25084f0-5b16-4c0a-ae5d-b24808a95e4b",
}


def session(version: str, status: str, reason: str | None = None, **extra: object) -> Session:
    s = Session(
        acs_trans_id=IDS["acsTransID"],
        three_ds_server_trans_id=IDS["threeDSServerTransID"],
        ds_trans_id=IDS["dsTransID"],
        message_version=version,
        device_channel="02",
        message_category="01",
        card_range_id="r",
        scheme="visa",
        pan_hash="h",
        pan_enc="e",
        pan_masked="401600******0012",
        methods=[ChallengeMethod.OTP_SMS],
        created_at=time.time(),
        creq_deadline=time.time() + 30,
        interaction_counter=2,
    )
    s.result = Result(trans_status=status, reason=reason, **extra)  # type: ignore[arg-type]
    return s


def wire(version: str, status: str, reason: str | None = None, **extra: object) -> dict:
    return json.loads(msgspec.json.encode(build_rreq(session(version, status, reason, **extra))))


def test_rreq_per_version() -> None:
    y = wire("2.2.0", "Y", authentication_value="AAAB", eci="05")
    assert y == {
        "messageType": "RReq",
        "messageVersion": "2.2.0",
        **IDS,
        "messageCategory": "01",
        "transStatus": "Y",
        "interactionCounter": "02",
        "authenticationValue": "AAAB",
        "eci": "05",
        "authenticationType": "02",
    }
    n = wire("2.3.1", "N", "19", challenge_cancel="01")
    assert n["authenticationMethod"] == ["02"] and "authenticationType" not in n
    assert (n["transStatusReason"], n["challengeCancel"]) == ("19", "01")
    u = wire("2.1.0", "U", "08")
    assert "authenticationType" not in u and u["transStatusReason"] == "08"


def rres(**changes: object) -> bytes:
    body = {"messageType": "RRes", "messageVersion": "2.2.0", **IDS, "resultsStatus": "01"}
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (rres(), None),
        (rres(resultsStatus="09"), "not an RRes"),
        (rres(messageType="RReq"), "not an RRes"),
        (rres(dsTransID=None), "not an RRes"),
        (rres(acsTransID="00000000-0000-4000-8000-000000000000"), "acsTransID does not match"),
        (b"<html>", "RRes is not JSON"),
        (
            json.dumps({"messageType": "Erro", "errorCode": "203", "errorDetail": "x"}).encode(),
            "DS answered Erro 203: x",
        ),
    ],
)
def test_rres_is_read_strictly(raw: bytes, problem: str | None) -> None:
    found, parsed = check_rres(raw, build_rreq(session("2.2.0", "Y")))
    if problem is None:
        assert found is None and parsed is not None and parsed.resultsStatus == "01"
    else:
        assert found is not None and found.startswith(problem) and parsed is None
