"""Replay a JSONL file of AReqs through one or two rule sets, in order, counters included.

A line may carry a fraud label, ``"label": {"fraud": true}`` (left out of the AReq the rules
see), or labels may come from a side file keyed by threeDSServerTransID (``read_labels``).
With labels the tally adds fraud metrics: fraud caught (challenged or declined), fraud passed
frictionless (count and EUR), the false-positive challenge rate, and each per rule.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec

from acs.risk.offline import Decider, OfflineResult

FRICTIONLESS = frozenset("YAI")
CHALLENGE = frozenset("CD")
DECLINE = frozenset("NRU")
CAUGHT = frozenset("CDNR")  # fraud stopped: challenged, or declined outright
MAX_LISTED = 1000  # invalid lines and differences kept in full (all are counted)


class LabelError(ValueError):
    pass


class _Label(msgspec.Struct, forbid_unknown_fields=True):
    fraud: bool


class _LabelRow(msgspec.Struct):
    threeDSServerTransID: str
    fraud: bool


_decode_line = msgspec.json.decode
_encode_line = msgspec.json.encode
_decode_label = msgspec.json.Decoder(_Label).decode
_decode_label_row = msgspec.json.Decoder(_LabelRow).decode
_encode = msgspec.json.Encoder().encode


def read_labels(path: Path) -> dict[str, bool]:
    """A side file of labels keyed by threeDSServerTransID: JSONL lines
    ``{"threeDSServerTransID": "...", "fraud": true}``, or a CSV with those two columns."""
    labels: dict[str, bool] = {}
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"threeDSServerTransID", "fraud"} <= set(reader.fieldnames):
            raise LabelError(f"{path}: the CSV header must name threeDSServerTransID and fraud")
        for number, row in enumerate(reader, start=2):
            value = (row["fraud"] or "").strip().lower()
            if value not in ("true", "false", "1", "0", "yes", "no"):
                raise LabelError(f"{path}:{number}: fraud must be true or false, got {value!r}")
            labels[row["threeDSServerTransID"]] = value in ("true", "1", "yes")
        return labels
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = _decode_label_row(line)
        except msgspec.DecodeError as exc:
            raise LabelError(
                f"{path}:{number}: {exc}; each line is "
                '{"threeDSServerTransID": "...", "fraud": true|false}'
            ) from exc
        labels[entry.threeDSServerTransID] = entry.fraud
    return labels


def split_label(line: bytes) -> tuple[bytes, bool | None]:
    """The AReq without its ``label`` member, and the label's fraud flag (None: unlabelled)."""
    if b'"label"' not in line:
        return line, None
    try:
        data = _decode_line(line)
    except msgspec.DecodeError:
        return line, None  # not JSON: validation answers it with its Erro
    if not isinstance(data, dict) or "label" not in data:
        return line, None
    raw = data.pop("label")
    try:
        fraud = _decode_label(_encode_line(raw)).fraud
    except msgspec.ValidationError as exc:
        raise LabelError(f'label: {exc}; write "label": {{"fraud": true}} or false') from exc
    return _encode_line(data), fraud


@dataclass(slots=True)
class RuleStats:
    """One deciding rule's share of the traffic and of the fraud."""

    hits: int = 0
    fraud: int = 0
    genuine: int = 0
    fraud_caught: int = 0
    fraud_frictionless: int = 0
    fraud_frictionless_eur: float = 0.0
    genuine_challenged: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "fraud": self.fraud,
            "genuine": self.genuine,
            "fraud_caught": self.fraud_caught,
            "fraud_frictionless": self.fraud_frictionless,
            "fraud_frictionless_eur": round(self.fraud_frictionless_eur, 2),
            "genuine_challenged": self.genuine_challenged,
        }


@dataclass(slots=True)
class Invalid:
    line: int
    trans_id: str | None
    error_code: str | None
    error_detail: str | None


