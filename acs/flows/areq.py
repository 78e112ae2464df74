"""handle_areq: one AReq in, one ARes or Erro out, and a transaction record in the store.

The steps, in order: parse and validate -> find the card range and cardholder -> decide ->
conform the decision to what the AReq admits -> authentication value and ECI -> ARes -> record.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from time import perf_counter
from typing import Any

import structlog

from acs.challenge import flow
from acs.challenge.start import (
    Opening,
    decoupled_deadline,
    open_challenge,
    open_decoupled,
)
from acs.crypto import authvalue
from acs.crypto.authvalue import AuthContext
from acs.faults import Faults, spec_text
from acs.flows.app import prepare_app_challenge
from acs.flows.ares import build_ares
from acs.flows.browser import ACS_URL_PATH
from acs.flows.consult import consult_issuer
from acs.flows.decide import decide, served_range, validated
from acs.flows.erro_record import record_erro
from acs.flows.faults import chosen, delay_ares, erro_instead, requested, spoil_ares
from acs.flows.method import method_record
from acs.flows.shadow import count as shadow_count
from acs.flows.shadow import shadow_decision
from acs.issuer.models import (
    CardRange,
)
from acs.logs import mask_pan
from acs.protocol.codes import ErrorCode, TransStatus
from acs.protocol.errors import ProtocolError, TransactionIds, erro_message
from acs.protocol.ids import new_uuid
from acs.protocol.messages import AReq, ARes, Erro
from acs.protocol.profiles import ValidationProfile
from acs.protocol.validate import ParsedAReq
from acs.risk.decision import DecisionContext
from acs.services import Services
from acs.store import qa
from acs.store.batch import await_all
from acs.store.store import StoreUnavailable
from acs.transactions import DecisionRecord, TransactionRecord, encode, masked_areq, now

log = structlog.get_logger("acs.areq")


async def handle_areq(
    services: Services,
    body: bytes,
    fault_header: str | None = None,
    parsed: ParsedAReq | None = None,
) -> ARes | Erro:
    """The answer to one AReq. Logs exactly one ``areq`` event for it (info; warning when the
    store is unavailable): IDs, masked PAN, outcome, rule and time taken. The decision trace
    goes at debug (``areq.decided``).

    ``fault_header``: the request's ``X-ACS-Fault`` (acs/faults.py). A transaction that plays
    faults may answer late, or raise ``TransportFault`` for an HTTP 500 or a dropped
    connection once it is recorded.

    ``parsed``: ``body`` already validated with its card range's profile (the DS front of
    ``serve --ds`` did), so it is not validated again."""
    started = perf_counter()
    acs_trans_id = new_uuid()
    try:
        areq, encoded, dropped = parsed or await _validated(services, body)
    except ProtocolError as err:
        erro = erro_message(err)
        log.info("areq", **_unread_event(err, erro), **_erro_outcome(err, started))
        await record_erro(services, acs_trans_id, erro, None, body)
        return erro
    event: dict[str, Any] = {
        "acsTransID": acs_trans_id,
        "threeDSServerTransID": areq.threeDSServerTransID,
        "dsTransID": areq.dsTransID,
        "pan": mask_pan(areq.acctNumber or ""),
        "messageVersion": areq.messageVersion,
        "deviceChannel": areq.deviceChannel,
        "messageCategory": areq.messageCategory,
    }
    try:
        ares, faults = await _authenticate(
            services, areq, encoded, dropped, acs_trans_id, event, fault_header
        )
    except ProtocolError as err:
        err.ids = _ids(areq, acs_trans_id)
        err.message_version = areq.messageVersion
        log.info("areq", **event, **_erro_outcome(err, started))
        erro = erro_message(err)
        await record_erro(services, acs_trans_id, erro, areq, body)
        return erro
    except StoreUnavailable as exc:
        transient = ProtocolError(
            ErrorCode.TRANSIENT_FAILURE,
            "store unavailable; retry the AReq",
            message_version=areq.messageVersion,
            ids=_ids(areq, acs_trans_id),
        )
        log.warning("areq", **event, **_erro_outcome(transient, started), error=str(exc))
        return erro_message(transient)
    event["ms"] = _ms_since(started)
    log.info("areq", **event)
    if faults is not None:  # late, or no answer at all (TransportFault)
        await delay_ares(services.settings, faults, started)
    return ares


def _ms_since(started: float) -> float:
    return round((perf_counter() - started) * 1000, 3)


def _unread_event(err: ProtocolError, erro: Erro) -> dict[str, Any]:
    """The log fields of an AReq that could not be read: what its Erro echoes."""
    return {
        "acsTransID": None,
        "threeDSServerTransID": erro.threeDSServerTransID,
        "dsTransID": erro.dsTransID,
        "pan": None,
        "messageVersion": err.message_version,
        "deviceChannel": None,
        "messageCategory": None,
    }


def _erro_outcome(err: ProtocolError, started: float) -> dict[str, Any]:
    return {
        "messageType": "Erro",
        "errorCode": err.code.value,
        "errorDetail": err.detail,
        "ms": _ms_since(started),
    }


def _cardholder_info(services: Services, areq: AReq, card_range: CardRange) -> str:
    """What the requestor shows while the cardholder approves elsewhere (at most 128 chars)."""
    t = services.renderer.texts.for_browser(areq.browserLanguage)
    return t("decoupled.cardholder_info", issuer=card_range.issuer_name)[:128]


async def _validated(services: Services, body: bytes) -> ParsedAReq:
    """The AReq validated with its card range's profile (see ``decide.validated``)."""
    return await validated(body, services.settings.validation, partial(_profile_of, services))


