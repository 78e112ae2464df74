"""handle_areq: one AReq in, one ARes or Erro out, and a transaction record in the store.

The steps, in order: parse and validate -> find the card range and cardholder -> decide ->
conform the decision to what the AReq admits -> authentication value and ECI -> ARes -> record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog

from acs.challenge.start import open_challenge, plan_methods
from acs.crypto import authvalue
from acs.crypto.authvalue import AuthContext
from acs.flows.ares import build_ares, to_dict
from acs.flows.three_ds_method import method_record
from acs.issuer.models import ChallengeMethod
from acs.logs import mask_pan
from acs.protocol.codes import (
    ErrorCode,
    TransStatus,
)
from acs.protocol.errors import ProtocolError, TransactionIds, erro_body
from acs.protocol.ids import new_uuid
from acs.protocol.messages import AReq
from acs.protocol.validate import read_areq
from acs.risk.conform import conform, technical_reason
from acs.risk.decision import DecisionContext
from acs.services import Services
from acs.store.batch import await_all
from acs.store.store import StoreUnavailable
from acs.transactions import DecisionRecord, TransactionRecord, encode, masked_message, now

log = structlog.get_logger("acs.areq")

ACS_URL_PATH = "/3ds/challenge"


async def handle_areq(services: Services, body: bytes) -> dict[str, Any]:
    acs_trans_id = new_uuid()
    try:
        areq, encoded = read_areq(body)
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
        return await _authenticate(services, areq, encoded, acs_trans_id, bound)
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
    services: Services, areq: AReq, encoded: bytes | None, acs_trans_id: str, bound: Any
) -> dict[str, Any]:
    pan = areq.acctNumber or ""
    pan_hash = services.vault.pan_hash(pan)
    moment = dt.datetime.now(dt.UTC)
    engine = services.engine  # one engine for the whole AReq, even if rules reload meanwhile
    # independent reads, queued now: they share one round trip (see store/batch.py)
    (card_range, cardholder), counters, method = await await_all(
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
    methods: list[ChallengeMethod] = []
    if decision.status is TransStatus.CHALLENGE:
        methods = plan_methods(decision, cardholder)
        if not methods:
            adjustments.append(
                "C -> U: the cardholder has no challenge method this channel can run"
            )
            decision.status, decision.reason = TransStatus.UNABLE, technical_reason(areq.version)
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
    ares_dict = to_dict(ares)
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
        cardholder_id=cardholder.id if cardholder else None,
        areq=masked_message(areq, encoded),
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
