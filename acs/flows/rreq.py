"""send_rreq: tell the DS how a challenge ended, and keep trying until it listens.

Reference section 8: an immediate retry, then one attempt every ``rreq_retry_seconds`` through
the timer due-set (so another node carries on if this one stops), up to ``rreq_max_attempts``.
Each attempt waits ``rres_wait_seconds`` for an RRes, which must name the same transaction.
"""

from __future__ import annotations

import asyncio
import ssl
import time

import aiohttp
import msgspec
import structlog

from acs.challenge.app import rendering_of
from acs.challenge.methods.wire import WIRE
from acs.challenge.session import RReqState, Session
from acs.challenge.timers import TimerKind
from acs.faults import FaultName, find
from acs.issuer.models import ChallengeMethod
from acs.protocol.codes import (
    AuthenticationType,
    ChallengeCancel,
    DeviceChannel,
    MessageCategory,
    MessageType,
    MessageVersion,
    TransStatus,
    TransStatusReason,
)
from acs.protocol.messages import RReq, RRes
from acs.services import Services
from acs.store import qa

log = structlog.get_logger("acs.rreq")

_NEEDS_REASON = frozenset({TransStatus.NOT_AUTHENTICATED, TransStatus.UNABLE, TransStatus.REJECTED})
_decode_rres = msgspec.json.Decoder(RRes).decode
_encode = msgspec.json.Encoder().encode


def build_rreq(session: Session) -> RReq:
    assert session.result is not None
    result = session.result
    version = MessageVersion(session.message_version)
    status = TransStatus(result.trans_status)
    rreq = RReq(
        messageType="RReq",
        messageVersion=session.message_version,
        threeDSServerTransID=session.three_ds_server_trans_id,
        acsTransID=session.acs_trans_id,
        dsTransID=session.ds_trans_id,
        messageCategory=MessageCategory(session.message_category),
        transStatus=status,
        interactionCounter=f"{min(session.interaction_counter, 99):02d}",
    )
    if session.device_channel == DeviceChannel.APP and version.at_least_2_2:
        rreq.sdkTransID = session.sdk_trans_id
    if session.app is not None and version.at_least_2_2:
        rreq.acsRenderingType = rendering_of(session.app)
    if status in _NEEDS_REASON and result.reason:
        rreq.transStatusReason = TransStatusReason(result.reason)
    if result.authentication_value:
        rreq.authenticationValue, rreq.eci = result.authentication_value, result.eci
    if result.challenge_cancel:
        rreq.challengeCancel = ChallengeCancel(result.challenge_cancel)
    if status in (TransStatus.AUTHENTICATED, TransStatus.NOT_AUTHENTICATED):
        if version.is_2_3:  # every factor the cardholder passed (one when the challenge failed)
            used = [ChallengeMethod(m) for m in result.factors] or [session.method]
            rreq.authenticationMethod = list(dict.fromkeys(WIRE[m][1] for m in used))
        else:
            rreq.authenticationType = AuthenticationType(session.authentication_type)
    return rreq


def check_rres(raw: bytes, rreq: RReq) -> tuple[str | None, RRes | None]:
    """(None, the RRes) when it acknowledges this RReq, else (what is wrong with it, None)."""
    try:
        rres = _decode_rres(raw)
    except msgspec.ValidationError as exc:
        try:
            answer = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            answer = None
        if isinstance(answer, dict) and answer.get("messageType") == MessageType.ERRO.value:
            return f"DS answered Erro {answer.get('errorCode')}: {answer.get('errorDetail')}", None
        return f"not an RRes: {exc}", None
    except msgspec.DecodeError:
        return "RRes is not JSON", None
    for name in ("threeDSServerTransID", "acsTransID", "dsTransID"):
        if getattr(rres, name) != getattr(rreq, name):
            return f"{name} does not match the RReq", None
    return None, rres


