"""consult_issuer: the issuer's say on an AReq (a card range's ``issuer.consult``), between the
rules' decision and its fitting to the AReq. Its answer overrides the rules or, in ``strictest``
mode, tightens them; a call that fails falls back as the range's ``on_failure`` says."""

from __future__ import annotations

from typing import Any

from acs.issuer.callbacks import MethodAnswer, amount
from acs.issuer.models import CardholderRecord, CardRange, ChallengeMethod, ConsultMode, OnFailure
from acs.logs import mask_pan
from acs.protocol.codes import TransStatus, TransStatusReason
from acs.protocol.messages import AReq
from acs.risk.conform import technical_reason
from acs.risk.decision import Decision
from acs.services import Services

# how strict an outcome is, to combine the rules' decision with the issuer's (``strictest``)
_STRICTNESS = {"frictionless": 1, "challenge": 2, "decline": 3}


async def consult_issuer(
    services: Services,
    areq: AReq,
    acs_trans_id: str,
    card_range: CardRange,
    cardholder: CardholderRecord | None,
    decision: Decision,
) -> list[dict[str, Any]]:
    """The issuer's say (a card range's ``issuer.consult``): its answer overrides the rules'
    decision or, in ``strictest`` mode, tightens it; a failed call falls back as configured.
    Returns the call, for the record."""
    integration = card_range.issuer
    client = services.challenge.issuer
    if integration is None or not integration.consult or client is None:
        return []
    payload = {
        "acsTransID": acs_trans_id,
        "cardholderId": cardholder.id if cardholder else None,
        "panMasked": mask_pan(areq.acctNumber or ""),
        "messageVersion": areq.messageVersion,
        "deviceChannel": areq.deviceChannel,
        "amount": amount(areq.purchaseAmount, areq.purchaseCurrency, areq.purchaseExponent),
        "merchantName": areq.merchantName,
        "mcc": areq.mcc,
        "rule": {
            "transStatus": decision.status.value,
            "rule": decision.rule_id,
            "methods": [m.value for m in decision.challenge_methods],
        },
    }
    call = await client.call(integration, "check-authentication-method", payload, MethodAnswer)
    decision.note("issuer", **call.record())
    if call.ok:
        answer: MethodAnswer = call.answer
        strict = integration.consult_mode is ConsultMode.STRICTEST
        if not strict or _STRICTNESS[answer.decision] > _strictness(decision.status):
            why = f"the issuer: {answer.reason}"
            _apply(decision, answer.decision, answer.methods, why, areq)
    elif integration.on_failure is not OnFailure.RULES:
        why = f"the issuer did not answer ({call.error}); on_failure {integration.on_failure}"
        _apply(decision, integration.on_failure.value, [], why, areq)
    return [call.record()]


def _strictness(status: TransStatus) -> int:
    if status in (TransStatus.AUTHENTICATED, TransStatus.ATTEMPTED, TransStatus.INFORMATIONAL):
        return _STRICTNESS["frictionless"]
    if status in (TransStatus.CHALLENGE, TransStatus.DECOUPLED):
        return _STRICTNESS["challenge"]
    return _STRICTNESS["decline"]


def _apply(
    decision: Decision,
    outcome: str,
    methods: list[ChallengeMethod],
    why: str,
    areq: AReq,
) -> None:
    """The issuer's outcome (or the fallback) as the decision."""
    decision.rule_id, decision.explanation = "issuer", why
    decision.exemption = None
    if outcome == "frictionless":
        decision.status, decision.reason = TransStatus.AUTHENTICATED, None
    elif outcome == "challenge":
        decision.status, decision.reason = TransStatus.CHALLENGE, None
        if methods:
            decision.challenge_methods, decision.challenge_profile = tuple(methods), None
    elif outcome == "decline":
        decision.status, decision.reason = (
            TransStatus.NOT_AUTHENTICATED,
            TransStatusReason.SUSPECTED_FRAUD,
        )
    else:  # unavailable
        decision.status, decision.reason = TransStatus.UNABLE, technical_reason(areq.version)
