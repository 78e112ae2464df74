from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from acs.store.store import Store
from tests.delivery.fakes import FakePinProvider


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def provider(aiohttp_server) -> FakePinProvider:  # type: ignore[no-untyped-def]
    fake = FakePinProvider()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """An empty store of each kind (the real Redis is shared by the session: flush it)."""
    s = Store.connect(store_url)
    await s.client.flushdb()
    yield s
    await s.close()
