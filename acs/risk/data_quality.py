"""The data-quality report: per 3DS Requestor (threeDSRequestorID), which risk signals its AReqs
leave out, how often, and how the decisions differ between AReqs with and without each.

It reads the transaction records (the stored AReq, PAN masked, and the decision); AReqs answered
with an Erro carry no decision and are left out. Served at ``GET /qa/data-quality`` and by
``acs report data-quality``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from acs.store import qa
from acs.store.store import Store

AReqData = dict[str, Any]
NO_REQUESTOR = "(none)"
CHALLENGED = frozenset({"C", "D"})
FRICTIONLESS = frozenset({"Y", "A", "I"})
BROWSER, APP = "02", "01"


def _all(*names: str) -> Callable[[AReqData], bool]:
    return lambda areq: all(areq.get(n) not in (None, "", [], {}) for n in names)


def _any(*names: str) -> Callable[[AReqData], bool]:
    return lambda areq: any(areq.get(n) not in (None, "", [], {}) for n in names)


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    description: str
    present: Callable[[AReqData], bool]
    channel: str | None = None  # only AReqs of this deviceChannel can carry it


SIGNALS = (
    Signal("acctInfo", "account age, changes and activity at the merchant", _all("acctInfo")),
    Signal(
        "merchantRiskIndicator",
        "shipping, delivery, reorder, pre-order and gift-card indicators",
        _all("merchantRiskIndicator"),
    ),
    Signal(
        "threeDSRequestorAuthenticationInfo",
        "how the cardholder logged in at the merchant",
        _all("threeDSRequestorAuthenticationInfo"),
    ),
    Signal(
        "threeDSRequestorPriorAuthenticationInfo",
        "an earlier 3-D Secure authentication of this cardholder",
        _all("threeDSRequestorPriorAuthenticationInfo"),
    ),
    Signal("addrMatch", "whether shipping and billing addresses match", _all("addrMatch")),
    Signal(
        "billing address",
        "billAddrLine1, billAddrCity, billAddrPostCode and billAddrCountry",
        _all("billAddrLine1", "billAddrCity", "billAddrPostCode", "billAddrCountry"),
    ),
    Signal(
        "shipping address",
        "shipAddrLine1, shipAddrCity, shipAddrPostCode and shipAddrCountry",
        _all("shipAddrLine1", "shipAddrCity", "shipAddrPostCode", "shipAddrCountry"),
    ),
    Signal("email", "the cardholder's email address", _all("email")),
    Signal(
        "phone",
        "homePhone, mobilePhone or workPhone",
        _any("homePhone", "mobilePhone", "workPhone"),
    ),
    Signal("cardholderName", "the name on the card", _all("cardholderName")),
    Signal("browserIP", "the browser's IP address", _all("browserIP"), BROWSER),
    Signal(
        "browser screen and time zone",
        "browserColorDepth, browserScreenHeight, browserScreenWidth and browserTZ",
        _all("browserColorDepth", "browserScreenHeight", "browserScreenWidth", "browserTZ"),
        BROWSER,
    ),
    Signal(
        "3DS Method",
        "the 3DS Method ran (threeDSCompInd Y)",
        lambda areq: areq.get("threeDSCompInd") == "Y",
        BROWSER,
    ),
    Signal("deviceInfo", "the 3DS SDK's device data", _all("deviceInfo"), APP),
)


@dataclass(slots=True)
class Outcomes:
    """The decisions (ARes transStatus) of a group of AReqs."""

    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    def rate(self, kinds: frozenset[str]) -> float | None:
        total = self.count
        return sum(self.statuses[k] for k in kinds) / total if total else None

    def public(self) -> dict[str, Any]:
        return {
            "transactions": self.count,
            "statuses": dict(sorted(self.statuses.items())),
            "challenge_rate": _round(self.rate(CHALLENGED)),
            "frictionless_rate": _round(self.rate(FRICTIONLESS)),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass(slots=True)
class SignalTally:
    with_: Outcomes = field(default_factory=Outcomes)
    without: Outcomes = field(default_factory=Outcomes)

    def public(self, signal: Signal) -> dict[str, Any]:
        applicable = self.with_.count + self.without.count
        omitted = self.without.count
        with_rate, without_rate = self.with_.rate(CHALLENGED), self.without.rate(CHALLENGED)
        return {
            "signal": signal.name,
            "applicable": applicable,
            "omitted": omitted,
            "omitted_rate": _round(omitted / applicable if applicable else None),
            "with": self.with_.public(),
            "without": self.without.public(),
            # how much more often an AReq without it is challenged (percentage points)
            "challenge_rate_difference": _round(
                without_rate - with_rate
                if with_rate is not None and without_rate is not None
                else None
            ),
        }


@dataclass(slots=True)
class RequestorTally:
    outcomes: Outcomes = field(default_factory=Outcomes)
    name: str | None = None
    signals: dict[str, SignalTally] = field(default_factory=lambda: defaultdict(SignalTally))


def tally(entries: Iterable[tuple[AReqData, str]]) -> dict[str, Any]:
    """The report for (AReq, decided transStatus) pairs."""
    requestors: dict[str, RequestorTally] = defaultdict(RequestorTally)
    total = 0
    for areq, status in entries:
        total += 1
        requestor_id = areq.get("threeDSRequestorID")
        key = requestor_id if isinstance(requestor_id, str) and requestor_id else NO_REQUESTOR
        found = requestors[key]
        found.outcomes.statuses[status] += 1
        name = areq.get("threeDSRequestorName")
        if isinstance(name, str):
            found.name = name
        channel = areq.get("deviceChannel")
        for signal in SIGNALS:
            if signal.channel is not None and channel != signal.channel:
                continue
            counts = found.signals[signal.name]
            (counts.with_ if signal.present(areq) else counts.without).statuses[status] += 1
    listed = sorted(requestors.items(), key=lambda item: (-item[1].outcomes.count, item[0]))
    return {
        "transactions": total,
        "signals": [
            {"signal": s.name, "description": s.description, "deviceChannel": s.channel}
            for s in SIGNALS
        ],
        "requestors": [
            {
                "threeDSRequestorID": requestor_id,
                "threeDSRequestorName": found.name,
                **found.outcomes.public(),
                "signals": [
                    found.signals[s.name].public(s) for s in SIGNALS if s.name in found.signals
                ],
            }
            for requestor_id, found in listed
        ],
    }


class _Decision(msgspec.Struct):
    status: str


class _Record(msgspec.Struct):
    """What the report reads of a transaction record (an Erro's has neither)."""

    areq: msgspec.Raw
    decision: _Decision


_read_record = msgspec.json.Decoder(_Record).decode
_read_areq = msgspec.json.Decoder(dict[str, Any]).decode


async def read(store: Store, since: float) -> list[tuple[AReqData, str]]:
    """(AReq, transStatus) of every record kept since ``since`` (the QA index: its newest
    ``qa.INDEX_CAP`` at most)."""
    found: list[tuple[AReqData, str]] = []
    offset = 0
    while True:
        ids = await qa.newest(store, since=since, offset=offset, count=qa.PAGE)
        if not ids:
            return found
        offset += len(ids)
        for raw in await qa.records(store, ids):
            if raw is None:
                continue
            try:
                record = _read_record(raw)
                areq = _read_areq(record.areq)
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue  # an Erro's record, or one this version cannot read
            found.append((areq, record.decision.status))


async def report(store: Store, since: float) -> dict[str, Any]:
    return {"since": since, **tally(await read(store, since))}
