"""All shared state goes through here: real Redis or the in-process store.

The in-process store is fakeredis speaking the same commands (Lua included), so there is one code
path for both. Request-path commands go through ``batch`` (auto-pipelined; on real Redis over one
hiredis connection, see resp.py); directory and admin writes through the redis-py ``client``.
Redis failures surface as ``StoreUnavailable``; callers turn that into Erro 403 or a 503 JSON
error, and the next request simply tries again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, cast

import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from acs.store import keys
from acs.store.batch import COMMAND_TIMEOUT, AutoPipeline, RedisPySender, Script, Sender
from acs.store.errors import STORE_ERRORS, StoreUnavailable, unavailable
from acs.store.resp import Address, RespConnection

__all__ = ["Conflict", "Store", "StoreUnavailable"]


class Conflict(ValueError):
    """A directory write that would break a uniqueness rule (the message says which)."""


# KEYS: by_pan, cardholders, version. ARGV: id, pan_hash, json, mode ("add" | "replace" | "upsert").
# Atomic: the PAN index, the record and the directory version change together or not at all.
PAYMENTS_KEPT = 20  # a card's last authenticated payments, for the transaction-history challenge
PAYMENTS_TTL_SECONDS = 90 * 86400

_PUT_CARDHOLDER = """
local owner = redis.call('HGET', KEYS[1], ARGV[2])
if owner and owner ~= ARGV[1] then return {'pan_taken', owner} end
local exists = redis.call('HEXISTS', KEYS[2], ARGV[1])
if ARGV[4] == 'add' and exists == 1 then return {'id_taken', ARGV[1]} end
if ARGV[4] == 'replace' and exists == 0 then return {'missing', ARGV[1]} end
if exists == 1 then
  local old = cjson.decode(redis.call('HGET', KEYS[2], ARGV[1]))
  if old['pan_hash'] ~= ARGV[2] then redis.call('HDEL', KEYS[1], old['pan_hash']) end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('INCR', KEYS[3])