async def _profile_of(services: Services, pan: str) -> ValidationProfile:
    """The validation profile of the card range of ``pan``; the global one outside them."""
    directory = services.directory
    try:
        card_range, _ = await directory.lookup(pan, services.vault.pan_hash(pan))
    except StoreUnavailable:  # this node's copy of the ranges (the AReq then gets its 403)
        card_range = directory.find_range(pan)
    if card_range is None or card_range.validation is None:
        return services.settings.validation
    return card_range.validation


def _ids(areq: AReq, acs_trans_id: str) -> TransactionIds:
    return TransactionIds(
        threeDSServerTransID=areq.threeDSServerTransID,
        acsTransID=acs_trans_id,
        dsTransID=areq.dsTransID,
        sdkTransID=areq.sdkTransID,
    )


async def _authenticate(
    services: Services,
    areq: AReq,
    encoded: bytes | None,
    dropped: tuple[str, ...],
    acs_trans_id: str,
    event: dict[str, Any],
    fault_header: str | None,
) -> tuple[ARes, Faults | None]:
    """The ARes and the faults it plays; adds its outcome to ``event`` (the AReq's log
    event)."""
    asked, ignored = None, None
    if fault_header is not None or areq.messageExtension:
        asked, ignored = requested(services.settings, fault_header, areq)
    pan = areq.acctNumber or ""
    pan_hash = services.vault.pan_hash(pan)
    moment = dt.datetime.now(dt.UTC)
    engine = services.engine  # one engine for the whole AReq, even if rules reload meanwhile
    shadow = services.shadow
    # independent reads, queued now: they share one round trip (see store/batch.py)
    (card_range, cardholder), counters, method = await await_all(
        services.directory.lookup(pan, pan_hash),
        engine.observe(pan_hash, acs_trans_id, areq, moment),
        method_record(services.store, areq.threeDSServerTransID),
    )
    card_range = served_range(areq, card_range)
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
    decided = await decide(
        ctx,
        engine,
        services.directory.profiles,
        now=moment,
        dropped=dropped,
        consult=partial(consult_issuer, services, areq, acs_trans_id, card_range, cardholder),
        prepare_app=partial(prepare_app_challenge, services, areq, acs_trans_id, card_range),
    )
    shadow_record = None
    if shadow is not None:  # the draft set decides too, for the record only
        shadow_record = await shadow_decision(
            services, shadow, ctx, moment, dropped, decided.decision
        )
    decision, adjustments, plan, app = (
        decided.decision,
        decided.adjustments,
        decided.plan,
        decided.app,
    )
    faults = chosen(services, pan_hash, decision.faults, asked)
    if faults is not None:
        erro_instead(faults)
        event["faults"] = spec_text(faults)
    if ignored is not None:
        adjustments.append(ignored)
    decoupled = decision.status is TransStatus.DECOUPLED
    event["messageType"] = "ARes"
    event["transStatus"] = decision.status.value
    event["transStatusReason"] = decision.reason.value if decision.reason else None
    event["rule"] = decision.rule_id
    event["exemption"] = decision.exemption
    if adjustments:
        event["adjustments"] = adjustments
    log.debug(
        "areq.decided",
        acsTransID=acs_trans_id,
        rule=decision.rule_id,
        explanation=decision.explanation,
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
        plan.methods[0] if plan else None,
        services.settings.public_url + ACS_URL_PATH,
        app,
        _cardholder_info(services, areq, card_range) if decoupled else None,
    )
    if faults is not None:
        spoil_ares(services, ares, faults)
    stored_areq, pan_in_text = masked_areq(areq, encoded)
    decision_record = DecisionRecord(
        status=decision.status.value,
        reason=decision.reason.value if decision.reason else None,
        rule_id=decision.rule_id,
        explanation=decision.explanation,
        rules_version=engine.version,
        exemption=decision.exemption,
        adjustments=adjustments,
        trace=decision.trace,
    )
    if pan_in_text:  # a free-text field held a PAN: the trace may quote it
        decision_record.mask()
        if shadow_record is not None:
            shadow_record.mask()
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
        areq=stored_areq,
        ares=ares,
        decision=decision_record,
        authentication={**auth.evidence, "eci": auth.eci} if auth else None,
        state="challenge" if plan or decoupled else "complete",
        three_ds_method=method,
        issuer_calls=decided.issuer_calls,
        shadow=shadow_record,
        faults=spec_text(faults),
    )
    counted = shadow_count(services, decision_record, shadow_record) if shadow_record else []
    opening = Opening(areq, acs_trans_id, card_range, cardholder, pan, pan_hash, record, faults)
    if plan:
        await open_challenge(services.challenge, opening, plan, app.channel if app else None)
    elif decoupled:
        deadline = decoupled_deadline(services.challenge, areq)
        session = await open_decoupled(services.challenge, opening, deadline)
        await flow.send_push(services.challenge, session)
    ttl = services.settings.retention_seconds
    if plan or decoupled:  # the session wrote the record: list it for the QA API
        await qa.index(services.store, acs_trans_id, pan_hash, record.created_at, ttl)
    else:  # the record and its place in the QA index, in one round trip
        await qa.save_record(
            services.store, acs_trans_id, encode(record), pan_hash, record.created_at, ttl
        )
    for pending in counted:  # sent with the record's writes; awaited so no error goes unseen
        await pending
    return ares, faults
