"""The QA API's verbs, HTTP-free: finish a pending challenge as the cardholder would
(``complete_challenge``) and list the transaction records (``list_transactions``).

A completion goes through the challenge engine like any cardholder action: the result is fixed
once (the first of many parallel calls wins), the RReq goes out before the answer, and the
cardholder's side sees the end as usual: the browser's next page load or reload shows the final
page that posts the CRes, the SDK's next CReq gets the final CRes (after a timeout, Erro 402, as
after a real one), and a decoupled authentication ends with its RReq.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec
import structlog

from acs.challenge import flow
from acs.challenge.session import Phase, Session
from acs.flows.rreq import send_rreq
from acs.issuer.models import ChallengeMethod
from acs.protocol.codes import DeviceChannel, MessageVersion, TransStatus, TransStatusReason
from acs.services import Services
from acs.store import qa
from acs.transactions import ErroRecord, TransactionRecord, decode_any

log = structlog.get_logger("acs.qa")

BY = "through the QA API"


class Finish(StrEnum):
    """How the cardholder ends the challenge."""

    SUCCEED = "Y"
    FAIL = "N"
    CANCEL = "cancel"
    TIMEOUT = "timeout"


class NotPending(Exception):
    """The transaction has no challenge that this completion can finish now."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


class BadReason(ValueError):
    """A transStatusReason the transaction's message version does not define."""


@dataclass(frozen=True, slots=True)
class Completed:
    session: Session

    def public(self) -> dict[str, Any]:
        s = self.session
        result, rreq = s.result, s.rreq
        assert result is not None
        return {
            "acsTransID": s.acs_trans_id,
            "deviceChannel": s.device_channel,
            "transStatus": result.trans_status,
            "transStatusReason": result.reason,
            "challengeCancel": result.challenge_cancel,
            "rreq": {
                "status": rreq.status if rreq else "pending",
                "attempts": rreq.attempts if rreq else 0,
                "last_error": rreq.last_error if rreq else None,
            },
            "next": _next(s),
        }


def _next(s: Session) -> str:
    """What the cardholder's side sees next."""
    assert s.result is not None
    if s.method is ChallengeMethod.DECOUPLED:
        return "decoupled: no CRes; the RReq carries the result"
    shown = "Y" if s.result.trans_status == TransStatus.AUTHENTICATED else "N"
    if s.device_channel == DeviceChannel.APP:
        if s.result.outside:
            return (
                f"the SDK's next CReq (sdkCounterStoA {s.page_token}) gets the final CRes {shown}"
            )
        return "the SDK's next CReq gets Erro 402 (the challenge timed out)"
    return f"the challenge page's next load shows the final page, posting CRes {shown}"


async def complete_challenge(
    services: Services, acs_trans_id: str, finish: Finish, reason: str | None = None
) -> Completed:
    """Finish the pending challenge of ``acs_trans_id``. ``reason``: the transStatusReason of a
    fail (default 01). ``KeyError`` for an unknown transaction; ``NotPending`` when there is
    nothing to finish now (or a parallel completion won); ``BadReason``."""
    deps = services.challenge
    session = await deps.sessions.get(acs_trans_id)
    if session is None:
        raise await _no_session(services, acs_trans_id)
    _check_pending(session, finish)
    if finish is Finish.TIMEOUT:
        step = await flow.expire(deps, session, by=BY)
    elif finish is Finish.CANCEL:
        step = await flow.cancel(deps, session, None, outside=True)
    else:
        status = TransStatus(finish.value)
        why = _reason(session, reason) if finish is Finish.FAIL else None
        step = await flow.complete(
            deps,
            acs_trans_id,
            status,
            why,
            None,
            note=f"{'passed' if status is TransStatus.AUTHENTICATED else 'failed'} {BY}",
            current=session,
            outside=True,
        )
    if not step.finished:  # a parallel completion, or a timer, got there first
        _check_pending(step.session, finish)
        raise _ended(step.session)
    done = await send_rreq(services, acs_trans_id, session=step.session) or step.session
    log.info("qa.completed", acsTransID=acs_trans_id, finish=finish.value)
    return Completed(done)


def _reason(session: Session, given: str | None) -> TransStatusReason:
    version = MessageVersion(session.message_version)
    try:
        reason = TransStatusReason(given or TransStatusReason.AUTHENTICATION_FAILED)
    except ValueError as exc:
        raise BadReason(f"transStatusReason {given!r} is not a reason code (01-30)") from exc
    if not reason.allowed_in(version):
        raise BadReason(f"transStatusReason {reason.value} is not defined in {version.value}")
    return reason


def _check_pending(session: Session, finish: Finish) -> None:
    if session.phase is Phase.COMPLETED:
        raise _ended(session)
    if (
        session.phase is Phase.AWAITING_CREQ
        and session.device_channel == DeviceChannel.BROWSER
        and finish is not Finish.TIMEOUT
    ):
        raise NotPending(
            f"challenge {session.acs_trans_id} has not started: the browser has not posted "
            "its CReq, so there is no challenge page to answer",
            hint='post the CReq to the acsURL first, or send {"action": "timeout"} for the '
            "first-CReq timeout (challengeCancel 05)",
        )


