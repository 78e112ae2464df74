"""A draft rule set evaluated beside the live one (``serve --shadow-rules``), never answering.

The live AReq's one counter update records the shadow set's own velocity windows too
(``counter_windows``), and the shadow engine decides on what that update read: it writes
nothing, no velocity entry and no low-value claim. So shadow mode costs no store round trip
and records nothing twice, and it cannot change a live answer.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from acs.risk.counters import CardCounters, StoreCounters
from acs.risk.engine import RuleEngine
from acs.risk.loader import LoadedRules, RuleLoadError
from acs.risk.model import Window
from acs.store.store import Store

LOW_VALUE_AVAILABLE = "exemption.low_value.available"


class ReadOnlyCounters:
    """Counters for an engine that must not record: every decision is handed the counters read
    for the live one (``DecisionContext.counters``), and an exemption claim takes nothing (the
    availability was already checked against those counters)."""

    def __init__(self, store_counters: StoreCounters) -> None:
        self._store = store_counters

    def observe(
        self,
        card: str,
        txn_id: str,
        now: float,
        amount_eur: float | None,
        device: str | None = None,
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
    same_policy: bool  # as the live set's: the live decision's field values serve it too

    @classmethod
    def build(cls, store: Store, rules: LoadedRules, live: LoadedRules) -> ShadowRules:
        counter_windows(live, rules)  # refuses a window the two sets define differently
        counters = StoreCounters(store, rules.policy.velocity)
        engine = rules.engine(ReadOnlyCounters(counters))
        return cls(rules, engine, rules.policy == live.policy)

    def known(self, live: dict[str, Any] | None) -> dict[str, Any] | None:
        """What the shadow set may take from the live decision's field values: all of them
        with the same policy, but the low-value availability (the live claim may have set it)."""
        if not self.same_policy or not live:
            return None
        return {k: v for k, v in live.items() if k != LOW_VALUE_AVAILABLE}


def counter_windows(live: LoadedRules, shadow: LoadedRules | None) -> dict[str, Window]:
    """The velocity windows the live AReq records: the live set's, and the shadow set's own,
    so that one observe per AReq (one round trip, one entry) serves both sets."""
    windows = dict(live.policy.velocity)
    if shadow is None:
        return windows
    for name, window in shadow.policy.velocity.items():
        if name in windows and windows[name] != window:
            raise RuleLoadError(
                shadow.source,
                f"policy.velocity.{name}",
                f"the shadow set's window {name!r} ({window.seconds} s, {window.kind}) differs "
                f"from the live set's ({windows[name].seconds} s, {windows[name].kind}); give "
                "it another name",
            )
        windows[name] = window
    return windows
