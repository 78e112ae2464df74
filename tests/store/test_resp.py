"""RespConnection: the pipelined hiredis connection of the request path, on a real redis-server
and on peers that misbehave in ways a real one can (silence, garbage, refusal)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from acs.store.batch import AutoPipeline, Script
from acs.store.errors import StoreUnavailable
from acs.store.resp import Address, RespConnection
from tests.redis_server import RedisServer, free_port


def pipeline(url: str, timeout: float = 2.0) -> AutoPipeline:
    return AutoPipeline(RespConnection(Address.from_url(url), "test", timeout=timeout))


@pytest.fixture
async def pipe(redis_server: RedisServer) -> AsyncIterator[AutoPipeline]:
    p = pipeline(redis_server.url)
    await p.command("FLUSHDB")
    yield p
    p.close()


async def test_replies_reach_their_own_callers_across_many_batches(pipe: AutoPipeline) -> None:
    async def one(i: int) -> tuple[Any, Any, Any]:
        set_ok = pipe.command("SET", f"k{i}", f"v{i}")
        incr = pipe.command("INCR", "counter")
        got = pipe.command("GET", f"k{i}")
        return await set_ok, await incr, await got

    results = await asyncio.gather(*(one(i) for i in range(300)))
    assert all(r[0] == b"OK" for r in results)
    assert sorted(r[1] for r in results) == list(range(1, 301))
    assert [r[2] for r in results] == [f"v{i}".encode() for i in range(300)]


async def test_an_error_reply_fails_only_its_own_command(pipe: AutoPipeline) -> None:
    before = pipe.command("SET", "a", "1")
    wrong = pipe.command("LPUSH", "a", "x")  # a is a string: WRONGTYPE
    after = pipe.command("GET", "a")
    assert await before == b"OK"
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        await wrong
    assert await after == b"1"


async def test_a_flushed_script_cache_sends_the_script_text(pipe: AutoPipeline) -> None:
    script = Script("return tonumber(ARGV[1]) * 2")
    assert await pipe.script(script, [], [21]) == 42
    await pipe.command("SCRIPT", "FLUSH")
    # EVALSHA now answers NOSCRIPT; the caller still gets its answer, and Redis knows it again
    assert await pipe.script(script, [], [5]) == 10
    assert await pipe.command("SCRIPT", "EXISTS", script.sha) == [1]


async def test_password_and_database_come_from_the_url() -> None:
    server = RedisServer(extra=("--requirepass", "s3cret"))
    server.start()
    try:
        url = f"redis://:s3cret@127.0.0.1:{server.port}/3"
        pipe = pipeline(url)
        assert await pipe.command("SET", "where", "db3") == b"OK"
        pipe.close()
        check = aioredis.Redis.from_url(url)
        assert await check.get("where") == b"db3"
        await check.select(0)  # type: ignore[no-untyped-call]
        await check.aclose()
        check0 = aioredis.Redis.from_url(f"redis://:s3cret@127.0.0.1:{server.port}/0")
        assert await check0.get("where") is None
        await check0.aclose()

        wrong = pipeline(f"redis://:nope@127.0.0.1:{server.port}/0")
        with pytest.raises(StoreUnavailable, match="refused"):
            await wrong.command("PING")
        wrong.close()
    finally:
        server.stop()


async def test_nothing_listening_gives_store_unavailable_and_later_recovery() -> None:
    server = RedisServer()
    pipe = pipeline(server.url)
    with pytest.raises(StoreUnavailable, match="cannot connect"):
        await pipe.command("PING")
    server.start()
    try:
        assert await pipe.command("PING") == b"PONG"
    finally:
        pipe.close()
        server.stop()


async def _peer(
    answer: Callable[[bytes], bytes | None], accepted: list[int] | None = None
) -> tuple[asyncio.Server, str]:
    """A TCP peer on a free port that answers each chunk it reads with ``answer(chunk)``;
    ``accepted`` gets one item per connection."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if accepted is not None:
            accepted.append(1)
        while data := await reader.read(65536):
            reply = answer(data)
            if reply is not None:
                writer.write(reply)
        writer.close()

    port = free_port()
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    return server, f"redis://127.0.0.1:{port}/0"


async def _fails_then(pipe: AutoPipeline, match: str) -> None:
    with pytest.raises(StoreUnavailable, match=match):
        await pipe.command("GET", "x")


async def test_a_silent_peer_times_out_every_waiting_command() -> None:
    server, url = await _peer(lambda _data: None)
    pipe = pipeline(url, timeout=0.2)  # protocol timers shortened by config, not by sleeping
    try:
        first, second = pipe.command("GET", "a"), pipe.command("GET", "b")
        for pending in (first, second):
            with pytest.raises(StoreUnavailable, match=r"did not answer within 0\.2 s"):
                await pending
        await _fails_then(pipe, "did not answer")  # a new connection, still silence
    finally:
        pipe.close()
        server.close()


@pytest.mark.parametrize(
    ("reply", "match"),
    [(b"+OK\r\n+EXTRA\r\n", "unexpected Redis reply"), (b"garbage\r\n", "lost")],
)
async def test_a_peer_out_of_step_is_dropped(reply: bytes, match: str) -> None:
    accepted: list[int] = []
    server, url = await _peer(lambda _data: reply, accepted)
    pipe = pipeline(url)
    try:
        pending: Awaitable[Any] = pipe.command("GET", "a")
        if reply.startswith(b"+OK"):
            assert await pending == b"OK"  # the answer it asked for; the extra one ends it
        else:
            with pytest.raises(StoreUnavailable, match=match):
                await pending
        # the next command does not trust that connection: it opens a new one
        second = pipe.command("GET", "b")
        if reply.startswith(b"+OK"):
            assert await second == b"OK"
        else:
            with pytest.raises(StoreUnavailable):
                await second
        assert len(accepted) == 2
    finally:
        pipe.close()
        server.close()


def test_addresses_from_urls() -> None:
    plain = Address.from_url("redis://user:pw@cache.internal:6380/4")
    assert (plain.host, plain.port, plain.db, plain.username, plain.password, plain.tls) == (
        "cache.internal", 6380, 4, "user", "pw", None
    )  # fmt: skip
    assert plain.handshake() == [("AUTH", "user", "pw"), ("SELECT", 4)]
    assert Address.from_url("redis://localhost").handshake() == []

    tls = Address.from_url("rediss://cache.internal:6380/0")
    assert tls.tls is not None and tls.tls.check_hostname  # verified by default
    unverified = Address.from_url("rediss://cache.internal/0?ssl_cert_reqs=none")
    assert unverified.tls is not None and not unverified.tls.check_hostname

    sock = Address.from_url("unix:///run/redis.sock?db=2")
    assert (sock.path, sock.db) == ("/run/redis.sock", 2)
