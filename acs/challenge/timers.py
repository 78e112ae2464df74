"""Protocol timers in the store: a due-set (sorted set by deadline) that every node polls.

A node claims due timers with one Lua script that reads and removes them together, so each timer
fires exactly once, on whichever node gets there first, even if the node that set it is gone.
Handlers re-check the session before acting (a challenge may have finished meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum

import structlog

from acs.store.batch import Script
from acs.store.store import Store, StoreUnavailable

log = structlog.get_logger("acs.timers")

DUE = "acs:{timers}:due"


class TimerKind(StrEnum):
    FIRST_CREQ = "first-creq"  # 30 s from the ARes to the first CReq
    PAGE = "page"  # 10 min per challenge page
    RREQ = "rreq"  # the next RReq delivery attempt


# KEYS: due set. ARGV: now_ms, limit. Returns the claimed members.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do redis.call('ZREM', KEYS[1], member) end
return due
"""

Handler = Callable[[TimerKind, str], Awaitable[None]]


class Timers:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._claim = Script(_CLAIM)

    async def schedule(self, kind: TimerKind, acs_trans_id: str, due_at: float) -> None:
        await self.store.batch.command("ZADD", DUE, int(due_at * 1000), f"{kind}|{acs_trans_id}")

    async def cancel(self, kind: TimerKind, acs_trans_id: str, *more: TimerKind) -> None:
        members = [f"{k}|{acs_trans_id}" for k in (kind, *more)]
        await self.store.batch.command("ZREM", DUE, *members)

    async def claim(
        self, now: float | None = None, limit: int = 100
    ) -> list[tuple[TimerKind, str]]:
        moment = time.time() if now is None else now
        members = await self.store.batch.script(self._claim, [DUE], [int(moment * 1000), limit])
        claimed = []
        for member in members:
            kind, _, acs_trans_id = (
                member.decode() if isinstance(member, bytes) else member
            ).partition("|")
            claimed.append((TimerKind(kind), acs_trans_id))
        return claimed


async def run_worker(
    timers: Timers, handler: Handler, poll_seconds: float, stop: asyncio.Event
) -> None:
    """Poll the due-set until ``stop``; each claimed timer runs in its own task."""
    running: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        try:
            for kind, acs_trans_id in await timers.claim():
                task = asyncio.create_task(_fire(handler, kind, acs_trans_id))
                running.add(task)
                task.add_done_callback(running.discard)
        except StoreUnavailable as exc:
            log.warning("timers.store_unavailable", error=str(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
    if running:
        await asyncio.gather(*running, return_exceptions=True)


async def _fire(handler: Handler, kind: TimerKind, acs_trans_id: str) -> None:
    try:
        await handler(kind, acs_trans_id)
    except Exception:  # a failing timer must not stop the others; it is logged with its id
        log.exception("timers.handler_failed", kind=kind.value, acsTransID=acs_trans_id)
