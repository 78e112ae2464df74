"""The simulator outbox on the in-process store and on a real redis-server."""

from __future__ import annotations

from acs.delivery import outbox
from acs.delivery.base import Channel, failed, sent
from acs.store.store import Store
from tests.delivery.fakes import message

TXN = "8a880dc0-d2d2-4067-bcb1-b08d1690b26e"


async def test_record_then_list_by_transaction_and_card(store: Store) -> None:
    msg = message()
    await outbox.record(store, msg, sent(msg, "outbox"))
    retry = message(code="654321", text="Demo Bank: 654321 is your code.")
    await outbox.record(store, retry, failed(retry, "smtp", "cannot connect"))

    entries = await outbox.by_transaction(store, TXN)
    assert entries == await outbox.by_card(store, msg.pan_hash)
    first, last = entries  # newest last
    assert first == {
        "acsTransID": TXN,
        "channel": "sms",
        "adapter": "outbox",
        "destination": "+44*******123",
        "text": msg.text,
        "code": "123456",
        "link": None,
        "status": "sent",
        "provider_ref": None,
        "error": None,
        "sent_at": first["sent_at"],
    }
    assert (last["code"], last["status"], last["error"]) == ("654321", "failed", "cannot connect")


async def test_keys_and_ttl(store: Store) -> None:
    msg = message()
    await outbox.record(store, msg, sent(msg, "outbox"), ttl_seconds=120)
    assert outbox.outbox_key(TXN) == f"acs:{{{TXN}}}:outbox"
    assert outbox.card_outbox_key(msg.pan_hash) == f"acs:{{card:{'f' * 32}}}:outbox"
    for key in (outbox.outbox_key(TXN), outbox.card_outbox_key(msg.pan_hash)):
        assert 0 < await store.client.ttl(key) <= 120
        raw = b"".join(await store.client.lrange(key, 0, -1))
        assert b"447700900123" not in raw  # destination is stored masked


async def test_lists_are_capped_to_the_newest(store: Store) -> None:
    for n in range(5):
        msg = message(code=f"00000{n}")
        await outbox.record(store, msg, sent(msg, "outbox"), max_entries=3)
    assert [e["code"] for e in await outbox.by_transaction(store, TXN)] == [
        "000002",
        "000003",
        "000004",
    ]


async def test_card_list_spans_transactions(store: Store) -> None:
    for txn in ("t-1", "t-2"):
        msg = message(acs_trans_id=txn)
        await outbox.record(store, msg, sent(msg, "outbox"))
    assert [e["acsTransID"] for e in await outbox.by_card(store, "f" * 64)] == ["t-1", "t-2"]
    assert len(await outbox.by_transaction(store, "t-1")) == 1


async def test_provider_generated_pin_is_stored_as_null(store: Store) -> None:
    msg = message(Channel.VOICE, code="999999")  # even if a caller passed one by mistake
    receipt = sent(msg, "pin-api", provider_ref="PIN0001", provider_verifies=True)
    await outbox.record(store, msg, receipt)
    (entry,) = await outbox.by_transaction(store, TXN)
    assert entry["code"] is None and entry["provider_ref"] == "PIN0001"


async def test_empty_outbox(store: Store) -> None:
    assert await outbox.by_transaction(store, "nothing") == []
    assert await outbox.by_card(store, "0" * 64) == []