async def send_rreq(
    services: Services,
    acs_trans_id: str,
    *,
    session: Session | None = None,
) -> Session | None:
    """One delivery attempt; on failure the next goes on the due-set: at once after the first
    failure (the immediate retry, run by whichever node polls first, so the cardholder waits for
    one attempt only), then every ``rreq_retry_seconds``. The caller holds the RReq timer's
    lease (``complete`` takes it before the result is saved, the timer worker when it claims).

    Returns the session with the delivery state recorded. ``session`` saves a read.
    """
    session = session or await services.challenge.sessions.get(acs_trans_id)
    if session is None or session.result is None:
        return session
    state = session.rreq or RReqState()
    if state.status == "delivered":
        return session
    rreq = build_rreq(session)
    if session.faults is not None and session.rreq is None:  # the first attempt's faults
        held = await _held(services, session)
        if held is not None:
            return held
    error, rres = await _attempt(services, session, rreq)

    async def record(s: Session) -> None:
        current = s.rreq or RReqState()
        current.attempts += 1
        current.sent = rreq
        if error is None:
            current.status, current.last_error, current.delivered_at = (
                "delivered",
                None,
                time.time(),
            )
            current.rres = rres
        else:
            exhausted = current.attempts >= services.settings.timers.rreq_max_attempts
            current.status, current.last_error = ("failed" if exhausted else "pending"), error
        s.rreq = current
        s.log("rreq", status=current.status, attempts=current.attempts, error=error)

    session, _ = await services.challenge.sessions.update(acs_trans_id, record, current=session)
    # The RReq timer has been held (leased) since the result was fixed; it is moved or dropped
    # only now that the attempt is recorded, so a crash before this line repeats the attempt.
    state = session.rreq or RReqState()
    # the QA API's log of attempts: queued now, it shares the timer change's round trip
    logged = qa.log_rreq(
        services.store,
        _encode(
            {
                "at": time.time(),
                "acsTransID": acs_trans_id,
                "attempt": state.attempts,
                "status": state.status,
                "failure": error,  # why the attempt failed (None: the DS acknowledged it)
                "dsURL": session.ds_url,
                "rreq": rreq,
                "rres": rres,
            }
        ),
    )
    if state.status == "pending":
        wait = 0.0 if state.attempts == 1 else services.settings.timers.rreq_retry_seconds
        due = time.time() + wait
        await services.challenge.timers.schedule(TimerKind.RREQ, acs_trans_id, due)
    else:
        await services.challenge.timers.cancel(TimerKind.RREQ, acs_trans_id)
    await logged
    log.info(
        "rreq.attempt",
        acsTransID=acs_trans_id,
        status=state.status,
        attempts=state.attempts,
        error=error,
    )
    if state.status == "delivered" and find(session.faults, FaultName.RREQ_TWICE):
        await _again(services, session, rreq, state.attempts + 1)
    return session


async def _held(services: Services, session: Session) -> Session | None:
    """The faults that hold the first RReq back (acs/faults.py): rreq-missing never sends it,
    rreq-after-cres sends it from the timer after the final CRes went, rreq-slow waits before
    sending (the DS and the 3DS Server wait for the result). Returns the session when the
    RReq is not sent now."""
    timers = services.settings.timers
    if (fault := find(session.faults, FaultName.RREQ_SLOW)) is not None:
        # under the timer's lease, or another node would send it meanwhile
        limit = max(timers.timer_lease_seconds - timers.rres_wait_seconds - 1, 0)
        await asyncio.sleep(min(fault.seconds or 0, limit))
        return None
    missing = find(session.faults, FaultName.RREQ_MISSING)
    later = find(session.faults, FaultName.RREQ_AFTER_CRES)
    if missing is None and later is None:
        return None
    note = f"fault {missing or later}: " + (
        "never sent" if missing else "held until after the final CRes"
    )

    async def hold(s: Session) -> None:
        s.rreq = RReqState(status="withheld" if missing else "pending", last_error=note)
        s.log("rreq", status=s.rreq.status, attempts=0, error=note)

    session, _ = await services.challenge.sessions.update(
        session.acs_trans_id, hold, current=session
    )
    kind, acs_trans_id = TimerKind.RREQ, session.acs_trans_id
    if later is not None and missing is None:
        await services.challenge.timers.schedule(
            kind, acs_trans_id, time.time() + (later.seconds or 1)
        )
    else:
        await services.challenge.timers.cancel(kind, acs_trans_id)
    log.info("rreq.fault", acsTransID=acs_trans_id, note=note)
    return session


async def _again(services: Services, session: Session, rreq: RReq, attempt: int) -> None:
    """rreq-twice: the delivered RReq once more, as a DS sees a duplicate; kept in the QA
    API's RReq log only (the session says delivered)."""
    error, rres = await _attempt(services, session, rreq)
    entry = {
        "at": time.time(),
        "acsTransID": session.acs_trans_id,
        "attempt": attempt,
        "status": "duplicate",
        "failure": error,
        "dsURL": session.ds_url,
        "rreq": rreq,
        "rres": rres,
        "fault": FaultName.RREQ_TWICE.value,
    }
    await qa.log_rreq(services.store, _encode(entry))
    log.info("rreq.fault", acsTransID=session.acs_trans_id, note="rreq-twice: sent again")


async def _attempt(
    services: Services, session: Session, rreq: RReq
) -> tuple[str | None, RRes | None]:
    """(None, RRes) when the DS acknowledged the RReq, else (what went wrong, None)."""
    if not session.ds_url:
        return "the AReq carried no dsURL", None
    timeout = aiohttp.ClientTimeout(total=services.settings.timers.rres_wait_seconds)
    headers = {"Content-Type": "application/json"}
    if MessageVersion(session.message_version).is_2_3:
        headers["X-Request-ID"] = session.acs_trans_id
    tls: ssl.SSLContext | bool = True
    if services.own_tls is not None and session.ds_url.startswith(
        services.settings.own_ds_origin + "/"
    ):  # serve --ds: the RReq goes to this process's DS front
        tls = services.own_tls
    try:
        async with services.http.post(
            session.ds_url,
            data=_encode(rreq),
            headers=headers,
            timeout=timeout,
            ssl=tls,
        ) as resp:
            raw = await resp.read()
            if resp.status >= 400:
                return f"DS answered HTTP {resp.status}", None
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"DS unreachable: {type(exc).__name__} {exc}".strip(), None
    return check_rres(raw, rreq)
