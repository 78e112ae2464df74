"""Per-card counters for risk decisions: velocity windows and the low-value exemption state.

Two implementations with one meaning: ``StoreCounters`` (Lua scripts on Redis or the in-process
store, atomic, so concurrent AReqs for one card see strictly increasing counts) and
``MemoryCounters`` (plain Python, for backtests that replay thousands of transactions a second).
Amounts are kept in EUR cents so sums stay exact.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from acs.risk.model import Window, WindowKind
from acs.store import keys
from acs.store.batch import Script
from acs.store.store import Store

LOW_VALUE_TTL_SECONDS = 90 * 86400  # state since the last SCA; SCA is due long before this
DEVICE_TTL_SECONDS = 400 * 86400  # a card's devices are forgotten after 400 days unused
MAX_DEVICES = 64  # devices remembered per card; a card seen on more keeps the first 64


@dataclass(slots=True)
class CardCounters:
    """What the card looked like before this transaction."""

    velocity: dict[str, tuple[int, float]] = field(default_factory=dict)  # window -> (count, EUR)
    low_value_count: int = 0
    low_value_eur: float = 0.0
    # the AReq's device (``fields.device_id``): when this card first used it (epoch seconds; 0:
    # never before; None: the AReq names no device), and how many devices the card had used
    device_first_seen: float | None = None
    devices: int = 0


class Counters(Protocol):
    def observe(
        self,
        card: str,
        txn_id: str,
        now: float,
        amount_eur: float | None,
        device: str | None = None,
    ) -> Awaitable[CardCounters]:
        """Read the card's counters and record this transaction (and its device), atomically.
        A store queues the command at the call (see store/batch.py)."""
        ...

    async def claim_low_value(
        self, card: str, amount_eur: float, max_count: int, max_eur: float
    ) -> bool:
        """Take one low-value exemption if the count and cumulative limits still allow it."""
        ...

    async def reset_after_sca(self, card: str) -> None:
        """A successful challenge (SCA) starts the low-value count again."""
        ...

    async def peek(self, card: str, now: float) -> CardCounters:
        """The card's counters as the next AReq would see them, recording nothing (QA)."""
        ...

    async def forget(self, card: str, now: float) -> None:
        """Drop every counter of the card (QA: make a card's answers repeatable)."""
        ...


# The most one transaction adds to a card's sums: EUR 10 billion. purchaseAmount may have 48
# digits, but Lua numbers are doubles (exact to 2**53, printed as integers below 1e14) and Redis
# counters are 64-bit; a clamp keeps every sum exact and every stored member an integer.
MAX_CENTS = 10**12


def _cents(eur: float | None) -> int:
    if eur is None or not eur > 0:  # None and NaN add nothing
        return 0
    return MAX_CENTS if eur >= MAX_CENTS / 100 else round(eur * 100)


def _bucket(now: float, window: Window) -> int:
    return math.floor(now / window.seconds)


# Sliding windows keep one sorted set of "txn:cents" members per window and running totals in a
# hash, so each AReq only touches the entries that just left its windows: constant work per AReq,
# however busy the card (reading whole windows made a hot card slow Redis for every card).
# KEYS: totals hash, low-value hash, one zset per sliding window..., one hash per fixed bucket...
# ARGV: now_ms, member, cents, n_sliding, [span_ms]*n_sliding, n_fixed, [ttl_ms]*n_fixed
# All-or-nothing: Redis does not roll a script back, so every argument is checked before the first
# write, and members written by older versions that do not parse count as 0 instead of failing.
_OBSERVE = (
    """
local now, member, cents = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local n_sliding = tonumber(ARGV[4])
if not (now and cents and n_sliding) or cents < 0 or cents > MAX_CENTS
    or cents ~= math.floor(cents) then
  return redis.error_reply('observe: bad arguments')
end
local out = {}
local lv = redis.call('HMGET', KEYS[2], 'count', 'cents')
out[1] = tonumber(lv[1] or '0'); out[2] = tonumber(lv[2] or '0')
local longest = 0
for w = 1, n_sliding do
  local zset, span = KEYS[2 + w], tonumber(ARGV[4 + w])
  if span > longest then longest = span end
  local c_field, s_field = w .. ':count', w .. ':cents'
  if redis.call('EXISTS', zset) == 0 then
    redis.call('HSET', KEYS[1], c_field, 0, s_field, 0)
  else
    local gone = redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. (now - span))
    if #gone > 0 then
      local sum = 0
      for _, m in ipairs(gone) do sum = sum + (tonumber(string.match(m, ':(%d+)$')) or 0) end
      redis.call('HINCRBY', KEYS[1], c_field, -#gone)
      redis.call('HINCRBY', KEYS[1], s_field, -sum)
      redis.call('ZREMRANGEBYSCORE', zset, '-inf', '(' .. (now - span))
    end
  end
  local got = redis.call('HMGET', KEYS[1], c_field, s_field)
  table.insert(out, tonumber(got[1] or '0')); table.insert(out, tonumber(got[2] or '0'))
  redis.call('ZADD', zset, now, member .. ':' .. ARGV[3])
  redis.call('PEXPIRE', zset, span)
  redis.call('HINCRBY', KEYS[1], c_field, 1)
  redis.call('HINCRBY', KEYS[1], s_field, cents)
end
if longest > 0 then redis.call('PEXPIRE', KEYS[1], longest) end
local base = 5 + n_sliding
local n_fixed = tonumber(ARGV[base])
for w = 1, n_fixed do
  local key = KEYS[2 + n_sliding + w]
  local got = redis.call('HMGET', key, 'count', 'cents')
  table.insert(out, tonumber(got[1] or '0')); table.insert(out, tonumber(got[2] or '0'))
  redis.call('HINCRBY', key, 'count', 1)
  redis.call('HINCRBY', key, 'cents', cents)
  redis.call('PEXPIRE', key, tonumber(ARGV[base + w]))
end
local device, devices = ARGV[base + n_fixed + 1], KEYS[3 + n_sliding + n_fixed]
if device and device ~= '' and devices then
  local first = redis.call('HGET', devices, device)
  local known = redis.call('HLEN', devices)
  table.insert(out, tonumber(first or '0') or 0); table.insert(out, known)
  if not first and known < MAX_DEVICES then redis.call('HSET', devices, device, ARGV[1]) end
  redis.call('PEXPIRE', devices, DEVICE_TTL_MS)
else
  table.insert(out, -1); table.insert(out, 0)
end
return out
""".replace("MAX_CENTS", str(MAX_CENTS))
    .replace("MAX_DEVICES", str(MAX_DEVICES))
    .replace("DEVICE_TTL_MS", str(DEVICE_TTL_SECONDS * 1000))
)

