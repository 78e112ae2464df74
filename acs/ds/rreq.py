"""relay_rreq: pass an ACS's RReq to the AReq's threeDSServerURL and the RRes back.

Reference section 8, DS -> 3DS Server: one immediate retry when the connection fails, then
the RRes wait (3 s); no answer is Erro D/405 (unreachable) or D/402 (no RRes in time) to the
ACS, which tries again on its own schedule. The 3DS Server gets each result once: an RRes is
kept, and a repeated RReq (the ACS never saw the RRes) is answered with it again.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
import structlog

from acs.ds.records import RelayEvent, RelayRecord, decode_record
from acs.ds.server import Answer, DirectoryServer, ds_error, field_detail
from acs.outbound import HttpFailure, post, snippet
from acs.protocol.codes import ErrorCode, MessageType, MessageVersion
from acs.protocol.errors import ProtocolError
from acs.protocol.messages import RReq, RRes
from acs.protocol.validate import load_message

log = structlog.get_logger("acs.ds")

_HEADED = frozenset(v.value for v in MessageVersion if v.is_2_3)
_IDS = ("threeDSServerTransID", "acsTransID", "dsTransID")
_encode = msgspec.json.Encoder().encode
_decode_rres = msgspec.json.Decoder(RRes).decode


async def relay_rreq(ds: DirectoryServer, body: bytes) -> Answer:
    try:
        rreq, forwarded = _read(body)
        record_raw, kept = await ds.store.ds_relay_state(rreq.dsTransID)
        record = _record(record_raw, rreq)
    except ProtocolError as err:
        return Answer(_encode(ds.erro(err)))
    if kept is not None:  # relayed before: the ACS missed our RRes, not the 3DS Server's
        await _note(ds, rreq, None, RelayEvent(time.time(), "repeated", rreq.transStatus.value))
        return Answer(kept, _headers(rreq, to_acs=True))
    if not await ds.store.ds_claim_relay(rreq.dsTransID, ds.config.rres_wait_seconds * 2 + 1):
        return Answer(_encode(ds.erro(_busy(rreq))))
    answer, event = await _send(ds, record, rreq, forwarded)
    await _note(ds, rreq, answer if event.outcome == "relayed" else None, event)
    log.info(
        "ds.rreq",
        dsTransID=rreq.dsTransID,
        outcome=event.outcome,
        attempts=event.attempts,
        error=event.error,
    )
    return Answer(answer, _headers(rreq, to_acs=True))


def _read(body: bytes) -> tuple[RReq, bytes]:
    """The RReq, and the body to forward: 2.2.0's single-code authenticationMethod goes from
    the ACS to the DS only (reference section 3.5), so it is taken out."""
    message = load_message(body)
    version = message.get("messageVersion")
    ids = {name: message.get(name) for name in (*_IDS, "sdkTransID")}
    if message.get("messageType") != MessageType.RREQ.value:
        raise ds_error(
            ErrorCode.MESSAGE_INVALID,
            f"messageType: this URL takes RReq, got {str(message.get('messageType'))[:20]!r}",
            MessageType.RREQ,
            version,
            **ids,
        )
    if version == MessageVersion.V2_2_0.value and isinstance(
        message.get("authenticationMethod"), str
    ):
        del message["authenticationMethod"]
    try:
        rreq = msgspec.convert(message, RReq)
    except msgspec.ValidationError as exc:
        missing = "missing required field" in str(exc)
        code = ErrorCode.REQUIRED_MISSING if missing else ErrorCode.FORMAT_INVALID
        raise ds_error(code, field_detail(exc), MessageType.RREQ, version, **ids) from None
    return rreq, _encode(message)


def _record(raw: bytes | None, rreq: RReq) -> RelayRecord:
    record = decode_record(raw) if raw else None
    if record is None or record.acsTransID != rreq.acsTransID:
        raise ds_error(
            ErrorCode.TRANSACTION_ID_UNKNOWN,
            "dsTransID: no challenge of this DS has this dsTransID and acsTransID "
            "(unknown, or its record expired)",
            MessageType.RREQ,
            rreq.messageVersion,
            threeDSServerTransID=rreq.threeDSServerTransID,
            acsTransID=rreq.acsTransID,
            dsTransID=rreq.dsTransID,
        )
    return record


def _busy(rreq: RReq) -> ProtocolError:
    return ds_error(
        ErrorCode.TRANSIENT_FAILURE,
        "dsTransID: an RReq for this transaction is being relayed now; send it again later",
        MessageType.RREQ,
        rreq.messageVersion,
        threeDSServerTransID=rreq.threeDSServerTransID,
        acsTransID=rreq.acsTransID,
        dsTransID=rreq.dsTransID,
    )


async def _send(
    ds: DirectoryServer, record: RelayRecord, rreq: RReq, body: bytes
) -> tuple[bytes, RelayEvent]:
    """(what to answer the ACS, the event to log)."""
    status = rreq.transStatus.value
    headers = _headers(rreq, to_acs=False) or {}
    error: str | None = None
    code = ErrorCode.CONNECTION_FAILURE
    for attempt in (1, 2):
        try:
            http_status, raw = await post(
                ds.http, record.threeDSServerURL, body, headers, ds.config.rres_wait_seconds
            )
        except HttpFailure as exc:
            error = f"3DS Server: {exc}"
            if isinstance(exc.__cause__, TimeoutError):
                code = ErrorCode.TIMED_OUT
                break  # the retry is for a connection that failed, not an answer that is late
            continue
        problem, rres = _check_rres(raw, http_status, rreq)
        if rres is None:
            error, code = f"3DS Server: {problem}", ErrorCode.MESSAGE_INVALID
            break
        event = RelayEvent(time.time(), "relayed", status, rres.resultsStatus.value, attempt)
        return raw, event
    err = ds_error(
        code,
        error or "3DS Server: no answer",
        MessageType.RREQ,
        rreq.messageVersion,
        threeDSServerTransID=rreq.threeDSServerTransID,
        acsTransID=rreq.acsTransID,
        dsTransID=rreq.dsTransID,
    )
    event = RelayEvent(time.time(), "failed", status, None, attempt, error)
    return _encode(ds.erro(err)), event


def _check_rres(raw: bytes, http_status: int, rreq: RReq) -> tuple[str | None, RRes | None]:
    if http_status >= 400:
        return f"answered HTTP {http_status}: {snippet(raw, 120)}", None
    try:
        rres = _decode_rres(raw)
    except msgspec.MsgspecError as exc:
        return f"not an RRes ({exc}): {snippet(raw, 120)}", None
    for name in _IDS:
        if getattr(rres, name) != getattr(rreq, name):
            return f"RRes {name} does not match the RReq", None
    return None, rres


async def _note(ds: DirectoryServer, rreq: RReq, rres: bytes | None, event: RelayEvent) -> None:
    await ds.store.ds_relayed(rreq.dsTransID, rres, _encode(event), ds.config.record_seconds)


def _headers(rreq: RReq, *, to_acs: bool) -> dict[str, str] | None:
    """2.3.x (reference section 1): RReq DS -> 3DS Server carries X-Request-ID dsTransID; the
    RRes back to the ACS X-Request-ID acsTransID and X-Response-ID dsTransID."""
    if rreq.messageVersion not in _HEADED:
        return None
    if to_acs:
        return {"X-Request-ID": rreq.acsTransID, "X-Response-ID": rreq.dsTransID}
    return {"X-Request-ID": rreq.dsTransID}


def relay_view(record: RelayRecord | None, events: list[Any]) -> dict[str, Any]:
    """The QA view of one transaction the DS routed."""
    return {
        "record": msgspec.to_builtins(record) if record else None,
        "rreqs": [msgspec.to_builtins(e) for e in events],
    }
