"""Forced outcomes: the magic-card model. Each catalog PAN yields its documented outcome.

Cards outside the catalog: an unknown cardholder is not enrolled (N/13); an enrolled one is
authenticated frictionlessly (Y). The YAML risk engine replaces this behind the same interface.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from acs.issuer.models import TestCard
from acs.protocol.codes import TransStatus, TransStatusReason
from acs.risk.decision import Decision, DecisionContext


class ForcedOutcomeEngine:
    def __init__(self, catalog: list[TestCard], pan_hash: Callable[[str], str]) -> None:
        # keyed by PAN hash so the clear catalog PANs are not kept around on the request path
        self._by_hash = {pan_hash(c.acctNumber): c for c in catalog}
        digest = hashlib.sha256("\n".join(sorted(c.scenario for c in catalog)).encode())
        self._version = f"catalog-{digest.hexdigest()[:12]}"

    @property
    def version(self) -> str:
        return self._version

    @property
    def description(self) -> str:
        return f"forced outcomes from the test-card catalog ({len(self._by_hash)} cards)"

    async def decide(self, ctx: DecisionContext) -> Decision:
        card = self._by_hash.get(ctx.pan_hash)
        if card is not None:
            decision = Decision(
                status=card.expected.transStatus,
                reason=card.expected.transStatusReason,
                rule_id=f"test-card:{card.scenario}",
                explanation=card.description,
            )
            decision.note("catalog", scenario=card.scenario)
            return decision
        if ctx.cardholder is None:
            return Decision(
                status=TransStatus.NOT_AUTHENTICATED,
                reason=TransStatusReason.NOT_ENROLLED,
                rule_id="default:not-enrolled",
                explanation="PAN is in a card range but no cardholder is enrolled",
            )
        return Decision(
            status=TransStatus.AUTHENTICATED,
            reason=None,
            rule_id="default:frictionless",
            explanation="enrolled cardholder, no forced outcome: frictionless",
        )
