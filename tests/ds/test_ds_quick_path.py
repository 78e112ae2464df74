"""The DS front's quick way for the common AReq (``acs.ds.areq._spliced``): it reads only the
members the DS decides on and writes the DS's members after the body's last one. It must answer
every body as the full way (``_routed``: the body read into a dict and written again) does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import acs.ds.areq as ds_areq
from acs.app import ds_front
from acs.ds.areq import route_areq
from acs.ds.server import DirectoryServer
from tests.conftest import fresh_services
from tests.ds.test_ds_front import FRICTIONLESS, NO_RANGE, SMS_CARD
from tests.ds.three_ds_server import browser_areq
from tests.web import fuzz_strategies as fs
from tests.web.test_fuzz_routes import FUZZ

RESULTS = "http://127.0.0.1:9/3ds/results"
# what an answer says, without the IDs each AReq gets afresh
FACTS = (
    "messageType",
    "messageVersion",
    "transStatus",
    "transStatusReason",
    "errorCode",
    "errorComponent",
    "errorDetail",
    "errorMessageType",
)


@pytest.fixture
async def ds() -> AsyncIterator[DirectoryServer]:
    services = await fresh_services("memory", ds_front=True, issuer_sim=False)
    yield ds_front(services)
    await services.close()


async def answer(ds: DirectoryServer, body: bytes) -> dict[str, Any]:
    routed: dict[str, Any] = json.loads((await route_areq(ds, body)).body)
    return routed


async def both_ways(ds: DirectoryServer, body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the facts of the answer as routed, those of the full way's answer).

    One difference is expected: a repeated member the quick way does not read is found by the
    validation after it, which has read the messageVersion its Erro echoes; the full way finds
    it first (load_message), and its Erro has the DS's default version."""
    quick = await answer(ds, body)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ds_areq, "_spliced", lambda *_: None)
        full = await answer(ds, body)
    if quick.get("errorCode") == full.get("errorCode") == "204":
        del quick["messageVersion"], full["messageVersion"]
    return {k: quick.get(k) for k in FACTS}, {k: full.get(k) for k in FACTS}


async def test_the_common_areq_is_not_read_into_a_dict(ds: DirectoryServer) -> None:
    """Pretty-printed, with a trailing newline: the DS's members still land inside the object,
    and the full reading (load_message) never runs."""
    areq = browser_areq(FRICTIONLESS, RESULTS)
    body = json.dumps(areq, indent=2).encode() + b"\n\n"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ds_areq, "load_message", _not_called)
        ares = await answer(ds, body)
    assert ares["messageType"] == "ARes" and ares["transStatus"] == "Y", ares
    assert ares["dsReferenceNumber"] == ds.config.reference_number


def _not_called(_body: bytes) -> None:
    raise AssertionError("the common AReq took the full reading")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        # a repeated member the quick way does not read: the validation after finds it
        (b'{"purchaseAmount":"1",', "204"),
        # a repeated PAN, the last in no card range: the full way answers, as before
        (b'{"acctNumber":"' + NO_RANGE.encode() + b'",', "204"),
        # a DS member, even null: the full way names it
        (b'{"dsURL":null,', "203"),
    ],
)
async def test_what_the_quick_way_leaves_to_the_full_one(
    ds: DirectoryServer, raw: bytes, code: str
) -> None:
    body = raw + json.dumps(browser_areq(FRICTIONLESS, RESULTS)).encode()[1:]
    quick, full = await both_ways(ds, body)
    assert quick == full, (quick, full)
    assert (quick["errorCode"], quick["errorComponent"]) == (code, "D"), quick


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """AReqs that reach the quick way, mutated, reformatted or with a member repeated, and the
    AReq fuzzer's bodies."""
    kind = draw(st.sampled_from(["mutated", "mutated", "repeated", "spaced", "fuzz"]))
    if kind == "fuzz":
        return bytes(draw(fs.areq_bodies()).data)
    base = browser_areq(draw(st.sampled_from([FRICTIONLESS, SMS_CARD])), RESULTS)
    if kind == "mutated":
        return fs.to_json(draw(fs.mutated(base)))
    if kind == "spaced":
        return json.dumps(base, indent=draw(st.integers(0, 3))).encode() + b" \r\n\t"
    name = draw(st.sampled_from(sorted(base)))
    value = draw(st.sampled_from([base[name], None, "x"]))
    return b"{" + json.dumps({name: value}).encode()[1:-1] + b"," + fs.to_json(base)[1:]


@FUZZ
@given(body=bodies())
async def test_the_quick_way_answers_as_the_full_one(ds: DirectoryServer, body: bytes) -> None:
    quick, full = await both_ways(ds, body)
    assert quick == full, (body[:300], quick, full)
