"""The store loses everything (Redis restarted without persistence, or flushed): any node notices
the lost directory and writes config/ again, without a restart; /healthz is not ok meanwhile."""

from __future__ import annotations

import redis.asyncio
from aiohttp.test_utils import TestClient

from acs.app import build_services, create_app
from tests.conftest import auth, make_settings
from tests.protocol import samples
from tests.redis_server import RedisServer

# catalog cards and what config/test-cards.yaml documents for them
EXPECTED = {"4016000000000012": "Y", "4016000000000111": "C", "4016000000000996": "N"}


async def answers(client: TestClient) -> dict[str, str]:
    found = {}
    for pan in EXPECTED:
        resp = await client.post("/3ds/areq", json=samples.areq("2.2.0", "02", "01", pan=pan))
        body = await resp.json()
        found[pan] = body.get("transStatus") or f"Erro {body.get('errorCode')}"
    return found


async def test_redis_restarted_without_persistence_reseeds_the_directory(aiohttp_client) -> None:
    server = RedisServer(persist=False)
    server.start()
    try:
        client = await aiohttp_client(create_app(await build_services(make_settings(server.url))))
        assert await answers(client) == EXPECTED
        server.stop()
        assert (await client.get("/healthz")).status == 503
        assert set((await answers(client)).values()) == {"Erro 403"}
        server.start()  # empty: no card ranges, no cardholders
        assert await answers(client) == EXPECTED
        health = await client.get("/healthz")
        assert health.status == 200, await health.text()
    finally:
        server.stop()


async def test_a_flush_is_healed_by_whichever_node_sees_it_first(
    aiohttp_client, redis_server
) -> None:  # type: ignore[no-untyped-def]
    flusher = redis.asyncio.Redis.from_url(redis_server.url)
    await flusher.flushall()
    first = await aiohttp_client(create_app(await build_services(make_settings(redis_server.url))))
    second = await aiohttp_client(create_app(await build_services(make_settings(redis_server.url))))
    added = await first.post(
        "/admin/cardholders",
        headers=auth(),
        json={"id": "extra", "pan": "4016000000000988", "name": "Extra Holder"},
    )
    assert added.status == 201, await added.text()

    await flusher.flushall()
    await flusher.aclose()
    assert (await second.get("/healthz")).status == 200  # the health check reseeds
    assert await answers(first) == EXPECTED  # the other node finds the ranges again
    assert await answers(second) == EXPECTED
    # what the admin API added lived only in the store: gone, as the README says
    assert (await first.get("/admin/cardholders/extra", headers=auth())).status == 404


async def test_the_in_process_store_heals_the_same_way(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    services = await build_services(make_settings("memory"))
    client = await aiohttp_client(create_app(services))
    await services.store.client.flushall()
    assert await answers(client) == EXPECTED