# KEYS: low-value hash. ARGV: cents, max_count, max_cents, ttl_ms.
_CLAIM_LOW_VALUE = """
local got = redis.call('HMGET', KEYS[1], 'count', 'cents')
local count, sum = tonumber(got[1] or '0') or 0, tonumber(got[2] or '0') or 0
local cents = tonumber(ARGV[1])
if not cents or cents < 0 or cents > MAX_CENTS then
  return redis.error_reply('claim_low_value: bad arguments')
end
if count >= tonumber(ARGV[2]) or sum + cents > tonumber(ARGV[3]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HINCRBY', KEYS[1], 'cents', cents)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
""".replace("MAX_CENTS", str(MAX_CENTS))


class StoreCounters:
    def __init__(self, store: Store, windows: dict[str, Window]) -> None:
        self.store = store
        self.sliding = [(n, w) for n, w in windows.items() if w.kind is WindowKind.SLIDING]
        self.fixed = [(n, w) for n, w in windows.items() if w.kind is WindowKind.FIXED]
        self._names = [n for n, _ in self.sliding] + [n for n, _ in self.fixed]
        # what every observe() sends, worked out once
        self._sliding_keys = ["velsum", "lv"] + [f"vel:{n}" for n, _ in self.sliding]
        self._sliding_args = [len(self.sliding)] + [w.seconds * 1000 for _, w in self.sliding]
        self._fixed_args = [len(self.fixed)] + [w.seconds * 2000 for _, w in self.fixed]
        self._observe = Script(_OBSERVE)
        self._claim = Script(_CLAIM_LOW_VALUE)

    def observe(
        self,
        card: str,
        txn_id: str,
        now: float,
        amount_eur: float | None,
        device: str | None = None,
    ) -> Awaitable[CardCounters]:
        prefix = keys.card_prefix(card)
        card_keys = [prefix + name for name in self._sliding_keys]
        card_keys += [f"{prefix}fw:{n}:{_bucket(now, w)}" for n, w in self.fixed]
        card_keys.append(prefix + "dev")
        args = [
            int(now * 1000),
            txn_id,
            _cents(amount_eur),
            *self._sliding_args,
            *self._fixed_args,
            device or "",
        ]
        return self.store.batch.script(self._observe, card_keys, args, parse=self._counters)

    def _counters(self, values: list[int]) -> CardCounters:
        names = self._names
        velocity = {
            name: (values[2 + 2 * i], values[3 + 2 * i] / 100) for i, name in enumerate(names)
        }
        first, devices = values[2 + 2 * len(names)], values[3 + 2 * len(names)]
        first_seen = None if first < 0 else first / 1000
        return CardCounters(velocity, values[0], values[1] / 100, first_seen, devices)

    async def claim_low_value(
        self, card: str, amount_eur: float, max_count: int, max_eur: float
    ) -> bool:
        args = [_cents(amount_eur), max_count, _cents(max_eur), LOW_VALUE_TTL_SECONDS * 1000]
        won = await self.store.batch.script(self._claim, [keys.card(card, "lv")], args)
        return bool(won)

    async def reset_after_sca(self, card: str) -> None:
        await self.store.batch.command("DEL", keys.card(card, "lv"))

    def _card_keys(self, card: str, now: float) -> tuple[list[str], list[str]]:
        """(the sliding windows' sets, the fixed windows' current buckets) of one card."""
        prefix = keys.card_prefix(card)
        sliding = [f"{prefix}vel:{n}" for n, _ in self.sliding]
        fixed = [f"{prefix}fw:{n}:{_bucket(now, w)}" for n, w in self.fixed]
        return sliding, fixed

    def peek_queued(self, card: str, now: float) -> Awaitable[CardCounters]:
        """``peek``, with its commands queued at the call (see store/batch.py): queued before an
        ``observe`` of the same card, it reads the counters as they were before that AReq."""
        sliding, fixed = self._card_keys(card, now)
        batch = self.store.batch
        ms = int(now * 1000)
        inside = [
            batch.command("ZRANGEBYSCORE", key, ms - w.seconds * 1000, "+inf")
            for key, (_, w) in zip(sliding, self.sliding, strict=True)
        ]
        buckets = [batch.command("HMGET", key, "count", "cents") for key in fixed]
        low_value = batch.command("HMGET", keys.card(card, "lv"), "count", "cents")
        return self._peeked(inside, buckets, low_value)

    async def _peeked(
        self,
        inside: list[asyncio.Future[Any]],
        buckets: list[asyncio.Future[Any]],
        low_value: asyncio.Future[Any],
    ) -> CardCounters:
        velocity: dict[str, tuple[int, float]] = {}
        for (name, _), members in zip(self.sliding, await asyncio.gather(*inside), strict=True):
            cents = [int(m.rsplit(b":", 1)[1]) for m in members if m.rsplit(b":", 1)[1].isdigit()]
            velocity[name] = (len(members), sum(cents) / 100)
        for (name, _), got in zip(self.fixed, await asyncio.gather(*buckets), strict=True):
            velocity[name] = (int(got[0] or 0), int(got[1] or 0) / 100)
        count, cents = await low_value
        return CardCounters(velocity, int(count or 0), int(cents or 0) / 100)

    async def peek(self, card: str, now: float) -> CardCounters:
        return await self.peek_queued(card, now)

    async def forget(self, card: str, now: float) -> None:
        sliding, fixed = self._card_keys(card, now)
        prefix = keys.card_prefix(card)
        await self.store.batch.command(
            "DEL", prefix + "velsum", prefix + "lv", prefix + "dev", *sliding, *fixed
        )