return {'ok', ARGV[1]}
"""

# KEYS: by_pan, cardholders, version. ARGV: id.
_DELETE_CARDHOLDER = """
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return 0 end
local old = cjson.decode(raw)
redis.call('HDEL', KEYS[1], old['pan_hash'])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('INCR', KEYS[3])
return 1
"""

# KEYS: by_pan, cardholders, version. ARGV: pan_hash. One round trip on the AReq hot path.
_CARDHOLDER_BY_PAN = """
local version = redis.call('GET', KEYS[3]) or '0'
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return {version, false} end
return {version, redis.call('HGET', KEYS[2], id)}
"""


# KEYS: rres, events, lock. ARGV: rres (empty: the relay failed), event, ttl.
# The RReq relay's outcome, its log entry and the lock's release land together or not at all.
_DS_RELAYED = """
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3]) end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('DEL', KEYS[3])
return 1
"""


class Store:
    def __init__(self, client: aioredis.Redis, description: str, sender: Sender) -> None:
        self.client = client  # admin and directory calls
        self.description = description
        self._put_cardholder = client.register_script(_PUT_CARDHOLDER)
        self._delete_cardholder = client.register_script(_DELETE_CARDHOLDER)
        self.batch = AutoPipeline(sender)  # the request path
        self._cardholder_by_pan = Script(_CARDHOLDER_BY_PAN)
        self._ds_relayed = Script(_DS_RELAYED)

    @classmethod
    def connect(cls, url: str) -> Store:
        if url == "memory":
            import fakeredis

            fake = cast(aioredis.Redis, fakeredis.FakeAsyncRedis())
            description = "memory (in-process, not persistent)"
            return cls(fake, description, RedisPySender(fake, description))
        # One immediate retry on a fresh connection: after a Redis restart, pooled connections
        # are stale and the first command on each would fail.
        real = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=1.0,
            health_check_interval=5,
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[redis.exceptions.ConnectionError],
        )
        description = _redact(url)
        pipelined = RespConnection(Address.from_url(url), description, timeout=COMMAND_TIMEOUT)
        return cls(real, description, pipelined)

    async def close(self) -> None:
        self.batch.close()
        await self.client.aclose()

    @asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        """For direct redis-py calls: store errors become StoreUnavailable, and a Redis that does
        not answer within COMMAND_TIMEOUT counts as unavailable. (``batch`` commands fail with
        StoreUnavailable themselves.)"""
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                yield
        except STORE_ERRORS as exc:
            raise unavailable(self.description, exc) from exc

    async def ping(self) -> bool:
        async with self.guard():
            return bool(await self.client.ping())

    # -- transactions -------------------------------------------------------------------------

    def save_txn(self, acs_trans_id: str, record: bytes, ttl_seconds: int) -> Awaitable[None]:
        return self.batch.command("SET", keys.txn(acs_trans_id), record, "EX", ttl_seconds)

    def remember_payment(self, pan_hash: str, payment: bytes) -> Awaitable[Any]:
        """Keep an authenticated payment with the card's last ones (the transaction-history
        challenge asks about them): a capped stream, queued with the caller's other commands."""
        key = keys.card(pan_hash, "payments")
        return asyncio.gather(
            self.batch.command("XADD", key, "MAXLEN", "~", PAYMENTS_KEPT, "*", "p", payment),
            self.batch.command("EXPIRE", key, PAYMENTS_TTL_SECONDS),
        )

    async def forget_payments(self, pan_hash: str) -> None:
        await self.batch.command("DEL", keys.card(pan_hash, "payments"))

    async def payments(self, pan_hash: str) -> list[bytes]:
        """The card's last authenticated payments, newest first."""
        key = keys.card(pan_hash, "payments")
        entries = await self.batch.command("XREVRANGE", key, "+", "-", "COUNT", PAYMENTS_KEPT)
        found = []
        for _, fields in entries or []:
            # a field list off the wire (RESP), a mapping from redis-py (the in-process store)
            if not isinstance(fields, dict):
                fields = dict(zip(fields[::2], fields[1::2], strict=True))
            if b"p" in fields:
                found.append(fields[b"p"])
        return found

    async def get_txn(self, acs_trans_id: str) -> bytes | None:
        return cast(bytes | None, await self.batch.command("GET", keys.txn(acs_trans_id)))

    # -- directory ----------------------------------------------------------------------------

    _DIR_KEYS = (keys.DIR_BY_PAN, keys.DIR_CARDHOLDERS, keys.DIR_VERSION)

    async def directory_version(self) -> int:
        """0 when the store holds no directory (never seeded, flushed, or restarted empty)."""
        async with self.guard():
            return int(await self.client.get(keys.DIR_VERSION) or 0)

    def cardholder_by_pan(self, pan_hash: str) -> Awaitable[tuple[int, bytes | None]]:
        """Queued at the call (see store/batch.py): the directory version and the record."""
        return self.batch.script(
            self._cardholder_by_pan, list(self._DIR_KEYS), [pan_hash], parse=_version_and_record
        )

    async def seed_directory(
        self, ranges: list[tuple[str, bytes]], cardholders: list[tuple[str, str, bytes]]
    ) -> None:
        """Write the configured ranges and cardholders (id, PAN hash, record) in one MULTI/EXEC,
        so that no node ever reads a half-written directory. The version moves by the clock, not
        by one: after a store reset it must never come back to a number a node has cached."""
        async with self.guard():
            pipe = self.client.pipeline(transaction=True)
            for range_id, record in ranges:
                pipe.hset(keys.DIR_RANGES, range_id, record)
            for ch_id, pan_hash, record in cardholders:
                pipe.eval(_PUT_CARDHOLDER, 3, *self._DIR_KEYS, ch_id, pan_hash, record, "upsert")
            pipe.incrby(keys.DIR_VERSION, int(time.time() * 1000))
            results = await pipe.execute()
        for status, who in results[len(ranges) : len(ranges) + len(cardholders)]:
            if _text(status) == "pan_taken":
                raise Conflict(f"acctNumber: already belongs to cardholder {_text(who)!r}")

    async def put_cardholder(self, ch_id: str, pan_hash: str, record: bytes, *, mode: str) -> None:
        async with self.guard():
            status, who = await self._put_cardholder(
                keys=self._DIR_KEYS, args=[ch_id, pan_hash, record, mode]
            )
        status, who = _text(status), _text(who)
        if status == "pan_taken":
            raise Conflict(f"acctNumber: already belongs to cardholder {who!r}")
        if status == "id_taken":
            raise Conflict(f"id: cardholder {who!r} already exists; use PUT to change it")
        if status == "missing":
            raise KeyError(who)

    async def delete_cardholder(self, ch_id: str) -> bool:
        async with self.guard():
            return bool(await self._delete_cardholder(keys=self._DIR_KEYS, args=[ch_id]))

    async def get_cardholder(self, ch_id: str) -> bytes | None:
        async with self.guard():
            return cast(bytes | None, await self.client.hget(keys.DIR_CARDHOLDERS, ch_id))

    async def list_cardholders(self) -> list[bytes]:
        async with self.guard():
            values = await self.client.hvals(keys.DIR_CARDHOLDERS)
        return cast(list[bytes], values)

    async def list_ranges(self) -> tuple[int, list[bytes]]:
        async with self.guard():
            pipe = self.client.pipeline(transaction=True)
            pipe.get(keys.DIR_VERSION)
            pipe.hvals(keys.DIR_RANGES)
            version, values = await pipe.execute()
        return int(version or 0), cast(list[bytes], values)

    async def put_range(self, range_id: str, record: bytes) -> None:
        async with self.guard():
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(keys.DIR_RANGES, range_id, record)
            pipe.incr(keys.DIR_VERSION)
            await pipe.execute()

    async def delete_range(self, range_id: str) -> bool:
        async with self.guard():
            pipe = self.client.pipeline(transaction=True)
            pipe.hdel(keys.DIR_RANGES, range_id)
            pipe.incr(keys.DIR_VERSION)
            removed, _ = await pipe.execute()
        return bool(removed)

    # -- the DS front (acs.ds) ------------------------------------------------------------------

    def ds_save(self, ds_trans_id: str, record: bytes, ttl_seconds: int) -> Awaitable[Any]:
        """What the RReq relay needs of a challenged transaction (threeDSServerURL, ...)."""
        return self.batch.command(
            "SET", keys.ds_relay(ds_trans_id, "record"), record, "EX", ttl_seconds
        )

    async def ds_relay_state(self, ds_trans_id: str) -> tuple[bytes | None, bytes | None]:
        """(the record, the RRes already relayed) in one round trip."""
        record, rres = await self.batch.command(
            "MGET", keys.ds_relay(ds_trans_id, "record"), keys.ds_relay(ds_trans_id, "rres")
        )
        return record, rres

    async def ds_claim_relay(self, ds_trans_id: str, seconds: float) -> bool:
        """One RReq relay at a time per transaction: True for the caller that holds it now."""
        key = keys.ds_relay(ds_trans_id, "lock")
        held = await self.batch.command("SET", key, b"1", "NX", "PX", int(seconds * 1000))
        return held is not None

    def ds_relayed(
        self, ds_trans_id: str, rres: bytes | None, event: bytes, ttl_seconds: int
    ) -> Awaitable[Any]:
        """Record a relay attempt (and its RRes when it succeeded) and release the claim."""
        names = ("rres", "events", "lock")
        return self.batch.script(
            self._ds_relayed,
            [keys.ds_relay(ds_trans_id, n) for n in names],
            [rres or b"", event, ttl_seconds],
        )

    async def ds_events(self, ds_trans_id: str) -> list[bytes]:
        return cast(
            list[bytes],
            await self.batch.command("LRANGE", keys.ds_relay(ds_trans_id, "events"), 0, -1),
        )

    async def ds_keep_snapshot(self, serial: str, ranges: bytes) -> None:
        """Keep the card ranges a PRes serial number stands for (no TTL: a 3DS Server may ask
        for the changes since any serial it was given)."""
        await self.batch.command("HSETNX", keys.DS_SNAPSHOTS, serial, ranges)

    async def ds_snapshot(self, serial: str) -> bytes | None:
        return cast(bytes | None, await self.batch.command("HGET", keys.DS_SNAPSHOTS, serial))


def _version_and_record(reply: list[Any]) -> tuple[int, bytes | None]:
    version, raw = reply
    return int(version), (raw or None)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _redact(url: str) -> str:
    """Hide a password in a redis URL before it is printed."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
