"""POST /qa/transactions/{acsTransID}/complete: a pending browser, app or decoupled challenge
finished as the cardholder would, through the challenge engine: the RReq goes out before the
answer, the cardholder's side sees the end as usual, and pass, fail, cancel and timeout stay
distinct. Fifty completes at once: one wins, one RReq, the rest a 409."""

from __future__ import annotations

import asyncio
import collections
import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from acs.risk.sample import base_areq
from tests.flows.test_app_flow import begin, send
from tests.flows.test_browser_flow import StubDS, creq_field, cres_of, make_client, start, token_of
from tests.flows.test_decoupled import areq as decoupled_areq
from tests.interop.sdk import ErroReceived, SdkSession


async def complete(client: TestClient, acs_trans_id: str, body: Any) -> tuple[int, Any]:
    resp = await client.post(f"/qa/transactions/{acs_trans_id}/complete", json=body)
    return resp.status, await resp.json()


async def open_page(client: TestClient, ds: StubDS, **fields: Any) -> tuple[dict[str, Any], str]:
    ares = await start(client, ds, **fields)
    page = await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
    assert page.status == 200
    return ares, await page.text()


def outcome(rreq: dict[str, Any]) -> tuple[str, str | None, str | None]:
    return rreq["transStatus"], rreq.get("transStatusReason"), rreq.get("challengeCancel")


async def test_browser_pass_sends_the_rreq_and_the_next_page_posts_the_cres(  # type: ignore[no-untyped-def]
    aiohttp_client, ds: StubDS, store_url: str
) -> None:
    client = await make_client(aiohttp_client, store_url)
    ares, html = await open_page(client, ds)
    status, body = await complete(client, ares["acsTransID"], {"transStatus": "Y"})
    assert status == 200, body
    assert (body["transStatus"], body["rreq"]["status"]) == ("Y", "delivered")
    assert "final page" in body["next"]
    (rreq,) = ds.received  # before the answer, as after a cardholder's last step
    assert rreq["transStatus"] == "Y" and len(rreq["authenticationValue"]) == 28
    assert rreq["eci"] == "05" and rreq["interactionCounter"] == "01"
    # the page the cardholder still has open: its next action shows the final page
    page = await client.post(
        "/3ds/challenge/step", data={"token": token_of(html), "action": "submit", "otp": "000000"}
    )
    assert cres_of(await page.text())["transStatus"] == "Y"
    assert len(ds.received) == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"transStatus": "N"}, ("N", "01", None)),
        ({"transStatus": "N", "transStatusReason": "11"}, ("N", "11", None)),
        ({"action": "cancel"}, ("N", "26", "01")),  # 2.2.0: attempted, not performed
        ({"action": "timeout"}, ("N", "14", "04")),  # a page left unanswered
    ],
)
async def test_browser_fail_cancel_and_timeout_stay_distinct(  # type: ignore[no-untyped-def]
    aiohttp_client, ds: StubDS, body: dict[str, str], expected: tuple[str, str, str | None]
) -> None:
    client = await make_client(aiohttp_client)
    ares, html = await open_page(client, ds)
    status, answer = await complete(client, ares["acsTransID"], body)
    assert status == 200, answer
    (rreq,) = ds.received
    assert outcome(rreq) == expected
    assert (answer["transStatus"], answer["transStatusReason"], answer["challengeCancel"]) == (
        expected
    )
    page = await client.post("/3ds/challenge/step", data={"token": token_of(html), "action": "x"})
    assert cres_of(await page.text())["transStatus"] == "N"


async def test_browser_before_its_creq_only_times_out(aiohttp_client, ds: StubDS) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    ares = await start(client, ds)
    status, body = await complete(client, ares["acsTransID"], {"transStatus": "Y"})
    assert status == 409 and "has not started" in body["error"] and "CReq" in body["hint"]
    assert ds.received == []
    status, body = await complete(client, ares["acsTransID"], {"action": "timeout"})
    assert status == 200
    assert outcome(ds.received[0]) == ("N", "14", "05")  # no first CReq
    late = await client.post("/3ds/challenge", data={"creq": creq_field(ares)})
    assert "402" in await late.text()  # as after a real first-CReq timeout


async def test_app_pass_fail_cancel_reach_the_next_creq(aiohttp_client, ds: StubDS) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    for body, final, expected in (
        ({"transStatus": "Y"}, "Y", ("Y", None, None)),
        ({"transStatus": "N", "transStatusReason": "01"}, "N", ("N", "01", None)),
        ({"action": "cancel"}, "N", ("N", "26", "01")),
    ):
        ds.received.clear()
        sdk = SdkSession(message_version="2.2.0")
        ares = await begin(client, ds, sdk)
        first = await send(client, sdk, sdk.start())
        assert first["challengeCompletionInd"] == "N"
        status, answer = await complete(client, ares["acsTransID"], body)
        assert status == 200, answer
        assert "next CReq (sdkCounterStoA 001)" in answer["next"]
        (rreq,) = ds.received
        assert outcome(rreq) == expected
        cres = await send(client, sdk, sdk.enter_text("000000"))  # the SDK's next CReq
        assert (cres["challengeCompletionInd"], cres["transStatus"]) == ("Y", final)