def _ended(session: Session) -> NotPending:
    result = session.result
    outcome = (
        f"transStatus {result.trans_status}"
        + (f", transStatusReason {result.reason}" if result.reason else "")
        + (f", challengeCancel {result.challenge_cancel}" if result.challenge_cancel else "")
        if result
        else "no result"
    )
    return NotPending(
        f"challenge {session.acs_trans_id} has already ended ({outcome})",
        hint="a challenge ends once; send a new AReq for another",
    )


async def _no_session(services: Services, acs_trans_id: str) -> Exception:
    raw = await services.store.get_txn(acs_trans_id)
    if raw is None:
        return KeyError(acs_trans_id)
    record = _decoded(raw)
    if isinstance(record, TransactionRecord) and record.state == "challenge":
        return NotPending(
            f"challenge {acs_trans_id} is no longer kept (sessions expire after the RReq)",
            hint="GET /qa/transactions/{acsTransID} shows its record",
        )
    answer = (
        f"ARes transStatus {record.ares.transStatus}"
        if isinstance(record, TransactionRecord)
        else f"Erro {record.erro.errorCode}"
        if isinstance(record, ErroRecord)
        else "an unreadable record"
    )
    return NotPending(
        f"transaction {acs_trans_id} did not ask for a challenge ({answer})",
        hint="complete a transaction whose ARes said C or D",
    )


def _decoded(raw: bytes) -> TransactionRecord | ErroRecord | None:
    try:
        return decode_any(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


# -- listing -------------------------------------------------------------------------------------

ERRO = "Erro"  # the status filter's name for AReqs answered with an Erro
STATUSES = (*(s.value for s in TransStatus), ERRO)


@dataclass(frozen=True, slots=True)
class Query:
    since: float  # epoch seconds
    limit: int
    pan: str | None = None  # only this card's
    statuses: frozenset[str] = frozenset()  # empty: any


class _Requestor(msgspec.Struct):
    threeDSRequestorID: str | None = None


_requestor = msgspec.json.Decoder(_Requestor).decode


async def list_transactions(services: Services, query: Query) -> list[dict[str, Any]]:
    """Summaries of the records since ``query.since``, newest first, that match its card and
    statuses (a status matches the ARes's transStatus or the challenge's final one)."""
    store = services.store
    pan_hash = services.vault.pan_hash(query.pan) if query.pan else None
    page = qa.PAGE if query.statuses else query.limit
    found: list[dict[str, Any]] = []
    offset = 0
    while len(found) < query.limit:
        ids = await qa.newest(
            store, since=query.since, pan_hash=pan_hash, offset=offset, count=page
        )
        if not ids:
            break
        offset += len(ids)
        records = [_decoded(raw) if raw else None for raw in await qa.records(store, ids)]
        challenged = [
            r.acsTransID
            for r in records
            if isinstance(r, TransactionRecord) and r.state == "challenge"
        ]
        sessions = dict(zip(challenged, await _sessions(services, challenged), strict=True))
        for record in records:
            if record is None:  # expired, reset or unreadable
                continue
            item = summary(record, sessions.get(record.acsTransID))
            if not query.statuses or query.statuses & _statuses(item):
                found.append(item)
        if len(ids) < page:
            break
    return found[: query.limit]


async def _sessions(services: Services, ids: list[str]) -> list[Session | None]:
    sessions = services.challenge.sessions
    return list(await asyncio.gather(*(sessions.get(i) for i in ids)))  # one round trip


def _statuses(item: dict[str, Any]) -> set[str]:
    if item["answer"] == ERRO:
        return {ERRO}
    found = {item["transStatus"]}
    final = (item.get("challenge") or {}).get("transStatus")
    if final:
        found.add(final)
    return found


def summary(record: TransactionRecord | ErroRecord, session: Session | None) -> dict[str, Any]:
    """One line of the listing; ``GET /qa/transactions/{acsTransID}`` has the whole record."""
    item: dict[str, Any] = {
        "acsTransID": record.acsTransID,
        "created_at": record.created_at,
        "threeDSServerTransID": record.threeDSServerTransID,
        "dsTransID": record.dsTransID,
        "messageVersion": record.messageVersion,
        "deviceChannel": record.deviceChannel,
        "messageCategory": record.messageCategory,
        "acctNumber": record.pan_masked,
    }
    if isinstance(record, ErroRecord):
        item.update(
            answer=ERRO,
            threeDSRequestorID=record.threeDSRequestorID,
            errorCode=record.erro.errorCode,
            errorComponent=record.erro.errorComponent,
            errorDescription=record.erro.errorDescription,
            errorDetail=record.erro.errorDetail,
        )
        return item
    ares = record.ares
    item.update(
        answer="ARes",
        threeDSRequestorID=_requestor(record.areq).threeDSRequestorID,
        transStatus=ares.transStatus,
        transStatusReason=ares.transStatusReason,
        rule=record.decision.rule_id,
        state=record.state,
    )
    if session is not None:
        result, rreq = session.result, session.rreq
        item["challenge"] = {
            "phase": session.phase.value,
            "transStatus": result.trans_status if result else None,
            "transStatusReason": result.reason if result else None,
            "challengeCancel": result.challenge_cancel if result else None,
            "rreq": rreq.status if rreq else None,
        }
    return item
