"""The rule engine: ordered rule sets, first-match or score mode, indexed, with a trace.

Evaluation runs the compiled closures only; the trace re-reads the conditions of the rule that
fired (and of scoring rules that matched) from the same cached facts, so explaining costs nothing
on rules that did not matter.

First-match sets are indexed: the string field most rules pin with ``eq``/``in`` at their top
level (a card suffix, an MCC...) maps each value to the rules that can match it, so a set of
1,000 such rules costs a dictionary lookup plus the few rules that fit, not 1,000 tests.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Collection
from dataclasses import dataclass
from typing import Any

import msgspec

from acs.protocol.codes import TransStatus
from acs.protocol.messages import AReq
from acs.risk.compiler import (
    Group,
    Leaf,
    Node,
    Op,
    compile_when,
    explain,
    fields_used,
    first_failure,
    tree,
)
from acs.risk.counters import CardCounters, Counters
from acs.risk.decision import Decision, DecisionContext
from acs.risk.exemptions import low_value_limits
from acs.risk.fields import REGISTRY, Facts, FieldType, RiskInput, amount_eur, device_id
from acs.risk.model import Exemption, Mode, Policy, Rule, RuleSet, Then


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    node: Node | None
    set_name: str
    position: int  # in evaluation order (priority, then file order)
    index: int = 0  # in the file: rules[index]

    def matches(self, facts: Facts) -> bool:
        return self.node is None or self.node.test(facts)


class Outcome(msgspec.Struct, frozen=True):  # a Struct: built per AReq, cheaply
    then: Then
    set_name: str
    rule_id: str
    description: str
    matched: list[CompiledRule]
    evaluated: int
    score: float | None = None


class CompiledSet:
    def __init__(
        self, rule_set: RuleSet, source: str, windows: Collection[str] | None = None
    ) -> None:
        self.name = rule_set.name
        self.mode = rule_set.mode
        self.source = source
        self.thresholds = sorted(rule_set.thresholds, key=lambda t: -t.min_score)
        ordered = sorted(enumerate(rule_set.rules), key=lambda p: (-p[1].priority, p[0]))
        self.rules = [
            CompiledRule(
                rule, compile_when(rule.when, f"rules[{i}].when", windows), self.name, pos, i
            )
            for pos, (i, rule) in enumerate(ordered)
        ]
        self.index_field, self._by_value, self._rest = _build_index(self.rules)

    def candidates(self, facts: Facts) -> list[CompiledRule]:
        if self.index_field is None:
            return self.rules
        value = facts.get(self.index_field)
        return self._by_value.get(value, self._rest) if isinstance(value, str) else self._rest

    def evaluate(self, facts: Facts) -> Outcome | None:
        if self.mode is Mode.FIRST_MATCH:
            for evaluated, rule in enumerate(self.candidates(facts), start=1):
                node = rule.node  # inlined ``rule.matches``: this loop is the hot path
                if node is None or node.test(facts):
                    return Outcome(
                        rule.rule.then,
                        self.name,
                        rule.rule.id,
                        rule.rule.description,
                        [rule],
                        evaluated,
                    )
            return None
        matched = [r for r in self.rules if r.matches(facts)]
        total = sum(r.rule.then.score for r in matched)
        for threshold in self.thresholds:
            if total >= threshold.min_score:
                rule_id = f"{self.name}:score>={threshold.min_score:g}"
                return Outcome(
                    threshold.then,
                    self.name,
                    rule_id,
                    f"score {total:g}",
                    matched,
                    len(self.rules),
                    total,
                )
        return None


def _pins(node: Node | None) -> dict[str, frozenset[str]]:
    """Per string field: the values the rule needs it to have (its top-level eq/in leaves)."""
    leaves: tuple[Node, ...] = ()
    if isinstance(node, Leaf):
        leaves = (node,)
    elif isinstance(node, Group) and node.kind == "all":
        leaves = node.children
    pins: dict[str, frozenset[str]] = {}
    for leaf in leaves:
        if isinstance(leaf, Leaf) and REGISTRY[leaf.field].type is FieldType.STRING:
            if leaf.op is Op.EQ:
                pins.setdefault(leaf.field, frozenset([leaf.value]))
            elif leaf.op is Op.IN:
                pins.setdefault(leaf.field, leaf.value)
    return pins


def _build_index(
    rules: list[CompiledRule],
) -> tuple[str | None, dict[str, list[CompiledRule]], list[CompiledRule]]:
    pins = [(_pins(r.node), r) for r in rules]
    counts = Counter(f for p, _ in pins for f in p)
    distinct: dict[str, set[str]] = {}
    for pinned, _ in pins:
        for f, values in pinned.items():
            distinct.setdefault(f, set()).update(values)
    if not counts or counts.most_common(1)[0][1] < 4:  # too few rules to be worth it
        return None, {}, rules
    # the most useful key pins many rules to many different values (a suffix beats a shared BIN)
    field = max(counts, key=lambda f: (counts[f] * len(distinct[f]), f))
    rest = [r for p, r in pins if field not in p]
    by_value: dict[str, list[CompiledRule]] = {}
    for pinned, rule in pins:
        for value in pinned.get(field, ()):
            by_value.setdefault(value, []).append(rule)
    merged = {v: sorted(rs + rest, key=lambda r: r.position) for v, rs in by_value.items()}
    return field, merged, rest


class RuleEngine:
    """The DecisionEngine behind ``--rules``: counters, rule sets, exemption claims, trace."""

    def __init__(
        self,
        sets: list[CompiledSet],
        policy: Policy,
        counters: Counters,
        version: str,
        source: str,
    ) -> None:
        self.sets = sets
        self.policy = policy
        self._counters = counters
        self._version = version
        self.source = source

    @property
    def version(self) -> str:
        return self._version

    @property
    def counters(self) -> Counters:
        return self._counters

    @property
    def description(self) -> str:
        names = ", ".join(f"{s.name} ({len(s.rules)} {s.mode.value})" for s in self.sets)
        return f"rule sets {names}; version {self._version}"

    def fields(self) -> set[str]:
        return set().union(*(fields_used(r.node) for s in self.sets for r in s.rules))

    def evaluate(self, facts: Facts) -> Outcome | None:
        for rule_set in self.sets:
            outcome = rule_set.evaluate(facts)
            if outcome is not None and outcome.then.status is not None:
                return outcome
        return None

    async def decide(
        self,
        ctx: DecisionContext,
        *,
        now: dt.datetime | None = None,
        trace: bool = True,
        explain: bool = False,
    ) -> Decision:
        moment = now or dt.datetime.now(dt.UTC)
        risk_input = RiskInput(
            areq=ctx.areq,
            pan=ctx.pan,
            card_range=ctx.card_range,
            cardholder=ctx.cardholder,
            counters=ctx.counters
            or await self.observe(ctx.pan_hash, ctx.trans_id, ctx.areq, moment),
            policy=self.policy,
            now=moment,
            method_completed=ctx.method_completed,
            overrides=dict(ctx.known) if ctx.known else {},
        )
        facts = Facts(risk_input)
        outcome = self.evaluate(facts)
        claim_note: dict[str, Any] | None = None
        if outcome is not None and outcome.then.exemption is Exemption.LOW_VALUE:
            claimed, claim_note = await self._claim_low_value(ctx, facts)
            if not claimed:  # another AReq for this card took the last one: decide again without it
                risk_input.overrides["exemption.low_value.available"] = False
                facts = Facts(risk_input)
                outcome = self.evaluate(facts)
        decision = self._decision(outcome, facts, trace)
        decision.values = facts.cache
        if explain:
            decision.note("tried", rules=self.tried(facts, outcome))
        if claim_note:
            decision.note("exemption-claim", **claim_note)
        return decision

    def tried(self, facts: Facts, outcome: Outcome | None) -> list[dict[str, Any]]:
        """Every rule tried, in order, up to the decision: why each one missed (its first
        failing condition), and the one that fired with every condition as a tree. Score sets
        try every rule; a set that reached no decision hands over to the next."""
        rows: list[dict[str, Any]] = []
        for rule_set in self.sets:
            fired = outcome is not None and outcome.set_name == rule_set.name
            for rule in rule_set.rules:  # all of them: the index only skips sure misses
                row: dict[str, Any] = {
                    "set": rule_set.name,
                    "rule": rule.rule.id,
                    "matched": rule.matches(facts),
                }
                if rule_set.mode is Mode.SCORE:
                    row["score"] = rule.rule.then.score
                if rule.node is None:
                    row["when"] = "always"
                elif row["matched"]:
                    row["when"] = tree(rule.node, facts)
                else:
                    row["missed"] = first_failure(rule.node, facts)
                rows.append(row)
                if fired and rule_set.mode is Mode.FIRST_MATCH and row["matched"]:
                    return rows
            if fired:
                return rows
        return rows

    def observe(
        self, pan_hash: str, trans_id: str, areq: AReq, now: dt.datetime
    ) -> Awaitable[CardCounters]:
        eur = amount_eur(areq, self.policy)
        return self._counters.observe(pan_hash, trans_id, now.timestamp(), eur, device_id(areq))

    async def _claim_low_value(
        self, ctx: DecisionContext, facts: Facts
    ) -> tuple[bool, dict[str, Any]]:
        limits = low_value_limits(facts.input)
        amount = facts.get("amount.eur")
        if limits is None or amount is None:
            return False, {"exemption": "low_value", "claimed": False, "why": "no EUR amount"}
        won = await self._counters.claim_low_value(
            ctx.pan_hash, amount, limits.max_count, limits.max_cumulative_eur
        )
        return won, {
            "exemption": "low_value",
            "claimed": won,
            "amount_eur": amount,
            "max_count": limits.max_count,
            "max_cumulative_eur": round(limits.max_cumulative_eur, 2),
        }

    def _decision(self, outcome: Outcome | None, facts: Facts, trace: bool) -> Decision:
        if outcome is None:
            decision = Decision(
                status=TransStatus.UNABLE,
                reason=None,
                rule_id="no-rule-matched",
                explanation="no rule in any set matched; add a catch-all rule at the end",
            )
            decision.note("no-match", counters=_counters_read(facts))
            return decision
        then = outcome.then
        assert then.status is not None
        decision = Decision(
            status=then.status,
            reason=then.reason,
            rule_id=outcome.rule_id,
            explanation=outcome.description,
            challenge_methods=tuple(then.methods),
            challenge_choice=then.choose,
            challenge_profile=then.profile,
            app_ui=then.app_ui,
            exemption=then.exemption.value if then.exemption else None,
            faults=then.faults,
        )
        if not trace:  # backtests count outcomes; they do not read explanations
            return decision
        decision.note(
            "rule",
            set=outcome.set_name,
            rule=outcome.rule_id,
            rules_evaluated=outcome.evaluated,
            score=outcome.score,
            conditions=[
                {
                    "rule": r.rule.id,
                    "score": r.rule.then.score,
                    "checks": explain(r.node, facts) if r.node else [],
                }
                for r in outcome.matched
            ],
        )
        decision.note(
            "exemption",
            considered=then.exemption.value if then.exemption else None,
            low_value_available=facts.get("exemption.low_value.available"),
            tra_eligible=facts.get("exemption.tra.eligible"),
        )
        decision.note("counters", **_counters_read(facts))
        return decision


def _counters_read(facts: Facts) -> dict[str, Any]:
    """The card's counters as the decision read them (for traces)."""
    counters = facts.input.counters
    return {
        "velocity": {k: {"count": c, "amount_eur": a} for k, (c, a) in counters.velocity.items()},
        "low_value": {
            "count": counters.low_value_count,
            "cumulative_eur": counters.low_value_eur,
        },
    }
