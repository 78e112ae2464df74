"""What an offline decision gives the tools (``acs rules test``, ``explain``, ``backtest``).

The decider itself is ``acs.flows.offline.OfflineDecider``: it runs the live pipeline
(``flows/decide.py``), which plans challenges and so sits above this package. Backtests and
test cases here depend only on the ``Decider`` protocol below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from acs.risk.counters import CardCounters, MemoryCounters


@dataclass(slots=True)
class OfflineResult:
    ok: bool  # an ARes; else the Erro's code and detail
    status: str | None = None
    reason: str | None = None
    rule: str | None = None
    exemption: str | None = None
    adjustments: list[str] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)
    error_code: str | None = None
    error_detail: str | None = None
    amount_eur: float | None = None
    pan_masked: str | None = None
    trans_id: str | None = None
    methods: list[str] = field(default_factory=list)  # the challenge planned, for a C


class Decider(Protocol):
    counters: MemoryCounters

    def preset(self, pan: str, counters: CardCounters) -> None: ...

    async def decide(
        self, areq_json: bytes | dict[str, Any], *, trace: bool = True, explain: bool = False
    ) -> OfflineResult: ...


def purchase_time(purchase_date: str | None) -> dt.datetime:
    """Replays run on the transactions' own clock so that velocity windows mean the same."""
    if purchase_date:  # validated YYYYMMDDHHMMSS; slicing is 5x faster than strptime
        d = purchase_date
        return dt.datetime(
            int(d[:4]),
            int(d[4:6]),
            int(d[6:8]),
            int(d[8:10]),
            int(d[10:12]),
            int(d[12:14]),
            tzinfo=dt.UTC,
        )
    return dt.datetime.now(dt.UTC)
