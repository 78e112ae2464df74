"""The DS front's routes under generated input: never a 5xx, always a JSON answer in the
route's format (an EMV message with errorComponent D, or an ARes/PRes/RRes), and no crash in
the logs. The bodies: mutations of valid messages (every member dropped, retyped or replaced)
and the AReq fuzzer's bodies (bad encodings, duplicates, deep nesting, huge values)."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
import structlog
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests.ds.test_ds_front import SMS_CARD, node, rreq_for
from tests.ds.three_ds_server import browser_areq, preq
from tests.web import fuzz_strategies as fs
from tests.web.test_fuzz_routes import CRASH_WORDS, FUZZ

RESULTS = "http://127.0.0.1:9/3ds/results"  # closed: a relayed RReq fails fast (405)


@pytest.fixture
async def ds(aiohttp_client: Any, caplog: pytest.LogCaptureFixture) -> Any:
    client = await node(aiohttp_client)
    ares = await (await client.post("/ds/areq", json=browser_areq(SMS_CARD, RESULTS))).json()
    assert ares["transStatus"] == "C", ares
    caplog.set_level(logging.WARNING)
    with structlog.testing.capture_logs() as events:
        yield client, ares
    crashes = [e for e in events if e.get("log_level") in ("error", "critical")]
    crashes += [r for r in caplog.records if any(w in r.getMessage() for w in CRASH_WORDS)]
    assert not crashes, crashes[:3]


async def post(client: TestClient, path: str, body: fs.Body | bytes) -> dict[str, Any]:
    if isinstance(body, bytes):
        resp = await client.post(path, data=body, headers={"Content-Type": "application/json"})
    else:
        resp = await client.post(path, data=body.data, headers=body.headers)
    assert resp.status < 500, (path, resp.status, await resp.text())
    assert resp.content_type == "application/json", (path, resp.content_type)
    answer: dict[str, Any] = json.loads(await resp.read())
    return answer


def expect(answer: dict[str, Any], ok: str) -> None:
    assert answer["messageType"] in (ok, "Erro"), answer
    if answer["messageType"] == "Erro":
        assert answer["errorComponent"] == "D" and answer["errorDetail"], answer
        assert len(answer["errorCode"]) == 3


@FUZZ
@given(data=st.data())
async def test_areq_route(ds: Any, data: st.DataObject) -> None:
    client, _ = ds
    if data.draw(st.booleans()):
        body: fs.Body | bytes = data.draw(fs.areq_bodies())
    else:
        body = fs.to_json(data.draw(fs.mutated(browser_areq(SMS_CARD, RESULTS))))
    expect(await post(client, "/ds/areq", body), "ARes")


@FUZZ
@given(data=st.data())
async def test_preq_route(ds: Any, data: st.DataObject) -> None:
    client, _ = ds
    base = preq(data.draw(st.sampled_from(["2.1.0", "2.2.0", "2.3.1"])))
    message = data.draw(fs.mutated(base))
    expect(await post(client, "/ds/preq", fs.to_json(message)), "PRes")


@FUZZ
@given(data=st.data())
async def test_rreq_routes(ds: Any, data: st.DataObject) -> None:
    client, ares = ds
    message = data.draw(fs.mutated(rreq_for(ares)))
    expect(await post(client, "/ds/rreq", fs.to_json(message)), "RRes")
    sink = await post(client, "/ds/sink/rreq", fs.to_json(message))
    assert sink["messageType"] in ("RRes", "Erro"), sink
    ds_trans_id = data.draw(st.sampled_from([ares["dsTransID"], str(uuid.uuid4()), "x", "%00"]))
    resp = await client.get(f"/ds/transactions/{ds_trans_id}")
    assert resp.status in (200, 400, 404) and resp.content_type == "application/json"
