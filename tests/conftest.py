from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio
from aiohttp.test_utils import TestClient

from acs import logs
from acs.app import build_services, create_app
from acs.config import Settings
from acs.services import Services
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "test-admin-token"
DATA_KEY = bytes(range(32))

logs.configure("warning", cache=False)  # tests swap processors (capture_logs)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def make_settings(store: str, **overrides: object) -> Settings:
    settings = Settings(
        store=store,
        config_dir=ROOT / "config",
        rules_path=ROOT / "rules",
        base_url="http://acs.test",
        admin_token=ADMIN_TOKEN,
        data_key=DATA_KEY,
    )
    for name, value in overrides.items():
        setattr(settings, name, value)
    return settings


@pytest.fixture(params=["memory", "redis"])
def store_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory"
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


async def fresh_services(store_url: str, **overrides: object) -> Services:
    """Services on an empty store (a real Redis is shared by the session, so flush it first)."""
    if store_url != "memory":
        flusher = redis.asyncio.Redis.from_url(store_url)
        await flusher.flushdb()
        await flusher.aclose()
    return await build_services(make_settings(store_url, **overrides))


@pytest.fixture
async def client(aiohttp_client, store_url: str) -> AsyncIterator[TestClient]:  # type: ignore[no-untyped-def]
    """The app on each store; a real Redis starts each test empty."""
    yield await aiohttp_client(create_app(await fresh_services(store_url)))


@pytest.fixture
async def memory_client(aiohttp_client) -> TestClient:  # type: ignore[no-untyped-def]
    services = await build_services(make_settings("memory"))
    return await aiohttp_client(create_app(services))


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


os.environ.setdefault("ACS_LOG_LEVEL", "warning")
