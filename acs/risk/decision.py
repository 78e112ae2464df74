"""The decision interface: whatever decides (test-card catalog, YAML rules) plugs in here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from acs.faults import Faults
from acs.issuer.models import AppUi, CardholderRecord, CardRange, ChallengeMethod
from acs.protocol.codes import TransStatus, TransStatusReason
from acs.protocol.messages import AReq
from acs.risk.counters import CardCounters, Counters


class DecisionContext(msgspec.Struct, frozen=True):  # a Struct: built per AReq, cheaply
    areq: AReq
    pan: str  # clear, in memory only: never logged or stored
    pan_hash: str
    card_range: CardRange
    cardholder: CardholderRecord | None
    trans_id: str = ""  # acsTransID: names this AReq in the velocity counters
    method_completed: bool | None = None  # None: take the AReq's threeDSCompInd
    counters: CardCounters | None = None  # read ahead by observe(); None: decide() reads them
    # field values already worked out for this AReq with the same policy (a shadow set reuses
    # the live decision's: ``Decision.values``), so they are not read twice
    known: dict[str, Any] | None = None


@dataclass(slots=True)
class Decision:
    status: TransStatus
    reason: TransStatusReason | None
    rule_id: str
    explanation: str
    challenge_methods: tuple[ChallengeMethod, ...] = ()
    challenge_choice: bool = False  # the cardholder picks one of challenge_methods
    challenge_profile: str | None = None  # a named sequence of factors, instead of the above
    app_ui: AppUi | None = None
    exemption: str | None = None
    trace: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, Any] | None = None  # the field values the rules read (Facts' cache)
    faults: Faults | None = None  # the rule's then.fault (acs/faults.py)

    def note(self, step: str, **details: Any) -> None:
        self.trace.append({"step": step, **details})


class DecisionEngine(Protocol):
    @property
    def version(self) -> str:
        """Identifies the active rule set (a content hash); recorded with each transaction."""
        ...

    @property
    def description(self) -> str: ...

    @property
    def counters(self) -> Counters:
        """The per-card counters this engine reads (a successful SCA resets some of them)."""
        ...

    def observe(
        self, pan_hash: str, trans_id: str, areq: AReq, now: dt.datetime
    ) -> Awaitable[CardCounters]:
        """Record this AReq in the card's counters and return them as they were before it.
        Queued at the call (see store/batch.py), so it can share a round trip."""
        ...

    async def decide(
        self,
        ctx: DecisionContext,
        *,
        now: dt.datetime | None = None,
        trace: bool = True,
        explain: bool = False,
    ) -> Decision:
        """``trace``: note the rule that fired, its conditions and the counters read;
        ``explain``: also every rule tried before it and why it missed (``acs rules explain``)."""
        ...
