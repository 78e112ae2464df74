"""A draft rule set evaluated beside the live one (``serve --shadow-rules``), never answering.

The shadow engine reads the counters the live AReq already read (or, when its velocity windows
differ, a read-only peek queued in the same round trip) and writes nothing: no velocity entry,
no low-value claim. So shadow mode costs no store round trip and cannot change a live answer.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass

from acs.risk.counters import CardCounters, StoreCounters
from acs.risk.engine import RuleEngine
from acs.risk.loader import LoadedRules
from acs.store.store import Store


class ReadOnlyCounters:
    """Counters for an engine that must not record: every decision is handed the counters read
    for the live one (``DecisionContext.counters``), and an exemption claim takes nothing (the
    availability was already checked against those counters)."""

    def __init__(self, store_counters: StoreCounters) -> None:
        self._store = store_counters

    def observe(
        self, card: str, txn_id: str, now: float, amount_eur: float | None
    ) -> Awaitable[CardCounters]:
        return self._store.peek_queued(card, now)  # only if a caller gave no counters

    async def claim_low_value(
        self, card: str, amount_eur: float, max_count: int, max_eur: float
    ) -> bool:
        return True

    async def reset_after_sca(self, card: str) -> None:
        return None

    async def peek(self, card: str, now: float) -> CardCounters:
        return await self._store.peek(card, now)

    async def forget(self, card: str, now: float) -> None:
        return None


@dataclass(frozen=True, slots=True)
class ShadowRules:
    rules: LoadedRules
    engine: RuleEngine
    counters: StoreCounters  # to peek windows the live policy does not keep
    own_windows: bool  # its velocity windows differ from the live ones: peek them

    @classmethod
    def build(cls, store: Store, rules: LoadedRules, live: LoadedRules) -> ShadowRules:
        counters = StoreCounters(store, rules.policy.velocity)
        return cls(
            rules,
            rules.engine(ReadOnlyCounters(counters)),
            counters,
            rules.policy.velocity != live.policy.velocity,
        )

    def read(self, pan_hash: str, now: float) -> Awaitable[CardCounters] | None:
        """The counters the shadow set needs beyond the live ones, queued now (None: the live
        AReq's counters serve). Call it before the live ``observe`` so it sees the same state."""
        return self.counters.peek_queued(pan_hash, now) if self.own_windows else None
