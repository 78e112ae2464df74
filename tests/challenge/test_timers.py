"""The due-set: a claimed timer is leased, not removed, so a claimer that dies leaves it to fall due
again; a finished handler removes it unless it moved the timer meanwhile."""

from __future__ import annotations

import asyncio

import pytest

from acs.challenge.timers import DUE, TimerKind, Timers, run_worker
from acs.store.store import Store

T0 = 1_800_000_000.0
LEASE = 5.0


@pytest.fixture
async def timers(store_url: str):  # type: ignore[no-untyped-def]
    store = Store.connect(store_url)
    await store.client.flushdb()
    yield Timers(store, LEASE)
    await store.close()


async def test_a_claimed_timer_is_leased_and_falls_due_again(timers: Timers) -> None:
    await timers.schedule(TimerKind.RREQ, "t1", T0)
    until, claimed = await timers.claim(now=T0)
    assert claimed == [(TimerKind.RREQ, "t1")]
    assert until == int((T0 + LEASE) * 1000)
    assert (await timers.claim(now=T0 + LEASE - 0.001))[1] == []  # held by the claimer
    # the claimer died without finishing: another node gets it when the lease ends
    assert (await timers.claim(now=T0 + LEASE))[1] == [(TimerKind.RREQ, "t1")]


async def test_done_removes_the_timer_unless_the_handler_moved_it(timers: Timers) -> None:
    await timers.schedule(TimerKind.PAGE, "t1", T0)
    await timers.schedule(TimerKind.RREQ, "t2", T0)
    until, claimed = await timers.claim(now=T0)
    assert len(claimed) == 2
    await timers.schedule(TimerKind.RREQ, "t2", T0 + 60)  # the handler set the next attempt
    await timers.done(TimerKind.PAGE, "t1", until)
    await timers.done(TimerKind.RREQ, "t2", until)
    left = await timers.store.client.zrange(DUE, 0, -1, withscores=True)
    assert left == [(b"rreq|t2", (T0 + 60) * 1000)]


async def test_an_unknown_kind_is_dropped_not_fatal(timers: Timers) -> None:
    await timers.store.client.zadd(DUE, {"retired-kind|t1": T0 * 1000})
    await timers.schedule(TimerKind.PAGE, "t2", T0)
    _, claimed = await timers.claim(now=T0)
    assert claimed == [(TimerKind.PAGE, "t2")]
    assert await timers.store.client.zscore(DUE, "retired-kind|t1") is None


async def test_the_worker_retries_a_failed_handler_after_the_lease(store_url: str) -> None:
    store = Store.connect(store_url)
    await store.client.flushdb()
    timers = Timers(store, lease_seconds=0.2)
    calls: list[str] = []
    twice = asyncio.Event()

    async def handler(kind: TimerKind, acs_trans_id: str) -> None:
        calls.append(acs_trans_id)
        if len(calls) == 1:
            raise RuntimeError("first run fails")
        twice.set()

    await timers.schedule(TimerKind.RREQ, "t1", 0)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(timers, handler, 0.02, stop))
    try:
        async with asyncio.timeout(5):
            await twice.wait()
    finally:
        stop.set()
        await worker
    assert calls == ["t1", "t1"]
    assert await store.client.zcard(DUE) == 0  # done after the successful run
    await store.close()
