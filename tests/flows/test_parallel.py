"""The same request 50 times at once: limits hold, nothing answers 5xx, the outcome is allowed.

Runs on real Redis and on the in-process store (the ``store_url`` fixture): the requests interleave
at every store round trip, so the compare-and-set races are real.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.flows.test_browser_flow import (
    StubDS,
    creq_field,
    cres_of,
    make_client,
    record,
    start,
    token_of,
)

WAYS = 50


async def burst(client: TestClient, data: dict[str, str], path: str = "/3ds/challenge/step"):  # type: ignore[no-untyped-def]
    async def one() -> tuple[int, str]:
        async with client.post(path, data=data) as resp:
            return resp.status, await resp.text()

    return await asyncio.gather(*(one() for _ in range(WAYS)))


async def outbox(client: TestClient, acs_trans_id: str) -> list[dict[str, Any]]:
    return await (await client.get(f"/qa/outbox?acsTransID={acs_trans_id}")).json()


async def first_page(client: TestClient, ds: StubDS) -> tuple[dict[str, Any], str]:
    ares = await start(client, ds)
    html = await (await client.post("/3ds/challenge", data={"creq": creq_field(ares)})).text()
    return ares, html


async def test_parallel_submits_of_one_page_count_once(aiohttp_client, store_url: str, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, store_url)
    ares, html = await first_page(client, ds)
    answers = await burst(client, {"token": token_of(html), "action": "submit", "otp": "000000"})
    assert {status for status, _ in answers} == {200}
    view = await record(client, ares["acsTransID"])
    assert view["challenge"]["attempts"] == 1
    assert view["challenge"]["phase"] == "in-progress"
    # every answer is a live code page for the one current page
    tokens = {token_of(text) for _, text in answers}
    assert len(tokens) == 1


async def test_parallel_bursts_never_exceed_the_attempt_limit(  # type: ignore[no-untyped-def]
    aiohttp_client, store_url: str, ds
) -> None:
    client = await make_client(aiohttp_client, store_url)
    ares, html = await first_page(client, ds)
    for _ in range(5):  # more bursts than attempts allowed
        answers = await burst(
            client, {"token": token_of(html), "action": "submit", "otp": "000001"}
        )
        assert {status for status, _ in answers} == {200}
        html = answers[0][1]
        if 'name="cres"' in html:
            break
    view = await record(client, ares["acsTransID"])
    assert view["challenge"]["attempts"] == 3
    assert cres_of(html)["transStatus"] == "N"
    assert len(ds.received) == 1
    assert (ds.received[0]["transStatus"], ds.received[0]["transStatusReason"]) == ("N", "19")


async def test_parallel_resends_send_one_code_each_and_stop_at_the_limit(  # type: ignore[no-untyped-def]
    aiohttp_client, store_url: str, ds
) -> None:
    client = await make_client(aiohttp_client, store_url)
    ares, html = await first_page(client, ds)
    answers = await burst(client, {"token": token_of(html), "action": "resend"})
    assert {status for status, _ in answers} == {200}
    assert len(await outbox(client, ares["acsTransID"])) == 2  # the first code and one resend
    for _ in range(4):  # past the three resends allowed
        answers = await burst(client, {"token": token_of(answers[0][1]), "action": "resend"})
        assert {status for status, _ in answers} == {200}
    view = await record(client, ares["acsTransID"])
    assert view["challenge"]["resends"] == 3
    assert len(await outbox(client, ares["acsTransID"])) == 1 + 3


async def test_parallel_mixed_actions_end_once(aiohttp_client, store_url: str, ds) -> None:  # type: ignore[no-untyped-def]
    """Submit, resend and cancel of one page at once: one of them wins, one RReq goes out."""
    client = await make_client(aiohttp_client, store_url)
    ares, html = await first_page(client, ds)
    token = token_of(html)
    forms = [
        {"token": token, "action": "submit", "otp": "000000"},
        {"token": token, "action": "resend"},
        {"token": token, "action": "cancel"},
    ]

    async def one(data: dict[str, str]) -> int:
        async with client.post("/3ds/challenge/step", data=data) as resp:
            await resp.read()
            return resp.status

    statuses = await asyncio.gather(*(one(forms[i % 3]) for i in range(WAYS)))
    assert set(statuses) == {200}
    view = await record(client, ares["acsTransID"])
    cancelled = view["challenge"]["phase"] == "completed"
    winners = [view["challenge"]["attempts"], view["challenge"]["resends"], int(cancelled)]
    assert sorted(winners) == [0, 0, 1]  # exactly one action took the page
    assert len(ds.received) == int(cancelled)


@pytest.mark.parametrize("version", ["2.1.0", "2.2.0"])
async def test_parallel_identical_creqs_show_the_page_again_before_2_3(  # type: ignore[no-untyped-def]
    aiohttp_client, store_url: str, ds, version: str
) -> None:
    client = await make_client(aiohttp_client, store_url)
    # 2.1.0 has no browserJavascriptEnabled (None removes it)
    extra: dict[str, Any] = {"browserJavascriptEnabled": None} if version == "2.1.0" else {}
    ares = await start(client, ds, messageVersion=version, **extra)
    answers = await burst(client, {"creq": creq_field(ares)}, path="/3ds/challenge")
    assert {status for status, _ in answers} == {200}
    assert all('name="otp"' in text for _, text in answers)
    assert len(await outbox(client, ares["acsTransID"])) == 1  # one challenge, one code


async def test_parallel_identical_creqs_in_2_3_are_erro_314_but_one(  # type: ignore[no-untyped-def]
    aiohttp_client, store_url: str, ds
) -> None:
    client = await make_client(aiohttp_client, store_url)
    ares = await start(client, ds, messageVersion="2.3.1")
    answers = await burst(client, {"creq": creq_field(ares)}, path="/3ds/challenge")
    kinds = Counter(
        "page" if status == 200 and 'name="otp"' in text else ("314" if "314" in text else text)
        for status, text in answers
    )
    assert kinds == {"page": 1, "314": WAYS - 1}
    assert all(status < 500 for status, _ in answers)
    assert len(await outbox(client, ares["acsTransID"])) == 1


async def test_a_session_that_stays_contended_is_a_transient_erro_page(  # type: ignore[no-untyped-def]
    aiohttp_client, ds, monkeypatch
) -> None:
    from acs.challenge.session import Conflict, Sessions

    client = await make_client(aiohttp_client)
    _, html = await first_page(client, ds)

    async def always_lost(self, acs_trans_id, change, **_):  # type: ignore[no-untyped-def]
        raise Conflict(acs_trans_id)

    monkeypatch.setattr(Sessions, "update", always_lost)
    resp = await client.post(
        "/3ds/challenge/step", data={"token": token_of(html), "action": "submit", "otp": "1"}
    )
    page = await resp.text()
    assert resp.status == 503
    assert "403" in page and "retry" in page
