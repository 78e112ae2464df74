"""One AReq must not knock a card out: amounts beyond what the counters hold are clamped before any
write, the counter script is all-or-nothing, and members an older version wrote do not break it."""

from __future__ import annotations

import uuid

import pytest

from acs.risk.counters import MAX_CENTS, StoreCounters, _cents
from acs.risk.model import Window, WindowKind
from acs.risk.sample import base_areq
from acs.store import keys
from acs.store.store import Store
from acs.web.appkeys import SERVICES
from tests.risk.helpers import NOW

WINDOWS = {"1h": Window(seconds=3600), "day": Window(seconds=86400, kind=WindowKind.FIXED)}
T0 = NOW.timestamp()
CARD = "4016000000000053"  # Dana Demo: frictionless, velocity counted
HUGE = "9" * 30


@pytest.fixture
async def counters(store_url: str):  # type: ignore[no-untyped-def]
    store = Store.connect(store_url)
    await store.client.flushdb()
    yield StoreCounters(store, WINDOWS)
    await store.close()


def test_cents_are_clamped_to_what_the_counters_hold() -> None:
    assert _cents(1e28) == MAX_CENTS
    assert _cents(float("inf")) == MAX_CENTS
    assert _cents(float("nan")) == 0
    assert _cents(None) == 0
    assert _cents(12.345) == 1234  # rounds half to even, as before
    assert MAX_CENTS < 1e14  # Lua prints smaller integers without an exponent


async def test_a_huge_amount_is_answered_and_the_card_keeps_answering(client) -> None:  # type: ignore[no-untyped-def]
    for amount in (HUGE, "1000", HUGE, "2500"):
        body = base_areq(
            acctNumber=CARD, purchaseAmount=amount, threeDSServerTransID=str(uuid.uuid4())
        )
        answer = await (await client.post("/3ds/areq", json=body)).json()
        assert answer["messageType"] == "ARes", answer
    # the members of this card's windows are all "<txn>:<integer cents>"
    services = client.server.app[SERVICES]
    pan_hash = services.vault.pan_hash(CARD)
    members = await services.store.client.zrange(keys.card(pan_hash, "vel:1h"), 0, -1)
    assert len(members) == 4
    assert all(m.rsplit(b":", 1)[1].isdigit() for m in members)


async def test_the_script_refuses_bad_amounts_before_any_write(counters) -> None:  # type: ignore[no-untyped-def]
    store = counters.store
    prefix = keys.card_prefix("card")
    card_keys = [prefix + n for n in counters._sliding_keys] + [f"{prefix}fw:day:1"]
    for bad in ("1e+30", "-5", "1.5", str(MAX_CENTS + 1), "abc"):
        args = [int(T0 * 1000), "txn", bad, *counters._sliding_args, *counters._fixed_args]
        with pytest.raises(Exception, match="bad arguments"):
            await store.batch.script(counters._observe, card_keys, args)
    assert await store.client.keys("acs:{card:*") == []


async def test_members_left_by_an_older_version_age_out_without_failing(counters) -> None:  # type: ignore[no-untyped-def]
    """Before the clamp, a 30-digit amount was stored as 'txn:1e+30' and every AReq on the card
    failed once that member left its window."""
    zset = keys.card("card", "vel:1h")
    # what the old script left: the member and the count written, then HINCRBY of the sum failed
    await counters.store.client.zadd(zset, {"old:1e+30": int(T0 * 1000)})
    await counters.store.client.hset(keys.card("card", "velsum"), mapping={"1:count": 1})
    await counters.observe("card", "a", T0 + 1, 10.0)
    later = await counters.observe("card", "b", T0 + 7200, 10.0)  # both earlier ones left
    assert later.velocity["1h"][0] == 0
    again = await counters.observe("card", "c", T0 + 7201, 10.0)
    assert again.velocity["1h"] == (1, 10.0)
