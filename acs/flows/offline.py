"""Decisions without a server, for ``acs rules test``, ``explain`` and ``backtest``.

The same pipeline as ``POST /3ds/areq`` (``flows/decide.py``): validation with the card range's
profile, card range and version, rules, conform, challenge planning. Only the surroundings are
in memory: the issuer directory read from config/, counters in ``MemoryCounters``, and time
taken from each AReq's purchaseDate, so a replay means what it meant when it happened. Two
things the server does are not done: calling the issuer (a range with ``issuer.consult``; noted
in the trace) and building the app channel's secure channel (only the SDK's key is checked, the
part that can turn the answer into an Erro).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from acs.challenge.start import Plan
from acs.crypto.secure_channel import EphemeralKeyError, parse_public_jwk
from acs.flows.decide import decide, served_range, validated
from acs.issuer.config_files import load_issuer_config, range_for
from acs.issuer.models import (
    AppUi,
    CardholderInput,
    CardholderRecord,
    KbaQuestion,
    KbaRecord,
    slug,
)
from acs.issuer.vault import Vault
from acs.logs import mask_pan
from acs.protocol.codes import ErrorCode
from acs.protocol.errors import ProtocolError
from acs.protocol.messages import AReq
from acs.protocol.profiles import ValidationProfile
from acs.risk.counters import CardCounters, MemoryCounters
from acs.risk.decision import Decision, DecisionContext
from acs.risk.engine import RuleEngine
from acs.risk.fields import amount_eur
from acs.risk.loader import LoadedRules
from acs.risk.offline import OfflineResult, purchase_time


def decision_record(ch: CardholderInput) -> CardholderRecord:
    """What decisions and challenge planning read of a cardholder from config/ (as the
    directory stores it, less the secrets: nothing is verified offline)."""
    return CardholderRecord(
        id=ch.id or slug(f"{ch.name}-{ch.pan[-4:]}"),
        pan_hash="",
        pan_enc="",
        pan_masked=mask_pan(ch.pan),
        name=ch.name,
        mobile=ch.mobile,
        email=ch.email,
        methods=list(ch.methods),
        kba=[
            KbaRecord(k.question or "", k.answer_hash or "", KbaQuestion(k.question_id))
            if k.question_id
            else KbaRecord(k.question or "", k.answer_hash or "")
            for k in ch.kba
        ],
        passcode_hash=ch.passcode_hash or ("offline" if ch.passcode else None),
        trusted_beneficiaries=list(ch.trusted_beneficiaries),
        locale=ch.locale,
        delivery=ch.delivery,
        history=list(ch.history),
    )


class OfflineDecider:
    def __init__(
        self,
        rules: LoadedRules,
        config_dir: Path,
        validation: ValidationProfile = ValidationProfile.STRICT,
    ) -> None:
        issuer = load_issuer_config(config_dir)
        self.ranges = issuer.ranges
        self.profiles = issuer.profiles
        self.validation = validation
        self.vault = Vault.ephemeral()
        self.cardholders = {ch.pan: decision_record(ch) for ch in issuer.cardholders}
        self.counters = MemoryCounters(rules.policy.velocity)
        self.engine: RuleEngine = rules.engine(self.counters)

    def preset(self, pan: str, counters: CardCounters) -> None:
        """Start a card from a given low-value state (rule test cases use this)."""
        state = self.counters.low_value[self.vault.pan_hash(pan)]
        state[0], state[1] = counters.low_value_count, round(counters.low_value_eur * 100)

    async def _profile_of(self, pan: str) -> ValidationProfile:
        card_range = range_for(self.ranges, pan)
        return card_range.validation or self.validation if card_range else self.validation

    async def decide(
        self, areq_json: bytes | dict[str, Any], *, trace: bool = True, explain: bool = False
    ) -> OfflineResult:
        body = areq_json if isinstance(areq_json, bytes) else msgspec.json.encode(areq_json)
        areq: AReq | None = None
        try:
            areq, _encoded, dropped = await validated(body, self.validation, self._profile_of)
            pan = areq.acctNumber or ""
            card_range = served_range(areq, range_for(self.ranges, pan))
            trans_id = areq.threeDSServerTransID or str(uuid.uuid4())
            ctx = DecisionContext(
                areq,
                pan,
                self.vault.pan_hash(pan),
                card_range,
                self.cardholders.get(pan),
                trans_id=trans_id,
            )
            integration = card_range.issuer
            decided = await decide(
                ctx,
                self.engine,
                self.profiles,
                now=purchase_time(areq.purchaseDate),
                dropped=dropped,
                consult=_not_consulted if integration and integration.consult else None,
                prepare_app=_sdk_key_checker(areq),
                trace=trace,
                explain=explain,
            )
        except ProtocolError as err:
            return OfflineResult(
                False,
                error_code=err.code.value,
                error_detail=err.detail,
                trans_id=areq.threeDSServerTransID if areq else None,
            )
        decision = decided.decision
        return OfflineResult(
            True,
            status=decision.status.value,
            reason=decision.reason.value if decision.reason else None,
            rule=decision.rule_id,
            exemption=decision.exemption,
            adjustments=decided.adjustments,
            trace=decision.trace,
            amount_eur=amount_eur(areq, self.engine.policy),
            pan_masked=mask_pan(pan),
            trans_id=trans_id,
            methods=[m.value for m in decided.plan.methods] if decided.plan else [],
        )


async def _not_consulted(decision: Decision) -> list[dict[str, Any]]:
    decision.note("issuer", skipped="offline: the card range consults the issuer, not called")
    return []


def _sdk_key_checker(areq: AReq) -> Callable[[Plan, AppUi | None], None]:
    """The part of preparing an app challenge that can make the answer an Erro: the key."""

    def check(_plan: Plan, _ui: AppUi | None) -> None:
        try:
            parse_public_jwk(areq.sdkEphemPubKey)
        except EphemeralKeyError as exc:
            raise ProtocolError(ErrorCode.FORMAT_INVALID, exc.reason) from exc

    return check