class MemoryCounters:
    """Same semantics in plain Python; time comes from the transactions, so replays are exact."""

    def __init__(self, windows: dict[str, Window]) -> None:
        self.windows = windows
        self.reset()

    def reset(self) -> None:
        self.seen: dict[str, list[tuple[float, int]]] = defaultdict(list)
        self.fixed: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0])
        self.low_value: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.devices: dict[str, dict[str, float]] = defaultdict(dict)

    async def observe(
        self,
        card: str,
        txn_id: str,
        now: float,
        amount_eur: float | None,
        device: str | None = None,
    ) -> CardCounters:
        history = self.seen[card]
        longest = max(
            (w.seconds for w in self.windows.values() if w.kind is WindowKind.SLIDING), default=0
        )
        history[:] = [(t, c) for t, c in history if t > now - longest]
        velocity: dict[str, tuple[int, float]] = {}
        for name, window in self.windows.items():
            if window.kind is WindowKind.SLIDING:
                inside = [c for t, c in history if t >= now - window.seconds]
                velocity[name] = (len(inside), sum(inside) / 100)
            else:
                bucket = self.fixed[(card, name, _bucket(now, window))]
                velocity[name] = (bucket[0], bucket[1] / 100)
                bucket[0] += 1
                bucket[1] += _cents(amount_eur)
        history.append((now, _cents(amount_eur)))
        count, cents = self.low_value[card]
        first_seen, devices = None, 0
        if device:
            known = self.devices[card]
            first_seen, devices = known.get(device, 0.0), len(known)
            if device not in known and devices < MAX_DEVICES:
                known[device] = now
        return CardCounters(velocity, count, cents / 100, first_seen, devices)

    async def claim_low_value(
        self, card: str, amount_eur: float, max_count: int, max_eur: float
    ) -> bool:
        state = self.low_value[card]
        if state[0] >= max_count or state[1] + _cents(amount_eur) > _cents(max_eur):
            return False
        state[0] += 1
        state[1] += _cents(amount_eur)
        return True

    async def reset_after_sca(self, card: str) -> None:
        self.low_value.pop(card, None)

    async def peek(self, card: str, now: float) -> CardCounters:
        velocity: dict[str, tuple[int, float]] = {}
        for name, window in self.windows.items():
            if window.kind is WindowKind.SLIDING:
                inside = [c for t, c in self.seen[card] if t >= now - window.seconds]
                velocity[name] = (len(inside), sum(inside) / 100)
            else:
                count, cents = self.fixed[(card, name, _bucket(now, window))]
                velocity[name] = (count, cents / 100)
        count, cents = self.low_value[card]
        return CardCounters(velocity, count, cents / 100)

    async def forget(self, card: str, now: float) -> None:
        self.seen.pop(card, None)
        self.devices.pop(card, None)
        self.low_value.pop(card, None)
        for key in [k for k in self.fixed if k[0] == card]:
            del self.fixed[key]
