"""Replay a JSONL file of AReqs through one or two rule sets, in order, counters included."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from acs.risk.offline import OfflineDecider, OfflineResult

FRICTIONLESS = frozenset("YAI")
CHALLENGE = frozenset("CD")
DECLINE = frozenset("NRU")


@dataclass(slots=True)
class Tally:
    total: int = 0
    invalid: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    exemptions: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    amounts: dict[str, list[float]] = field(default_factory=dict)

    def add(self, result: OfflineResult) -> None:
        self.total += 1
        if not result.ok:
            self.invalid += 1
            self.errors[str(result.error_code)] += 1
            return
        status = str(result.status)
        self.outcomes[status] += 1
        self.rules[str(result.rule)] += 1
        if result.exemption:
            self.exemptions[result.exemption] += 1
        if result.amount_eur is not None:
            self.amounts.setdefault(status, []).append(result.amount_eur)

    def rate(self, statuses: frozenset[str]) -> float:
        decided = self.total - self.invalid
        return sum(self.outcomes[s] for s in statuses) / decided if decided else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "transactions": self.total,
            "invalid": self.invalid,
            "outcomes": dict(self.outcomes.most_common()),
            "rates": {
                "frictionless": round(self.rate(FRICTIONLESS), 4),
                "challenge": round(self.rate(CHALLENGE), 4),
                "decline": round(self.rate(DECLINE), 4),
            },
            "rule_hits": dict(self.rules.most_common()),
            "exemptions": dict(self.exemptions.most_common()),
            "errors": dict(self.errors.most_common()),
        }


@dataclass(slots=True)
class Difference:
    line: int
    trans_id: str | None
    before: str
    after: str
    rule_before: str | None
    rule_after: str | None


@dataclass(slots=True)
class Backtest:
    tally: Tally
    other: Tally | None
    differences: list[Difference]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "summary": self.tally.summary(),
            "seconds": round(self.seconds, 3),
            "transactions_per_second": round(self.tally.total / self.seconds)
            if self.seconds
            else None,
        }
        if self.other is not None:
            data["compare"] = {
                "summary": self.other.summary(),
                "changed": len(self.differences),
                "differences": [msgspec.to_builtins(d) for d in self.differences],
            }
        return data


def _label(result: OfflineResult) -> str:
    if not result.ok:
        return f"Erro {result.error_code}"
    return f"{result.status}/{result.reason}" if result.reason else str(result.status)


async def run(
    lines: Iterable[bytes],
    decider: OfflineDecider,
    other: OfflineDecider | None = None,
    progress: Callable[[], None] | None = None,
) -> Backtest:
    tally, other_tally = Tally(), Tally() if other else None
    differences: list[Difference] = []
    started = time.perf_counter()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        result = await decider.decide(line, trace=False)
        tally.add(result)
        if other is not None and other_tally is not None:
            alternative = await other.decide(line, trace=False)
            other_tally.add(alternative)
            if _label(result) != _label(alternative):
                differences.append(
                    Difference(
                        number,
                        result.trans_id,
                        _label(result),
                        _label(alternative),
                        result.rule,
                        alternative.rule,
                    )
                )
        if progress:
            progress()
    return Backtest(tally, other_tally, differences, time.perf_counter() - started)
