"""Decoupled authentication (transStatus D, 2.2.0 and 2.3.1): the ARes says D with acsDecConInd
and cardholderInfo, a push goes to the simulated banking app, the approval (its link or the
issuer API) or the requestor's threeDSRequestorDecMaxTime ends it, and the RReq follows."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlparse

import pytest
from aiohttp.test_utils import TestClient

from tests.flows.test_browser_flow import StubDS, make_client, wait_for
from tests.interop.sdk import SdkSession
from tests.protocol import samples

DECOUPLED_CARD = "4016000000000236"
OTP_CARD = "4016000000000111"


async def areq(client: TestClient, ds: StubDS, version: str, **fields: Any) -> dict[str, Any]:
    body = samples.areq(version, "02", "01", pan=DECOUPLED_CARD, dsURL=ds.url)
    body.update(threeDSRequestorDecReqInd="Y", threeDSRequestorDecMaxTime="00010")
    body.update(fields)
    ares: dict[str, Any] = await (await client.post("/3ds/areq", json=body)).json()
    return ares


async def push(client: TestClient, acs_trans_id: str) -> dict[str, Any]:
    entries = await (await client.get(f"/qa/outbox?acsTransID={acs_trans_id}")).json()
    (entry,) = entries
    assert entry["channel"] == "push" and entry["link"]
    return dict(entry)


async def test_decoupled_approved_through_the_issuer_api(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    ares = await areq(client, ds, "2.2.0")
    assert ares["transStatus"] == "D" and ares["acsDecConInd"] == "Y"
    assert ares["authenticationType"] == "04" and "acsURL" not in ares
    assert "banking app" in ares["cardholderInfo"] and len(ares["cardholderInfo"]) <= 128
    await push(client, ares["acsTransID"])
    assert ds.received == []  # nothing until the cardholder answers
    resp = await client.post(f"/issuer/oob/{ares['acsTransID']}", json={"decision": "approve"})
    assert resp.status == 200
    (rreq,) = ds.received
    assert rreq["transStatus"] == "Y" and rreq["authenticationType"] == "04"
    assert rreq["authenticationValue"] and rreq["eci"] == "05"
    record = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
    assert record["state"] == "challenge" and record["challenge"]["result"]["trans_status"] == "Y"


async def test_decoupled_in_2_3_1_denied_in_the_banking_app(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    ares = await areq(client, ds, "2.3.1")
    assert ares["transStatus"] == "D" and ares["authenticationMethod"] == ["12"]
    assert (
        set(ares["cardholderInfo"]) == {"text"} and "banking app" in ares["cardholderInfo"]["text"]
    )
    link = urlparse((await push(client, ares["acsTransID"]))["link"]).path
    denied = await client.post(link, data={"decision": "deny"})
    assert "Declined" in await denied.text()
    (rreq,) = ds.received
    assert (rreq["transStatus"], rreq["transStatusReason"]) == ("N", "01")
    assert rreq["authenticationMethod"] == ["12"]


async def test_no_approval_within_the_max_time_is_n_14_03(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, decoupled_max_seconds=0.3)
    ares = await areq(client, ds, "2.2.0")
    await wait_for(lambda: bool(ds.received))
    rreq = ds.received[0]
    assert (rreq["transStatus"], rreq["transStatusReason"], rreq["challengeCancel"]) == (
        "N",
        "14",
        "03",
    )
    late = await client.post(f"/issuer/oob/{ares['acsTransID']}", json={"decision": "approve"})
    assert late.status == 409


async def test_the_requestors_max_time_counts_when_shorter(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, decoupled_max_seconds=7200)
    ares = await areq(client, ds, "2.2.0", threeDSRequestorDecMaxTime="00002")
    view = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
    state = view["challenge"]["state"]
    created = view["challenge"]["created_at"]
    assert 115 <= state["deadline"] - created <= 125  # two minutes, not the ACS's two hours


@pytest.mark.parametrize(("version", "indicator"), [("2.2.0", "N"), ("2.1.0", None)])
async def test_without_decoupled_allowed_the_card_is_challenged(
    aiohttp_client, ds, version: str, indicator: str | None
) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    fields: dict[str, Any] = {"threeDSRequestorDecReqInd": indicator}
    if indicator is None:  # 2.1.0 has neither field
        fields["threeDSRequestorDecMaxTime"] = None
    ares = await areq(client, ds, version, **fields)
    assert ares["transStatus"] == "C" and "acsDecConInd" not in ares


async def test_2_3_1_falls_back_to_decoupled_when_no_challenge_can_run(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    """F: decoupled if the challenge fails: an SDK that can show no UI gets D, not U."""
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.3.1", sdk_interface="01", sdk_ui_types=["05"])
    base = samples.areq("2.3.1", "01", "01", pan=OTP_CARD, dsURL=ds.url)
    base.update(threeDSRequestorDecReqInd="F", threeDSRequestorDecMaxTime="00005")
    ares = await (await client.post("/3ds/areq", json=sdk.areq(base))).json()
    assert ares["transStatus"] == "D" and ares["acsDecConInd"] == "Y"
    record = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
    assert any(a.startswith("C -> D") for a in record["decision"]["adjustments"])


async def test_fifty_approvals_at_once_send_one_rreq(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    ares = await areq(client, ds, "2.3.1")

    async def approve() -> int:
        url = f"/issuer/oob/{ares['acsTransID']}"
        return (await client.post(url, json={"decision": "approve"})).status

    statuses = await asyncio.gather(*(approve() for _ in range(50)))
    assert statuses.count(200) == 1 and statuses.count(409) == 49
    assert len(ds.received) == 1


async def test_an_app_decoupled_ares_has_no_signed_content(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    base = samples.areq("2.2.0", "01", "01", pan=DECOUPLED_CARD, dsURL=ds.url)
    base.update(threeDSRequestorDecReqInd="Y", threeDSRequestorDecMaxTime="00005")
    ares = await (await client.post("/3ds/areq", json=sdk.areq(base))).json()
    assert ares["transStatus"] == "D" and "acsSignedContent" not in ares
    assert "acsRenderingType" not in ares  # no challenge channel for a D