async def test_app_before_the_first_creq_and_app_timeout(aiohttp_client, ds: StubDS) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.3.1")
    ares = await begin(client, ds, sdk)
    status, _ = await complete(client, ares["acsTransID"], {"transStatus": "Y"})
    assert status == 200
    cres = await send(client, sdk, sdk.start())  # the first CReq gets the final CRes
    assert (cres["challengeCompletionInd"], cres["transStatus"]) == ("Y", "Y")

    ds.received.clear()
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk)
    await send(client, sdk, sdk.start())
    status, answer = await complete(client, ares["acsTransID"], {"action": "timeout"})
    assert status == 200 and "Erro 402" in answer["next"]
    assert outcome(ds.received[0]) == ("N", "14", "04")
    with pytest.raises(ErroReceived) as erro:
        await send(client, sdk, sdk.enter_text("111111"))
    assert erro.value.erro["errorCode"] == "402"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"transStatus": "Y"}, ("Y", None, None)),
        ({"transStatus": "N"}, ("N", "01", None)),
        ({"action": "timeout"}, ("N", "14", "03")),  # the decoupled timeout's own code
    ],
)
async def test_decoupled_rreq_at_once(  # type: ignore[no-untyped-def]
    aiohttp_client, ds: StubDS, body: dict[str, str], expected: tuple[str, str, str | None]
) -> None:
    client = await make_client(aiohttp_client)
    ares = await decoupled_areq(client, ds, "2.2.0")
    assert ares["transStatus"] == "D"
    status, answer = await complete(client, ares["acsTransID"], body)
    assert status == 200 and answer["next"].startswith("decoupled")
    (rreq,) = ds.received
    assert outcome(rreq) == expected and rreq["authenticationType"] == "04"
    if expected[0] == "Y":
        assert rreq["authenticationValue"] and rreq["eci"] == "05"


async def test_fifty_completes_at_once_one_wins(  # type: ignore[no-untyped-def]
    aiohttp_client, ds: StubDS, store_url: str
) -> None:
    client = await make_client(aiohttp_client, store_url)
    ares, _ = await open_page(client, ds)
    bodies = [{"transStatus": "Y"}, {"transStatus": "N"}, {"action": "cancel"}]
    answers = await asyncio.gather(
        *(complete(client, ares["acsTransID"], bodies[i % 3]) for i in range(50))
    )
    statuses = collections.Counter(status for status, _ in answers)
    assert statuses == {200: 1, 409: 49}, statuses
    (won,) = [body for status, body in answers if status == 200]
    assert len(ds.received) == 1 and ds.received[0]["transStatus"] == won["transStatus"]
    for status, body in answers:
        if status == 409:
            assert "already ended" in body["error"] and body["hint"]


async def test_refusals_say_what_to_fix(aiohttp_client, ds: StubDS) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    unknown = str(uuid.uuid4())
    status, body = await complete(client, unknown, {"transStatus": "Y"})
    assert status == 404 and body["field"] == "acsTransID"
    body = base_areq(acctNumber="4016000000000012", threeDSServerTransID=str(uuid.uuid4()))
    frictionless = await (await client.post("/3ds/areq", json=body)).json()
    status, body = await complete(client, frictionless["acsTransID"], {"transStatus": "Y"})
    assert status == 409 and "did not ask for a challenge (ARes transStatus Y)" in body["error"]
    ares, _ = await open_page(client, ds)
    cases = [
        ({"transStatus": "N", "transStatusReason": "27"}, "transStatusReason"),  # 2.3.1 only
        ({"transStatus": "N", "transStatusReason": "xx"}, "transStatusReason"),
        ({"transStatus": "Y", "transStatusReason": "01"}, "transStatusReason"),
        ({"transStatus": "Y", "action": "cancel"}, "action"),
        ({}, "transStatus"),
        ({"transStatus": "U"}, "transStatus"),
        ({"action": "abandon"}, "action"),
        ({"transStatus": "Y", "extra": 1}, "extra"),
    ]
    for bad, field in cases:
        status, body = await complete(client, ares["acsTransID"], bad)
        assert status == 400 and body["field"] == field, (bad, body)
    assert (
        "use one of cancel, timeout"
        in (await complete(client, ares["acsTransID"], {"action": "abandon"}))[1]["error"]
    )
    not_json = await client.post(
        f"/qa/transactions/{ares['acsTransID']}/complete", data=b"{transStatus"
    )
    assert not_json.status == 400 and "JSON" in (await not_json.json())["error"]
    assert ds.received == []  # nothing bad reached the challenge
    status, _ = await complete(client, ares["acsTransID"], {"transStatus": "Y"})
    assert status == 200
    status, body = await complete(client, ares["acsTransID"], {"transStatus": "N"})
    assert status == 409 and "already ended (transStatus Y)" in body["error"]
