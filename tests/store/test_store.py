"""The store suite, on the in-process store and on a real redis-server."""

from __future__ import annotations

import pytest

from acs.store import keys
from acs.store.store import Conflict, Store


@pytest.fixture
async def store(store_url: str):  # type: ignore[no-untyped-def]
    s = Store.connect(store_url)
    await s.client.flushdb()
    yield s
    await s.close()


async def test_transaction_records_expire(store: Store) -> None:
    await store.save_txn("t-1", b'{"a":1}', ttl_seconds=120)
    assert await store.get_txn("t-1") == b'{"a":1}'
    ttl = await store.client.ttl(keys.txn("t-1"))
    assert 0 < ttl <= 120


async def test_keys_carry_hash_tags() -> None:
    assert keys.txn("abc") == "acs:{abc}:txn"
    for key in (keys.DIR_RANGES, keys.DIR_CARDHOLDERS, keys.DIR_BY_PAN, keys.DIR_VERSION):
        assert "{dir}" in key


async def test_cardholder_writes_are_atomic_and_indexed(store: Store) -> None:
    await store.put_cardholder("a", "hash-a", b'{"pan_hash":"hash-a"}', mode="add")
    version, raw = await store.cardholder_by_pan("hash-a")
    assert raw == b'{"pan_hash":"hash-a"}' and version == 1

    # a second holder claiming the same PAN changes nothing at all
    with pytest.raises(Conflict, match="acctNumber"):
        await store.put_cardholder("b", "hash-a", b'{"pan_hash":"hash-a"}', mode="add")
    assert await store.get_cardholder("b") is None
    assert await store.directory_version() == 1

    with pytest.raises(Conflict, match="id"):
        await store.put_cardholder("a", "hash-z", b'{"pan_hash":"hash-z"}', mode="add")
    assert (await store.cardholder_by_pan("hash-z"))[1] is None

    # replacing with a new PAN moves the index entry
    await store.put_cardholder("a", "hash-new", b'{"pan_hash":"hash-new"}', mode="replace")
    assert (await store.cardholder_by_pan("hash-a"))[1] is None
    assert (await store.cardholder_by_pan("hash-new"))[1] is not None
    with pytest.raises(KeyError):
        await store.put_cardholder("ghost", "hash-g", b'{"pan_hash":"hash-g"}', mode="replace")

    assert await store.delete_cardholder("a") is True
    assert (await store.cardholder_by_pan("hash-new"))[1] is None
    assert await store.delete_cardholder("a") is False


async def test_directory_data_has_no_ttl(store: Store) -> None:
    await store.put_range("r", b"{}")
    await store.put_cardholder("a", "h", b'{"pan_hash":"h"}', mode="add")
    for key in (keys.DIR_RANGES, keys.DIR_CARDHOLDERS, keys.DIR_BY_PAN, keys.DIR_VERSION):
        assert await store.client.ttl(key) == -1