@dataclass(slots=True)
class Tally:
    total: int = 0
    invalid: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    exemptions: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    amounts: dict[str, list[float]] = field(default_factory=dict)
    invalid_lines: list[Invalid] = field(default_factory=list)
    labelled: int = 0
    by_rule: dict[str, RuleStats] = field(default_factory=dict)

    def add(self, result: OfflineResult, line: int = 0, fraud: bool | None = None) -> None:
        self.total += 1
        if not result.ok:
            self.invalid += 1
            self.errors[str(result.error_code)] += 1
            if len(self.invalid_lines) < MAX_LISTED:
                self.invalid_lines.append(
                    Invalid(line, result.trans_id, result.error_code, result.error_detail)
                )
            return
        status, rule = str(result.status), str(result.rule)
        self.outcomes[status] += 1
        self.rules[rule] += 1
        if result.exemption:
            self.exemptions[result.exemption] += 1
        if result.amount_eur is not None:
            self.amounts.setdefault(status, []).append(result.amount_eur)
        if fraud is None:
            return
        self.labelled += 1
        stats = self.by_rule.get(rule)
        if stats is None:
            stats = self.by_rule[rule] = RuleStats()
        stats.hits += 1
        if fraud:
            stats.fraud += 1
            if status in CAUGHT:
                stats.fraud_caught += 1
            elif status in FRICTIONLESS:
                stats.fraud_frictionless += 1
                stats.fraud_frictionless_eur += result.amount_eur or 0.0
        else:
            stats.genuine += 1
            if status in CHALLENGE:
                stats.genuine_challenged += 1

    def rate(self, statuses: frozenset[str]) -> float:
        decided = self.total - self.invalid
        return sum(self.outcomes[s] for s in statuses) / decided if decided else 0.0

    def fraud_metrics(self) -> dict[str, Any] | None:
        """None without labels; else the totals over every labelled transaction."""
        if not self.labelled:
            return None
        total = RuleStats()
        for stats in self.by_rule.values():
            for name in RuleStats.__slots__:
                setattr(total, name, getattr(total, name) + getattr(stats, name))
        return {
            "labelled": self.labelled,
            "fraud": total.fraud,
            "genuine": total.genuine,
            "fraud_caught": total.fraud_caught,
            "fraud_caught_rate": _ratio(total.fraud_caught, total.fraud),
            "fraud_frictionless": total.fraud_frictionless,
            "fraud_frictionless_eur": round(total.fraud_frictionless_eur, 2),
            "false_positive_challenge_rate": _ratio(total.genuine_challenged, total.genuine),
            "by_rule": {
                rule: stats.as_json()
                for rule, stats in sorted(self.by_rule.items(), key=lambda kv: -kv[1].hits)
            },
        }

    def summary(self) -> dict[str, Any]:
        data = {
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
            "invalid_lines": [msgspec.to_builtins(i) for i in self.invalid_lines],
        }
        fraud = self.fraud_metrics()
        if fraud is not None:
            data["fraud"] = fraud
        return data


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def outcome_label(result: OfflineResult) -> str:
    if not result.ok:
        return f"Erro {result.error_code}"
    return f"{result.status}/{result.reason}" if result.reason else str(result.status)


@dataclass(slots=True)
class Difference:
    line: int
    trans_id: str | None
    before: str
    after: str
    rule_before: str | None
    rule_after: str | None


