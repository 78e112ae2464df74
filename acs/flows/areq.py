"""handle_areq: one AReq in, one ARes or Erro out, and a transaction record in the store.

The steps, in order: parse and validate -> find the card range and cardholder -> decide ->
conform the decision to what the AReq admits -> authentication value and ECI -> ARes -> record.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import uuid
from typing import Any

import msgspec
import structlog

from acs.crypto import authvalue
from acs.crypto.authvalue import AuthContext
from acs.issuer.models import CardholderRecord, CardRange
from acs.logs import mask_pan
from acs.protocol.codes import (
    ChallengeInd,
    DeviceChannel,
    ErrorCode,
    MessageType,
    MessageVersion,
    TransStatus,
    TransStatusReason,
)
from acs.protocol.errors import ProtocolError, TransactionIds, erro_body
from acs.protocol.messages import AReq, ARes
from acs.protocol.status_rules import why_not
from acs.protocol.validate import parse_areq
from acs.risk.decision import Decision, DecisionContext
from acs.risk.model import Exemption
from acs.services import Services
from acs.store.store import StoreUnavailable
from acs.transactions import DecisionRecord, TransactionRecord, encode, masked_message, now

log = structlog.get_logger("acs.areq")

# Decisions that need a challenge session. The challenge flows arrive with their own issues; until a
# channel has one, a challenge there cannot be honoured and the ACS says so (U, technical issue).
CHALLENGE_CHANNELS: frozenset[DeviceChannel] = frozenset()

_DEFAULT_REASON = {
    TransStatus.NOT_AUTHENTICATED: TransStatusReason.AUTHENTICATION_FAILED,
    TransStatus.UNABLE: TransStatusReason.ACS_TECHNICAL_ISSUE,
    TransStatus.REJECTED: TransStatusReason.SUSPECTED_FRAUD,
}
_NEEDS_REASON = frozenset(_DEFAULT_REASON)


async def handle_areq(services: Services, body: bytes) -> dict[str, Any]:
    acs_trans_id = str(uuid.uuid4())
    try:
        areq = parse_areq(body)
    except ProtocolError as err:
        log.info("areq.rejected", errorCode=err.code.value, errorDetail=err.detail)
        return erro_body(err)
    bound = log.bind(
        acsTransID=acs_trans_id,
        threeDSServerTransID=areq.threeDSServerTransID,
        messageVersion=areq.messageVersion,
        deviceChannel=areq.deviceChannel,
        pan=mask_pan(areq.acctNumber or ""),
    )
    try:
        return await _authenticate(services, areq, acs_trans_id, bound)
    except ProtocolError as err:
        err.ids = _ids(areq, acs_trans_id)
        err.message_version = areq.messageVersion
        bound.info("areq.rejected", errorCode=err.code.value, errorDetail=err.detail)
        return erro_body(err)
    except StoreUnavailable as exc:
        bound.warning("areq.store_unavailable", error=str(exc))
        transient = ProtocolError(
            ErrorCode.TRANSIENT_FAILURE,
            "store unavailable; retry the AReq",
            message_version=areq.messageVersion,
            ids=_ids(areq, acs_trans_id),
        )
        return erro_body(transient)


def _ids(areq: AReq, acs_trans_id: str) -> TransactionIds:
    return TransactionIds(
        threeDSServerTransID=areq.threeDSServerTransID,
        acsTransID=acs_trans_id,
        dsTransID=areq.dsTransID,
        sdkTransID=areq.sdkTransID,
    )


async def _authenticate(
    services: Services, areq: AReq, acs_trans_id: str, bound: Any
) -> dict[str, Any]:
    pan = areq.acctNumber or ""
    pan_hash = services.vault.pan_hash(pan)
    moment = dt.datetime.now(dt.UTC)
    engine = services.engine  # one engine for the whole AReq, even if rules reload meanwhile
    # independent reads: issued together, they share one pipeline (see store/batch.py)
    (card_range, cardholder), counters = await asyncio.gather(
        services.directory.lookup(pan, pan_hash),
        engine.observe(pan_hash, acs_trans_id, areq, moment),
    )
    if card_range is None:
        raise ProtocolError(
            ErrorCode.TRANSACTION_DATA_INVALID,
            f"acctNumber: {mask_pan(pan)} is outside every card range of this ACS",
        )
    if areq.version not in card_range.versions:
        supported = ", ".join(v.value for v in card_range.versions)
        raise ProtocolError(
            ErrorCode.VERSION_NOT_SUPPORTED,
            f"messageVersion {areq.messageVersion} is not enabled for card range "
            f"{card_range.id}; supported: {supported}",
        )
    ctx = DecisionContext(
        areq, pan, pan_hash, card_range, cardholder, trans_id=acs_trans_id, counters=counters
    )
    decision = await engine.decide(ctx, now=moment)
    adjustments = conform(decision, areq)
    bound.info(
        "areq.decided",
        transStatus=decision.status.value,
        transStatusReason=decision.reason.value if decision.reason else None,
        rule=decision.rule_id,
        exemption=decision.exemption,
        adjustments=adjustments,
        trace=decision.trace,
    )

    auth = None
    if decision.status in (TransStatus.AUTHENTICATED, TransStatus.ATTEMPTED):
        auth = authvalue.generate(
            card_range.keys,
            AuthContext(
                scheme=card_range.scheme,
                pan=pan,
                status=decision.status,
                method=None,
                ds_trans_id=areq.dsTransID or "",
                merchant_name=areq.merchantName or "",
                purchase_amount=areq.purchaseAmount or "",
                purchase_currency=areq.purchaseCurrency or "",
            ),
        )
    ares = build_ares(areq, acs_trans_id, card_range, decision, auth, cardholder)
    ares_dict = _to_dict(ares)
    record = TransactionRecord(
        acsTransID=acs_trans_id,
        threeDSServerTransID=areq.threeDSServerTransID or "",
        dsTransID=areq.dsTransID or "",
        messageVersion=areq.messageVersion or "",
        deviceChannel=areq.deviceChannel or "",
        messageCategory=areq.messageCategory or "",
        created_at=now(),
        card_range_id=card_range.id,
        scheme=card_range.scheme.value,
        pan_masked=mask_pan(pan),
        pan_hash=pan_hash,
        pan_enc=services.vault.encrypt_pan(pan),
        cardholder_id=cardholder.id if cardholder else None,
        areq=masked_message(areq),
        ares=ares_dict,
        decision=DecisionRecord(
            status=decision.status.value,
            reason=decision.reason.value if decision.reason else None,
            rule_id=decision.rule_id,
            explanation=decision.explanation,
            rules_version=engine.version,
            exemption=decision.exemption,
            adjustments=adjustments,
            trace=decision.trace,
        ),
        authentication={**auth.evidence, "eci": auth.eci} if auth else None,
    )
    await services.store.save_txn(acs_trans_id, encode(record), services.settings.retention_seconds)
    bound.info("ares.sent", transStatus=decision.status.value)
    return ares_dict


def conform(
    decision: Decision,
    areq: AReq,
    challenge_channels: frozenset[DeviceChannel] = CHALLENGE_CHANNELS,
) -> list[str]:
    """Bend a decision to the transStatus rules of this AReq; returns what changed and why.

    ``challenge_channels``: where this ACS can run a challenge (backtests pass every channel, to
    show what the rules ask for rather than what this build can deliver)."""
    changes: list[str] = []

    def change(status: TransStatus, reason: TransStatusReason | None, why: str) -> None:
        changes.append(f"{decision.status.value} -> {status.value}: {why}")
        decision.status, decision.reason = status, reason

    if decision.status is TransStatus.DECOUPLED and why_not(decision.status, areq):
        change(TransStatus.CHALLENGE, None, str(why_not(decision.status, areq)))
    if decision.status in (TransStatus.CHALLENGE, TransStatus.DECOUPLED):
        forbidden = why_not(decision.status, areq)
        if forbidden and areq.channel is DeviceChannel.THREE_RI:
            change(
                TransStatus.NOT_AUTHENTICATED, TransStatusReason.THREE_RI_NOT_SUPPORTED, forbidden
            )
        elif forbidden and not why_not(TransStatus.INFORMATIONAL, areq):
            change(TransStatus.INFORMATIONAL, None, forbidden)
        elif forbidden:
            change(TransStatus.NOT_AUTHENTICATED, TransStatusReason.INVALID_TRANSACTION, forbidden)
        elif areq.channel not in challenge_channels:
            change(
                TransStatus.UNABLE,
                TransStatusReason.ACS_TECHNICAL_ISSUE,
                f"no challenge flow for deviceChannel {areq.deviceChannel} in this ACS build",
            )
    if why_not(decision.status, areq):
        change(
            TransStatus.NOT_AUTHENTICATED,
            TransStatusReason.INVALID_TRANSACTION,
            str(why_not(decision.status, areq)),
        )
    if decision.status in _NEEDS_REASON and decision.reason is None:
        decision.reason = _DEFAULT_REASON[decision.status]
        changes.append(
            f"transStatusReason {decision.reason.value}: default for {decision.status.value}"
        )
    if decision.status not in _NEEDS_REASON:
        decision.reason = None
    if decision.reason and not decision.reason.allowed_in(areq.version):
        changes.append(
            f"transStatusReason {decision.reason.value} -> 07: not defined in {areq.messageVersion}"
        )
        decision.reason = TransStatusReason.INVALID_TRANSACTION
    return changes


def build_ares(
    areq: AReq,
    acs_trans_id: str,
    card_range: CardRange,
    decision: Decision,
    auth: authvalue.AuthValue | None,
    cardholder: CardholderRecord | None = None,
) -> ARes:
    fields: dict[str, Any] = {
        "messageType": MessageType.ARES.value,
        "messageVersion": areq.messageVersion,
        "threeDSServerTransID": areq.threeDSServerTransID,
        "acsTransID": acs_trans_id,
        "dsTransID": areq.dsTransID,
        "dsReferenceNumber": areq.dsReferenceNumber,
        "acsReferenceNumber": card_range.acs_reference_number,
        "transStatus": decision.status.value,
    }
    if card_range.acs_operator_id:
        fields["acsOperatorID"] = card_range.acs_operator_id
    if areq.channel is DeviceChannel.APP:
        fields["sdkTransID"] = areq.sdkTransID
        if areq.version is MessageVersion.V2_3_1:
            fields["threeDSRequestorAppURLInd"] = "N"
            fields["deviceInfoRecognisedVersion"] = _device_info_version(areq.deviceInfo)
    if decision.reason is not None:
        fields["transStatusReason"] = decision.reason.value
    if auth is not None:
        fields["authenticationValue"] = auth.value
        fields["eci"] = auth.eci
    exemption = Exemption(decision.exemption) if decision.exemption else None
    if areq.version is MessageVersion.V2_3_1 and exemption and exemption.ares_code:
        fields["transChallengeExemption"] = exemption.ares_code.value
    fields.update(_trust_list_status(areq, cardholder))
    if decision.status in (TransStatus.CHALLENGE, TransStatus.DECOUPLED):
        mandated = ChallengeInd.CHALLENGE_MANDATED in areq.challenge_indicators
        fields["acsChallengeMandated"] = "Y" if mandated else "N"
    return ARes(**fields)


_TRUST_INDICATORS = frozenset(
    {ChallengeInd.NO_CHALLENGE_TRUST_LIST_EXEMPTION, ChallengeInd.CHALLENGE_TRUST_LIST_PROMPT}
)


def _trust_list_status(areq: AReq, cardholder: CardholderRecord | None) -> dict[str, str]:
    """When the requestor asks about the trust list (2.2 whiteList*, 2.3 trustList*), say whether
    the merchant is on this cardholder's list; source 03 means the ACS."""
    if areq.version is MessageVersion.V2_1_0:
        return {}
    asked = (areq.whiteListStatus or areq.trustListStatus) or _TRUST_INDICATORS & set(
        areq.challenge_indicators
    )
    if not asked:
        return {}
    trusted = cardholder is not None and bool(
        {areq.merchantName, areq.acquirerMerchantID} & set(cardholder.trusted_beneficiaries)
    )
    name = "trustListStatus" if areq.version is MessageVersion.V2_3_1 else "whiteListStatus"
    return {name: "Y" if trusted else "N", f"{name}Source": "03"}


def _device_info_version(device_info: str | None) -> str:
    """The deviceInfo data version (DV) the ACS recognised; validation already decoded it once."""
    if not device_info:
        return "1.0"
    try:
        padded = device_info + "=" * (-len(device_info) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded)).get("DV", "1.0")
        return str(value)
    except (ValueError, AttributeError):
        return "1.0"


def _to_dict(ares: ARes) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(ares)
    return data
