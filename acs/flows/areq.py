"""handle_areq: one AReq in, one ARes or Erro out, and a transaction record in the store.

The steps, in order: parse and validate -> find the card range and cardholder -> decide ->
conform the decision to what the AReq admits -> authentication value and ECI -> ARes -> record.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
import uuid
from typing import Any

import msgspec
import structlog

from acs.challenge.methods import BROWSER_READY, WIRE
from acs.challenge.session import Session
from acs.challenge.timers import TimerKind
from acs.crypto import authvalue
from acs.crypto.authvalue import AuthContext
from acs.flows.three_ds_method import method_record
from acs.issuer.models import CardholderRecord, CardRange, ChallengeMethod
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
from acs.store import keys
from acs.store.store import StoreUnavailable
from acs.transactions import DecisionRecord, TransactionRecord, encode, masked_message, now

log = structlog.get_logger("acs.areq")

ACS_URL_PATH = "/3ds/challenge"

# Channels with a challenge flow. The app channel arrives with its own issue; until then a
# challenge there cannot be honoured and the ACS says so (U, technical issue).
CHALLENGE_CHANNELS: frozenset[DeviceChannel] = frozenset({DeviceChannel.BROWSER})

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
    (card_range, cardholder), counters, method = await asyncio.gather(
        services.directory.lookup(pan, pan_hash),
        engine.observe(pan_hash, acs_trans_id, areq, moment),
        method_record(services.store, areq.threeDSServerTransID),
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
        areq,
        pan,
        pan_hash,
        card_range,
        cardholder,
        trans_id=acs_trans_id,
        counters=counters,
        method_completed=True if method else None,  # else the AReq's threeDSCompInd says
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

    methods: list[ChallengeMethod] = []
    if decision.status is TransStatus.CHALLENGE:
        methods = plan_methods(decision, cardholder)
        if not methods:
            adjustments.append(
                "C -> U: the cardholder has no challenge method this channel can run"
            )
            decision.status, decision.reason = TransStatus.UNABLE, _technical_reason(areq)
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
    ares = build_ares(
        areq,
        acs_trans_id,
        card_range,
        decision,
        auth,
        cardholder,
        methods[0] if methods else None,
        services.settings.public_url + ACS_URL_PATH,
    )
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
        state="challenge" if methods else "complete",
        three_ds_method=method,
    )
    if methods:
        await open_challenge(
            services, areq, acs_trans_id, card_range, cardholder, pan, pan_hash, methods, record
        )
    else:
        await services.store.save_txn(
            acs_trans_id, encode(record), services.settings.retention_seconds
        )
    bound.info("ares.sent", transStatus=decision.status.value)
    return ares_dict


def plan_methods(decision: Decision, cardholder: CardholderRecord | None) -> list[ChallengeMethod]:
    """The rule's preferred methods that this channel can run and the cardholder is enrolled in,
    else any method the cardholder has that the channel can run."""
    if cardholder is None:
        return []
    enrolled = set(cardholder.methods)
    preferred = [m for m in decision.challenge_methods if m in BROWSER_READY and m in enrolled]
    return preferred or [m for m in BROWSER_READY if m in enrolled]


def _technical_reason(areq: AReq) -> TransStatusReason:
    if areq.version.at_least_2_2:
        return TransStatusReason.ACS_TECHNICAL_ISSUE
    return TransStatusReason.INVALID_TRANSACTION


async def open_challenge(
    services: Services,
    areq: AReq,
    acs_trans_id: str,
    card_range: CardRange,
    cardholder: CardholderRecord | None,
    pan: str,
    pan_hash: str,
    methods: list[ChallengeMethod],
    record: TransactionRecord,
) -> None:
    """Keep the challenge session in the store and start the first-CReq timer."""
    created = time.time()
    deadline = created + services.settings.timers.first_creq_seconds
    session = Session(
        acs_trans_id=acs_trans_id,
        three_ds_server_trans_id=areq.threeDSServerTransID or "",
        ds_trans_id=areq.dsTransID or "",
        message_version=areq.messageVersion or "",
        device_channel=areq.deviceChannel or "",
        message_category=areq.messageCategory or "",
        card_range_id=card_range.id,
        scheme=card_range.scheme.value,
        pan_hash=pan_hash,
        pan_enc=record.pan_enc,
        pan_masked=record.pan_masked,
        methods=methods,
        created_at=created,
        creq_deadline=deadline,
        sdk_trans_id=areq.sdkTransID,
        ds_url=areq.dsURL,
        notification_url=areq.notificationURL,
        cardholder_id=cardholder.id if cardholder else None,
        merchant_name=areq.merchantName,
        purchase_amount=areq.purchaseAmount,
        purchase_currency=areq.purchaseCurrency,
        purchase_exponent=areq.purchaseExponent,
        browser_language=areq.browserLanguage,
        challenge_indicators=[c.value for c in areq.challenge_indicators],
        scenario_codes=services.is_catalog_card(pan),
        trust_requested=ChallengeInd.CHALLENGE_TRUST_LIST_PROMPT in areq.challenge_indicators,
    )
    session.log("ares", methods=[m.value for m in methods])
    # the timer first: if this node dies before the session is written, the timer finds nothing
    await services.timers.schedule(TimerKind.FIRST_CREQ, acs_trans_id, deadline)
    await services.sessions.create(
        session, keys.txn(acs_trans_id), encode(record), services.settings.retention_seconds
    )


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
    method: ChallengeMethod | None = None,
    acs_url: str = "",
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
    if decision.status is TransStatus.CHALLENGE and method is not None:
        auth_type, auth_method = WIRE[method]
        if areq.version is MessageVersion.V2_3_1:
            fields["authenticationMethod"] = [auth_method.value]
        else:
            fields["authenticationType"] = auth_type.value
        if areq.channel is DeviceChannel.BROWSER:
            fields["acsURL"] = acs_url
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
