"""Velocity and exemption counters: same meaning in memory and in the store, atomic under load."""

from __future__ import annotations

import asyncio

import pytest

from acs.app import build_services, create_app
from acs.risk.counters import MemoryCounters, StoreCounters
from acs.risk.model import Window, WindowKind
from acs.store.store import Store
from tests.conftest import make_settings
from tests.risk.helpers import NOW

WINDOWS = {
    "1h": Window(seconds=3600),
    "24h": Window(seconds=86400),
    "day": Window(seconds=86400, kind=WindowKind.FIXED),
}
T0 = NOW.timestamp() - NOW.timestamp() % 86400 + 3600  # 01:00 UTC on the test day


@pytest.fixture(params=["python", "store"])
async def counters(request, store_url):  # type: ignore[no-untyped-def]
    if request.param == "python":
        yield MemoryCounters(WINDOWS)
        return
    store = Store.connect(store_url)
    await store.client.flushdb()
    yield StoreCounters(store, WINDOWS)
    await store.close()


async def test_velocity_windows_over_a_sequence(counters) -> None:  # type: ignore[no-untyped-def]
    seen = []
    for n, offset in enumerate([0, 600, 1200, 4000, 80000, 90000]):
        state = await counters.observe("card-a", f"t{n}", T0 + offset, 10.0)
        seen.append((state.velocity["1h"][0], state.velocity["24h"][0], state.velocity["day"][0]))
    # 1h slides (t3 at +4000 s no longer sees t0); 24h slides; "day" is a fixed calendar bucket
    assert seen == [(0, 0, 0), (1, 1, 1), (2, 2, 2), (2, 3, 3), (0, 4, 4), (0, 2, 0)]
    state = await counters.observe("card-a", "t6", T0 + 90001, None)
    assert state.velocity["24h"] == (3, 30.0)
    other = await counters.observe("card-b", "t7", T0 + 90001, 5.0)
    assert other.velocity["24h"] == (0, 0.0)


async def test_low_value_claims_respect_count_and_cumulative_limits(counters) -> None:  # type: ignore[no-untyped-def]
    wins = [await counters.claim_low_value("card", 15.0, 5, 100.0) for _ in range(7)]
    assert wins == [True] * 5 + [False] * 2
    state = await counters.observe("card", "x", T0, 1.0)
    assert (state.low_value_count, state.low_value_eur) == (5, 75.0)

    await counters.reset_after_sca("card")
    assert await counters.claim_low_value("card", 60.0, 5, 100.0)
    assert not await counters.claim_low_value("card", 41.0, 5, 100.0)  # 101 > 100
    assert await counters.claim_low_value("card", 40.0, 5, 100.0)  # exactly 100 is allowed


async def test_parallel_areqs_for_one_card_agree_with_the_counters(
    aiohttp_client, redis_server
) -> None:
    """Two ACS nodes on one Redis, 12 simultaneous EUR 10 AReqs for one card: exactly five
    low-value exemptions, and every request saw a different velocity count."""
    store = Store.connect(redis_server.url)
    await store.client.flushdb()
    nodes = [
        await aiohttp_client(create_app(await build_services(make_settings(redis_server.url))))
        for _ in range(2)
    ]
    from acs.risk.sample import base_areq

    def areq(n: int) -> dict:
        body = base_areq(purchaseAmount="1000")
        body["threeDSServerTransID"] = f"00000000-0000-4000-8000-{n:012d}"
        return body

    async def send(n: int) -> dict:
        client = nodes[n % 2]
        ares = await (await client.post("/3ds/areq", json=areq(n))).json()
        return await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()

    records = await asyncio.gather(*(send(n) for n in range(12)))
    rules = [r["decision"]["rule_id"] for r in records]
    assert rules.count("low-value") == 5, rules
    counts = sorted(
        step["velocity"]["1h"]["count"]
        for r in records
        for step in r["decision"]["trace"]
        if step["step"] == "counters"
    )
    assert counts == list(range(12))
    state = await store.client.hgetall(next(iter(await store.client.keys("acs:{card:*}:lv"))))
    assert (int(state[b"count"]), int(state[b"cents"])) == (5, 5000)
    losers = [r for r in records if r["decision"]["rule_id"] != "low-value"]
    assert all(
        any(step.get("claimed") is False for step in r["decision"]["trace"])
        or r["decision"]["rule_id"] != "low-value"
        for r in losers
    )
    await store.close()