@dataclass(slots=True)
class Comparison:
    """What changes from the first rule set to the second, transaction by transaction."""

    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)  # status before, after
    rule_moves: Counter[tuple[str, str]] = field(default_factory=Counter)  # rule before, after
    outcome_changed: int = 0
    rule_changed: int = 0
    differences: list[Difference] = field(default_factory=list)

    def add(self, line: int, a: OfflineResult, b: OfflineResult) -> None:
        before, after = _status(a), _status(b)
        self.transitions[before, after] += 1
        rule_a, rule_b = str(a.rule), str(b.rule)
        outcome = outcome_label(a) != outcome_label(b)
        if rule_a != rule_b:
            self.rule_changed += 1
            self.rule_moves[rule_a, rule_b] += 1
        if outcome:
            self.outcome_changed += 1
        if (outcome or rule_a != rule_b) and len(self.differences) < MAX_LISTED:
            self.differences.append(
                Difference(line, a.trans_id, outcome_label(a), outcome_label(b), a.rule, b.rule)
            )

    def as_json(self, first: Tally, second: Tally) -> dict[str, Any]:
        rules = sorted(set(first.rules) | set(second.rules))
        return {
            "outcome_changed": self.outcome_changed,
            "rule_changed": self.rule_changed,
            "transitions": [
                {"before": b, "after": a, "count": n}
                for (b, a), n in self.transitions.most_common()
            ],
            "rule_hits": [
                {
                    "rule": r,
                    "before": first.rules[r],
                    "after": second.rules[r],
                    "change": second.rules[r] - first.rules[r],
                }
                for r in sorted(rules, key=lambda r: -abs(second.rules[r] - first.rules[r]))
                if first.rules[r] != second.rules[r]
            ],
            "rule_moves": [
                {"before": b, "after": a, "count": n} for (b, a), n in self.rule_moves.most_common()
            ],
            "differences": [msgspec.to_builtins(d) for d in self.differences],
        }


def _status(result: OfflineResult) -> str:
    return str(result.status) if result.ok else "Erro"


@dataclass(slots=True)
class Backtest:
    tally: Tally
    other: Tally | None
    comparison: Comparison | None
    seconds: float

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "summary": self.tally.summary(),
            "seconds": round(self.seconds, 3),
            "transactions_per_second": round(self.tally.total / self.seconds)
            if self.seconds
            else None,
        }
        if self.other is not None and self.comparison is not None:
            data["compare"] = {
                "summary": self.other.summary(),
                **self.comparison.as_json(self.tally, self.other),
            }
        return data


def _out_line(line: int, result: OfflineResult, fraud: bool | None) -> dict[str, Any]:
    if not result.ok:
        return {
            "line": line,
            "threeDSServerTransID": result.trans_id,
            "error": {"errorCode": result.error_code, "errorDetail": result.error_detail},
        }
    row: dict[str, Any] = {
        "line": line,
        "threeDSServerTransID": result.trans_id,
        "transStatus": result.status,
        "transStatusReason": result.reason,
        "rule": result.rule,
        "exemption": result.exemption,
        "amount_eur": result.amount_eur,
    }
    if result.methods:
        row["methods"] = result.methods
    if result.adjustments:
        row["adjustments"] = result.adjustments
    if fraud is not None:
        row["fraud"] = fraud
    return row


async def run(
    lines: Iterable[bytes],
    decider: Decider,
    other: Decider | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    labels: dict[str, bool] | None = None,
    out: IO[bytes] | None = None,
) -> Backtest:
    """Replay ``lines`` (numbered from 1, blank ones skipped). ``out``: one JSON line per
    transaction (outcome, rule, exemption, reason; an invalid line's Erro), and with
    ``other`` its outcome under the second set too."""
    tally, other_tally = Tally(), Tally() if other else None
    comparison = Comparison() if other else None
    started = time.perf_counter()
    done = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line, fraud = split_label(raw)
        except LabelError as exc:
            raise LabelError(f"line {number}: {exc}") from exc
        result = await decider.decide(line, trace=False)
        if fraud is None and labels is not None and result.trans_id is not None:
            fraud = labels.get(result.trans_id)
        tally.add(result, number, fraud)
        row = _out_line(number, result, fraud) if out is not None else None
        if other is not None and other_tally is not None and comparison is not None:
            alternative = await other.decide(line, trace=False)
            other_tally.add(alternative, number, fraud)
            comparison.add(number, result, alternative)
            if row is not None:
                row["compare"] = _out_line(number, alternative, None)
        if out is not None:
            out.write(_encode(row) + b"\n")
        done += 1
        if progress and done % 100 == 0:
            progress(100)
    if progress:
        progress(done % 100)
    return Backtest(tally, other_tally, comparison, time.perf_counter() - started)
