"""What the QA API reads back: an index of transaction records by time, the RReq log, and the
reset of everything a test suite leaves behind.

Writes ride the request's own round trip (the auto-pipeline, see batch.py): ``index`` queues its
commands at the call, so the AReq that wrote the record pays no extra wait. Both indexes are
bounded: each write trims its sorted set to a cap, and the per-card one expires with the records
(retention). The global index keeps expired members until they are trimmed; readers skip them
by score (``since`` never reaches past the retention window).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable
from typing import Any

from acs.store import keys
from acs.store.batch import await_all
from acs.store.store import Store

INDEX_CAP = 10_000  # the newest records listed across all cards
CARD_INDEX_CAP = 200  # the newest records listed for one card
TRIM_EVERY = 32  # writes per trim, on average
RREQ_LOG_CAP = 1_000  # RReq attempts kept (a stream trimmed near this length)
PAGE = 200  # records read per round trip while a filter looks for matches


def index(
    store: Store, acs_trans_id: str, pan_hash: str | None, created_at: float, ttl_seconds: int
) -> Awaitable[Any]:
    """Queue the record's place in the global and the card's index (no MULTI: two hash slots,
    and each set is only ever added to and trimmed). Await it after the record's own write.

    Trimming to the cap costs a command per set, so it runs on about one write in
    ``TRIM_EVERY`` (a set holds at most about ``TRIM_EVERY`` members over its cap): three
    commands an AReq, not five (each ~9 us of an AReq on real Redis, measured in process)."""
    batch = store.batch
    trim = random.randrange(TRIM_EVERY) == 0  # noqa: S311 - load spreading, not a secret
    pending = [batch.command("ZADD", keys.QA_TXNS, created_at, acs_trans_id)]
    if trim:
        pending.append(batch.command("ZREMRANGEBYRANK", keys.QA_TXNS, 0, -INDEX_CAP - 1))
    if pan_hash:
        card = keys.card_txns(pan_hash)
        pending += [
            batch.command("ZADD", card, created_at, acs_trans_id),
            batch.command("EXPIRE", card, ttl_seconds),
        ]
        if trim:
            pending.append(batch.command("ZREMRANGEBYRANK", card, 0, -CARD_INDEX_CAP - 1))
    return await_all(*pending)


def save_record(
    store: Store,
    acs_trans_id: str,
    record: bytes,
    pan_hash: str | None,
    created_at: float,
    ttl_seconds: int,
) -> Awaitable[Any]:
    """A record no challenge session carries (an Erro's): written and indexed in one round trip."""
    return await_all(
        store.save_txn(acs_trans_id, record, ttl_seconds),
        index(store, acs_trans_id, pan_hash, created_at, ttl_seconds),
    )


async def newest(
    store: Store, *, since: float, pan_hash: str | None = None, offset: int = 0, count: int = PAGE
) -> list[str]:
    """acsTransIDs of records created at or after ``since``, newest first, from ``offset``."""
    key = keys.card_txns(pan_hash) if pan_hash else keys.QA_TXNS
    members = await store.batch.command(
        "ZREVRANGEBYSCORE", key, "+inf", since, "LIMIT", offset, count
    )
    return [m.decode() if isinstance(m, bytes) else str(m) for m in members]


async def records(store: Store, acs_trans_ids: list[str]) -> list[bytes | None]:
    """The stored records (None for one expired or reset), in one round trip."""
    # GETs, not one MGET: each record has its own hash slot (Redis Cluster)
    return list(await asyncio.gather(*(store.get_txn(t) for t in acs_trans_ids)))


def log_rreq(store: Store, entry: bytes) -> Awaitable[Any]:
    """Queue one RReq attempt in the capped log (one command per attempt)."""
    return store.batch.command(
        "XADD", keys.QA_RREQ_LOG, "MAXLEN", "~", RREQ_LOG_CAP, "*", "e", entry
    )


async def rreq_log(store: Store) -> list[bytes]:
    """Every kept RReq attempt, newest first."""
    entries = await store.batch.command("XREVRANGE", keys.QA_RREQ_LOG, "+", "-")
    found = []
    for _, fields in entries or []:
        # a field list off the wire (RESP), a mapping from redis-py (the in-process store)
        if not isinstance(fields, dict):
            fields = dict(zip(fields[::2], fields[1::2], strict=True))
        if b"e" in fields:
            found.append(fields[b"e"])
    return found


async def reset(store: Store) -> int:
    """Delete what a test suite leaves behind (``keys.QA_RESET_PATTERNS``); the number of keys.
    Not atomic, and needs none: it only deletes, and a write that lands meanwhile is one a
    suite running during its own reset asked for."""
    deleted = 0
    for pattern in keys.QA_RESET_PATTERNS:
        cursor: int | None = None
        while cursor != 0:
            async with store.guard():  # each call within the store's time limit, not the whole
                cursor, found = await store.client.scan(cursor or 0, match=pattern, count=1000)
                if found:
                    deleted += await store.client.unlink(*found)
    return deleted
