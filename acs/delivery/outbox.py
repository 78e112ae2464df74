"""The simulator outbox: every delivery attempt, readable back by QA suites.

Each entry is appended to two lists: per transaction (``acs:{<acsTransID>}:outbox``) and per card
(``acs:{card:<hash>}:outbox``), so a suite that only knows the card still finds the latest code.
Both lists are capped and expire: the outbox is a test aid, not an archive. Entries carry the
masked destination only. They carry the code, because handing it to the tester is the point of a
simulator outbox; it is null when the provider generated the PIN (the ACS never saw it).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import msgspec

from acs.delivery.base import DeliveryReceipt, OtpMessage
from acs.store import keys
from acs.store.store import Store

DEFAULT_TTL_SECONDS = 3600
DEFAULT_MAX_ENTRIES = 50


def outbox_key(acs_trans_id: str) -> str:
    """Tagged with the transaction, like ``keys.txn``, so it shares the record's cluster slot."""
    return f"{keys.PREFIX}:{{{acs_trans_id}}}:outbox"


def card_outbox_key(pan_hash: str) -> str:
    return keys.card(pan_hash, "outbox")


def entry(msg: OtpMessage, receipt: DeliveryReceipt) -> dict[str, Any]:
    return {
        "acsTransID": msg.acs_trans_id,
        "channel": str(msg.channel),
        "adapter": receipt.adapter,
        "destination": receipt.destination_masked,
        "text": msg.text,
        "code": None if receipt.provider_verifies else msg.code,
        "link": msg.link,
        "status": receipt.status,
        "provider_ref": receipt.provider_ref,
        "error": receipt.error,
        "sent_at": receipt.sent_at,
    }


async def record(
    store: Store,
    msg: OtpMessage,
    receipt: DeliveryReceipt,
    *,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> None:
    """Append to both lists. Raises ``StoreUnavailable`` when the store is down."""
    data = msgspec.json.encode(entry(msg, receipt))
    commands = [
        command
        for key in (outbox_key(msg.acs_trans_id), card_outbox_key(msg.pan_hash))
        for command in (
            ("RPUSH", key, data),
            ("LTRIM", key, -max_entries, -1),
            ("EXPIRE", key, ttl_seconds),
        )
    ]
    # The auto-pipeline sends all six in one round trip, in order; they are two different
    # hash slots, so no MULTI (Redis Cluster would refuse it), and none is needed: each
    # list is only ever appended to.
    results = await asyncio.gather(
        *(store.batch.command(*c) for c in commands), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def by_transaction(store: Store, acs_trans_id: str) -> list[dict[str, Any]]:
    """Every entry for one transaction, newest last."""
    return await _read(store, outbox_key(acs_trans_id))


async def by_card(store: Store, pan_hash: str) -> list[dict[str, Any]]:
    """The last entries for one card across transactions, newest last."""
    return await _read(store, card_outbox_key(pan_hash))


async def _read(store: Store, key: str) -> list[dict[str, Any]]:
    raw = cast(list[bytes], await store.batch.command("LRANGE", key, 0, -1))
    return [cast(dict[str, Any], msgspec.json.decode(item)) for item in raw]
