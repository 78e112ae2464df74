"""The QA routes this issue adds, under generated input (the harness of test_fuzz_routes: never
a 5xx, nothing in the logs that looks like a crash): bad query parameters, bad bodies, unknown
and malformed ids all get a JSON error that says what to fix, on both stores."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import auth
from tests.protocol import samples
from tests.protocol.test_fuzz import json_values
from tests.web import fuzz_strategies as fs
from tests.web.test_fuzz_routes import (  # noqa: F401 - fixtures
    FUZZ,
    FUZZ_REDIS,
    Harness,
    harness,
    redis_harness,
)

QUERY_NAMES = ["acctNumber", "since", "status", "limit", "acsTransID", "stauts", "x", ""]
QUERY_VALUES = st.one_of(
    fs.texts,
    st.sampled_from(["Y", "N,C,Erro", "Q", "0", "1", "50", "1001", "-1", "1h", "7d", "nan"]),
    st.sampled_from(["2024-05-29T16:00:00Z", "4016000000000012", "12", "1e309", "1716999000"]),
    fs.uuids,
)
COMPLETE = st.fixed_dictionaries(
    {},
    optional={
        "transStatus": st.sampled_from(["Y", "N", "U", "C", "", "y"]) | json_values,
        "transStatusReason": st.sampled_from(["01", "11", "27", "99", "xx"]) | json_values,
        "action": st.sampled_from(["cancel", "timeout", "abandon", ""]) | json_values,
        "extra": json_values,
    },
)


def expect_json_error(answer: Any, *allowed: int) -> Any:
    assert answer.content_type == "application/json", answer
    payload = answer.json()
    if answer.status >= 400:
        assert isinstance(payload, dict) and payload["error"], payload
    assert answer.status in allowed, answer
    return payload


async def _ids(h: Harness, data: st.DataObject) -> str:
    """A live challenge's acsTransID, a frictionless one, an unknown one, or junk."""
    kind = data.draw(st.sampled_from(["live", "frictionless", "unknown", "junk"]), label="id")
    fresh = data.draw(st.booleans(), label="fresh")  # drawn always: the draws must not vary
    junk = data.draw(fs.uuids | st.sampled_from(["x", "%00", "a" * 300]), label="junk")
    if kind == "live":
        if not h.live or fresh:
            ares = await h.open_challenge("4016000000000111")
            h.live.append(ares)
        return h.live[-1]["acsTransID"]
    if kind == "frictionless":
        body = fs.to_json(samples.areq("2.2.0", "02", "01", pan="4016000000000012"))
        ares = await (await h.client.post("/3ds/areq", data=body)).json()
        return str(ares["acsTransID"])
    if kind == "unknown":
        return str(uuid.uuid4())
    return junk


async def complete_example(h: Harness, data: st.DataObject) -> None:
    acs_trans_id = await _ids(h, data)
    path = f"/qa/transactions/{quote(acs_trans_id, safe='', errors='surrogatepass')}/complete"
    if data.draw(st.integers(0, 3)):
        body = fs.Body(fs.to_json(data.draw(COMPLETE)), {"Content-Type": "application/json"})
    else:
        body = data.draw(fs.admin_bodies(), label="body")
    method = data.draw(st.sampled_from(["POST"] * 5 + ["GET", "PUT"]))
    answer = await h.send("/qa/complete", method, path, body)
    expect_json_error(answer, 200, 400, 404, 405, 409, 413, 415)


async def query_example(h: Harness, data: st.DataObject) -> None:
    path = data.draw(
        st.sampled_from(["/qa/transactions", "/qa/rreq-log", "/qa/data-quality"]), label="path"
    )
    query = data.draw(
        st.lists(st.tuples(st.sampled_from(QUERY_NAMES), QUERY_VALUES), max_size=4),
        label="query",
    )
    method = data.draw(st.sampled_from(["GET"] * 6 + ["POST"]))
    answer = await h.send(path, method, path, params=query)
    payload = expect_json_error(answer, 200, 400, 405)
    if answer.status == 200:
        assert isinstance(payload, list if path != "/qa/data-quality" else dict)


async def reset_example(h: Harness, data: st.DataObject) -> None:
    token = data.draw(st.sampled_from(["admin", "wrong", "none"]), label="token")
    headers = auth() if token == "admin" else {}
    if token == "wrong":
        headers = {"Authorization": data.draw(st.sampled_from(["Bearer x", "Basic y", "Bearer"]))}
    method = data.draw(st.sampled_from(["DELETE", "DELETE", "GET", "POST"]))
    answer = await h.send("/qa/state", method, "/qa/state", headers=headers)
    expect_json_error(answer, 200, 401, 405)
    if answer.status == 200:
        assert method == "DELETE" and token == "admin"


@FUZZ
@given(data=st.data())
async def test_complete_route(harness: Harness, data: st.DataObject) -> None:  # noqa: F811
    await complete_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_listing_routes(harness: Harness, data: st.DataObject) -> None:  # noqa: F811
    await query_example(harness, data)


@FUZZ
@given(data=st.data())
async def test_reset_route(harness: Harness, data: st.DataObject) -> None:  # noqa: F811
    await reset_example(harness, data)


@pytest.mark.redis
@FUZZ_REDIS
@given(data=st.data())
async def test_every_new_qa_route_on_redis(redis_harness: Harness, data: st.DataObject) -> None:  # noqa: F811
    example = data.draw(st.sampled_from([complete_example, query_example, reset_example]))
    await example(redis_harness, data)
