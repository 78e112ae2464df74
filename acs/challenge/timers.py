"""Protocol timers in the store: a due-set (sorted set by deadline) that every node polls.

A node claims due timers with one Lua script that pushes their deadline a lease into the future
instead of removing them. The claimer removes a timer only after its handler ran, and only if the
handler did not move it meanwhile; a node that dies mid-handler leaves the timer to fall due
again when the lease ends, so another node runs it (at least once: handlers re-check the session
before acting, and the DS deduplicates a repeated RReq by its IDs).
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
    DECOUPLED = "decoupled"  # the requestor's threeDSRequestorDecMaxTime for a decoupled approval


# KEYS: due set. ARGV: now_ms, limit, lease_until_ms. Returns the claimed members; each now falls
# due again at lease_until_ms unless its handler finishes (done) or moves it (schedule) first.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], member) end
return due
"""

# KEYS: due set. ARGV: member, lease_until_ms. Remove the timer unless a handler moved it.
_DONE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
"""

Handler = Callable[[TimerKind, str], Awaitable[None]]


def _ms(moment: float) -> int:
    return int(moment * 1000)


class Timers:
    def __init__(self, store: Store, lease_seconds: float = 15.0) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self._claim = Script(_CLAIM)
        self._done = Script(_DONE)

    async def schedule(self, kind: TimerKind, acs_trans_id: str, due_at: float) -> None:
        """Set (or move) the timer; one per kind and transaction."""
        await self.store.batch.command("ZADD", DUE, _ms(due_at), f"{kind}|{acs_trans_id}")

    async def lease(self, kind: TimerKind, acs_trans_id: str) -> None:
        """Hold the timer for work about to run here: if this node dies before it calls
        ``schedule`` or ``cancel``, the timer falls due when the lease ends and another node
        does the work."""
        await self.schedule(kind, acs_trans_id, time.time() + self.lease_seconds)

    async def cancel(self, kind: TimerKind, acs_trans_id: str, *more: TimerKind) -> None:
        members = [f"{k}|{acs_trans_id}" for k in (kind, *more)]
        await self.store.batch.command("ZREM", DUE, *members)

    async def claim(
        self, now: float | None = None, limit: int = 100
    ) -> tuple[int, list[tuple[TimerKind, str]]]:
        """Due timers, leased to this node: (lease end in ms, [(kind, acsTransID), ...])."""
        moment = time.time() if now is None else now
        until = _ms(moment + self.lease_seconds)
        members = await self.store.batch.script(self._claim, [DUE], [_ms(moment), limit, until])
        claimed = []
        for member in members:
            kind, _, acs_trans_id = (
                member.decode() if isinstance(member, bytes) else member
            ).partition("|")
            try:
                claimed.append((TimerKind(kind), acs_trans_id))
            except ValueError:  # not ours (a newer or older version's kind): drop it
                await self.store.batch.command("ZREM", DUE, member)
        return until, claimed

    async def done(self, kind: TimerKind, acs_trans_id: str, lease_until: int) -> None:
        await self.store.batch.script(self._done, [DUE], [f"{kind}|{acs_trans_id}", lease_until])


async def run_worker(
    timers: Timers, handler: Handler, poll_seconds: float, stop: asyncio.Event
) -> None:
    """Poll the due-set until ``stop``; each claimed timer runs in its own task."""
    running: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        try:
            until, claimed = await timers.claim()
            for kind, acs_trans_id in claimed:
                task = asyncio.create_task(_fire(timers, handler, kind, acs_trans_id, until))
                running.add(task)
                task.add_done_callback(running.discard)
        except StoreUnavailable as exc:
            log.warning("timers.store_unavailable", error=str(exc))
        except Exception:  # whatever a store in trouble raises, the worker must outlive it
            log.exception("timers.claim_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
    if running:
        await asyncio.gather(*running, return_exceptions=True)


async def _fire(
    timers: Timers, handler: Handler, kind: TimerKind, acs_trans_id: str, until: int
) -> None:
    try:
        await handler(kind, acs_trans_id)
        await timers.done(kind, acs_trans_id, until)
    except StoreUnavailable as exc:  # the lease ends and the timer falls due again
        log.warning(
            "timers.store_unavailable", kind=kind.value, acsTransID=acs_trans_id, error=str(exc)
        )
    except Exception:  # a failing timer must not stop the others; it is logged with its id
        log.exception("timers.handler_failed", kind=kind.value, acsTransID=acs_trans_id)
