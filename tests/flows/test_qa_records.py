"""GET /qa/transactions (AReqs answered with an Erro included), DELETE /qa/state and
GET /qa/rreq-log, on both stores; the indexes stay bounded."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from acs.app import create_app
from acs.store import keys
from acs.store import qa as qa_store
from acs.web.appkeys import SERVICES
from tests.conftest import auth, fresh_services
from tests.flows.test_browser_flow import StubDS, creq_field, make_client, start
from tests.protocol import samples

Y_CARD, N_CARD, SMS_CARD = "4016000000000012", "4016000000000038", "4016000000000111"
OUTSIDE = "4999990000000001"  # in no card range: Erro 305


async def areq(client: TestClient, pan: str, **fields: Any) -> dict[str, Any]:
    body = samples.areq("2.2.0", "02", "01", pan=pan, **fields)
    answer: dict[str, Any] = await (await client.post("/3ds/areq", json=body)).json()
    return answer


async def listing(client: TestClient, query: str = "") -> list[dict[str, Any]]:
    resp = await client.get(f"/qa/transactions{query}")
    assert resp.status == 200, await resp.text()
    found: list[dict[str, Any]] = await resp.json()
    return found


async def test_the_list_is_newest_first_with_erros_and_filters(client: TestClient) -> None:
    y = await areq(client, Y_CARD)
    n = await areq(client, N_CARD)
    erro = await areq(client, OUTSIDE)
    assert erro["messageType"] == "Erro" and erro["errorCode"] == "305"
    unreadable = await client.post("/3ds/areq", data=b'{"messageType": "AReq", "acctNumber": ')
    assert (await unreadable.json())["errorCode"] == "101"
    everything = await listing(client)
    assert [t["answer"] for t in everything[:4]] == ["Erro", "Erro", "ARes", "ARes"]
    assert [t["acsTransID"] for t in everything[1:4]] == [
        erro["acsTransID"],
        n["acsTransID"],
        y["acsTransID"],
    ]
    kept = everything[1]
    assert (kept["errorCode"], kept["errorComponent"]) == ("305", "A")
    assert "outside every card range" in kept["errorDetail"]
    assert kept["acctNumber"] == "499999******0001" and OUTSIDE not in json.dumps(everything)
    # the Erro's own record, by the acsTransID it carried
    record = await (await client.get(f"/qa/transactions/{erro['acsTransID']}")).json()
    assert record["errorCode"] == "305" and record["state"] == "erro"
    assert "pan_hash" not in record and record["pan_masked"] == "499999******0001"
    assert everything[0]["errorCode"] == "101" and everything[0]["acctNumber"] is None

    assert [t["transStatus"] for t in await listing(client, f"?acctNumber={N_CARD}")] == ["N"]
    assert [t["acctNumber"] for t in await listing(client, f"?acctNumber={OUTSIDE}")] == [
        "499999******0001"
    ]
    assert {t["acsTransID"] for t in await listing(client, "?status=Y,N")} == {
        y["acsTransID"],
        n["acsTransID"],
    }
    assert len(await listing(client, "?status=Erro")) == 2
    assert len(await listing(client, "?limit=2")) == 2
    assert await listing(client, f"?since={time.time() + 60:.0f}") == []
    assert len(await listing(client, "?since=1h")) == 4


async def test_a_challenge_lists_its_outcome(aiohttp_client, ds: StubDS, store_url: str) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, store_url)
    ares = await start(client, ds)
    (item,) = await listing(client, "?status=C")
    assert item["challenge"]["phase"] == "awaiting-creq" and item["state"] == "challenge"
    await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
    done = await client.post(
        f"/qa/transactions/{ares['acsTransID']}/complete", json={"transStatus": "Y"}
    )
    assert done.status == 200
    (item,) = await listing(client, "?status=Y")  # the challenge's final status matches too
    assert item["transStatus"] == "C" and item["challenge"]["transStatus"] == "Y"
    assert item["challenge"]["rreq"] == "delivered"
    log = await (await client.get(f"/qa/rreq-log?acsTransID={ares['acsTransID']}")).json()
    (attempt,) = log
    assert attempt["status"] == "delivered" and attempt["attempt"] == 1
    assert attempt["failure"] is None
    assert attempt["rreq"]["transStatus"] == "Y" and attempt["rres"]["resultsStatus"] == "01"


async def test_the_rreq_log_keeps_every_attempt_newest_first(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    ds = StubDS(fail_first=2)
    await ds.server.start_server()
    try:
        client = await make_client(aiohttp_client, rreq_retry_seconds=0.05)
        ares = await start(client, ds)
        await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
        await client.post(
            f"/qa/transactions/{ares['acsTransID']}/complete", json={"action": "cancel"}
        )
        for _ in range(200):
            log = await (await client.get("/qa/rreq-log")).json()
            if log and log[0]["status"] == "delivered":
                break
            await asyncio.sleep(0.02)
        assert [e["attempt"] for e in log] == [3, 2, 1]
        assert [e["status"] for e in log] == ["delivered", "pending", "pending"]
        assert log[2]["failure"] == "DS answered HTTP 500" and log[2]["rres"] is None
        assert log[0]["rreq"]["challengeCancel"] == "01"
        assert len(await (await client.get("/qa/rreq-log?limit=1")).json()) == 1
        other = str(uuid.uuid4())
        assert await (await client.get(f"/qa/rreq-log?acsTransID={other}")).json() == []
    finally:
        await ds.server.close()


async def test_delete_state_resets_counters_outbox_and_records(  # type: ignore[no-untyped-def]
    aiohttp_client, ds: StubDS, store_url: str
) -> None:
    client = await make_client(aiohttp_client, store_url)
    dana = "4016000000000053"  # decided by the rules: velocity counts
    first = [(await areq(client, dana, purchaseAmount="1500"))["transStatus"] for _ in range(6)]
    assert len(set(first)) > 1  # the counters filled up
    ares = await start(client, ds)
    await client.post("/3ds/challenge", data={"creq": creq_field(ares)})  # a code sent
    assert await (await client.get(f"/qa/outbox?acctNumber={SMS_CARD}")).json()

    refused = await client.delete("/qa/state")
    assert refused.status == 401 and "ACS_ADMIN_TOKEN" in (await refused.json())["hint"]
    reset = await client.delete("/qa/state", headers=auth())
    assert reset.status == 200 and (await reset.json())["keys_deleted"] > 0

    assert await listing(client) == []
    assert await (await client.get(f"/qa/outbox?acctNumber={SMS_CARD}")).json() == []
    state = await (await client.get(f"/qa/cards/{dana}/state")).json()
    assert state["velocity"]["1h"]["count"] == 0
    again = [(await areq(client, dana, purchaseAmount="1500"))["transStatus"] for _ in range(6)]
    assert again == first
    # the directory stays, and the challenge in flight goes on to its RReq
    assert (await areq(client, Y_CARD))["transStatus"] == "Y"
    done = await client.post(
        f"/qa/transactions/{ares['acsTransID']}/complete", json={"transStatus": "Y"}
    )
    assert done.status == 200 and ds.received[-1]["transStatus"] == "Y"
    assert (await (await client.get("/healthz")).json())["status"] == "ok"


async def test_delete_state_is_refused_on_a_persistent_store(aiohttp_client, redis_server) -> None:  # type: ignore[no-untyped-def]
    services = await fresh_services(redis_server.url, persistent=True)
    client = await aiohttp_client(create_app(services))
    await areq(client, Y_CARD)
    resp = await client.delete("/qa/state", headers=auth())
    body = await resp.json()
    assert resp.status == 409 and "persistent" in body["error"]
    assert "DELETE /qa/cards/" in body["hint"]
    assert len(await listing(client)) == 1  # nothing was deleted


def test_persistent_needs_a_redis_store() -> None:
    from acs.config import SettingsError
    from tests.conftest import make_settings

    with pytest.raises(SettingsError, match="--persistent: the memory store"):
        make_settings("memory", persistent=True).check()


async def test_the_indexes_are_bounded(client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(qa_store, "INDEX_CAP", 5)
    monkeypatch.setattr(qa_store, "CARD_INDEX_CAP", 3)
    monkeypatch.setattr(qa_store, "TRIM_EVERY", 1)  # every write trims (else one in 32)
    sent = [(await areq(client, Y_CARD))["acsTransID"] for _ in range(8)]
    store = client.server.app[SERVICES].store
    pan_hash = client.server.app[SERVICES].vault.pan_hash(Y_CARD)
    assert await store.batch.command("ZCARD", keys.QA_TXNS) == 5
    assert await store.batch.command("ZCARD", keys.card_txns(pan_hash)) == 3
    assert 0 < await store.batch.command("TTL", keys.card_txns(pan_hash)) <= 86400
    assert [t["acsTransID"] for t in await listing(client)] == sent[::-1][:5]
    assert [t["acsTransID"] for t in await listing(client, f"?acctNumber={Y_CARD}")] == (
        sent[::-1][:3]
    )


async def test_bad_query_parameters_say_what_to_fix(client: TestClient) -> None:
    cases = {
        "?stauts=Y": ("stauts", "did you mean status?"),
        "?status=Q": ("status", "Erro"),
        "?limit=0": ("limit", None),
        "?limit=abc": ("limit", None),
        "?limit=1001": ("limit", None),
        "?since=yesterday": ("since", None),
        "?acctNumber=12": ("acctNumber", None),
        "?limit=1&limit=2": ("limit", "give it once"),
    }
    for query, (field, hint) in cases.items():
        resp = await client.get(f"/qa/transactions{query}")
        body = await resp.json()
        assert resp.status == 400 and body["field"] == field, (query, body)
        if hint:
            assert hint in body.get("hint", ""), (query, body)
    bad_log = await client.get("/qa/rreq-log?acsTransID=nope")
    assert bad_log.status == 400 and (await bad_log.json())["field"] == "acsTransID"
    assert (await client.get("/qa/data-quality?since=-5")).status == 400
