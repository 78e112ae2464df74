"""route_areq: take an AReq from a 3DS Server as a DS does, and relay the ACS's answer.

1. Read it as a JSON object (Erro 101/204), of a version the DS supports (102).
2. The fields only a DS adds must not be there (203).
3. Find the card range; none gives the DS's own answer (ARes N/13, or Erro 305).
4. App: open ``sdkEncData`` with the DS key and forward it as ``deviceInfo`` (302, 311).
5. Add dsTransID, dsReferenceNumber and dsURL, and validate the message as the ACS will.
6. Send it to the ACS (in process, or over HTTP with the DS timeout: Erro 402, 405).
7. Relay the ARes; one that asks for a challenge leaves a record for the RReq relay.

Steps 1-5 cost a third of what the ACS spends on a frictionless AReq, so the common AReq takes
a quick way through 1-3 (``_spliced``): only the few members the DS decides on are decoded, and
the DS's members are written after the body's last one; the body is not read into a dict and
written again. What that way cannot vouch for takes the full one, which names the problem.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from typing import Any, TypeGuard

import msgspec
import structlog

from acs.crypto.sdk_enc_data import KidError, decrypt
from acs.crypto.secure_channel import DecryptionError
from acs.ds.config import UnknownRange
from acs.ds.records import RelayRecord, encode_record
from acs.ds.server import Answer, DirectoryServer, ds_error
from acs.faults import TransportFault
from acs.issuer.models import CardRange
from acs.outbound import HttpFailure, post, snippet
from acs.protocol.codes import (
    DeviceChannel,
    ErrorCode,
    MessageType,
    MessageVersion,
    TransStatus,
    TransStatusReason,
)
from acs.protocol.errors import ProtocolError
from acs.protocol.messages import ARes, Erro
from acs.protocol.validate import ParsedAReq, load_message, read_areq

log = structlog.get_logger("acs.ds")

_VERSIONS = frozenset(v.value for v in MessageVersion)
_HEADED = frozenset(v.value for v in MessageVersion if v.is_2_3)
DS_FIELDS = ("dsTransID", "dsReferenceNumber", "dsURL", "deviceInfo")
_CHALLENGED = frozenset({TransStatus.CHALLENGE.value, TransStatus.DECOUPLED.value})
_encode = msgspec.json.Encoder().encode
_decode_ares = msgspec.json.Decoder(ARes).decode
_decode_erro = msgspec.json.Decoder(Erro).decode
# What the quick way reads of an AReq, in this order (UNSET: absent; a null is present).
_HEAD = ("messageType", "messageVersion", "acctNumber", "sdkEncData", *DS_FIELDS)
_decode_head = msgspec.json.Decoder(
    msgspec.defstruct("AReqHead", [(name, Any, msgspec.UNSET) for name in _HEAD])
).decode


async def route_areq(ds: DirectoryServer, body: bytes) -> Answer:
    ds_trans_id = str(uuid.uuid4())
    try:
        routed = _spliced(ds, body, ds_trans_id) or _routed(ds, body, ds_trans_id)
        if isinstance(routed, Answer):
            return routed
        card_range, forwarded = routed
        parsed = read_areq(forwarded, card_range.validation or ds.config.validation)
        areq = parsed.areq
    except ProtocolError as err:
        err.ids.dsTransID = ds_trans_id
        return Answer(_encode(ds.erro(err)))
    answer = await _ask_acs(ds, forwarded, parsed, ds_trans_id)
    if isinstance(answer, ARes) and answer.transStatus in _CHALLENGED:
        record = RelayRecord(
            dsTransID=ds_trans_id,
            threeDSServerTransID=areq.threeDSServerTransID or "",
            acsTransID=answer.acsTransID or "",
            threeDSServerURL=areq.threeDSServerURL or "",
            messageVersion=areq.messageVersion or "",
            deviceChannel=areq.deviceChannel or "",
            transStatus=answer.transStatus or "",
            created_at=time.time(),
            acs=ds.config.acs_url or "in-process",
        )
        await ds.store.ds_save(ds_trans_id, encode_record(record), ds.config.record_seconds)
    log.info(
        "ds.areq",
        dsTransID=ds_trans_id,
        range=card_range.id,
        answer=answer.messageType,
        transStatus=getattr(answer, "transStatus", None),
        errorCode=getattr(answer, "errorCode", None),
    )
    return Answer(_encode(answer), _headers(answer))


def _spliced(ds: DirectoryServer, body: bytes, ds_trans_id: str) -> tuple[CardRange, bytes] | None:
    """(the card range, the AReq as the ACS gets it) when the DS has nothing to say on the AReq
    nor to change in it but its own members: a JSON object, an AReq of a version the DS
    supports, no DS member, no sdkEncData, a well-formed PAN in a card range. Else None: the
    full way (``_routed``) reads it. A repeated member is found by the validation after (Erro
    204, as on the full way)."""
    try:
        kind, version, pan, enc, *ds_members = msgspec.structs.astuple(_decode_head(body))
    except msgspec.MsgspecError:
        return None
    if (
        kind != MessageType.AREQ.value
        or not isinstance(version, str)
        or version not in _VERSIONS
        or enc is not msgspec.UNSET
        or any(member is not msgspec.UNSET for member in ds_members)
        or not _well_formed_pan(pan)
    ):
        return None
    card_range = ds.ranges.find_range(pan)
    if card_range is None:
        return None  # the full way reads the IDs the DS's own answer echoes
    return card_range, _with_ds_members(ds, body, ds_trans_id)


def _routed(ds: DirectoryServer, body: bytes, ds_trans_id: str) -> tuple[CardRange, bytes] | Answer:
    """The full way: (the card range, the AReq as the ACS gets it), the DS's own answer when
    no card range holds the PAN, or the ProtocolError naming what the DS refuses."""
    message = _read(body)
    card_range = _card_range(ds, message)
    if card_range is None:
        return _unknown_range(ds, message, ds_trans_id)
    return card_range, _forwarded(ds, message, card_range, ds_trans_id)


def _read(body: bytes) -> dict[str, object]:
    message = load_message(body)
    kind, version = message.get("messageType"), message.get("messageVersion")
    ids = {"threeDSServerTransID": message.get("threeDSServerTransID")}
    if kind != MessageType.AREQ.value:
        raise ds_error(
            ErrorCode.MESSAGE_INVALID,
            f"messageType: this URL takes AReq, got {str(kind)[:20]!r}",
            MessageType.AREQ,
            version,
            **ids,
        )
    if not isinstance(version, str) or version not in _VERSIONS:
        raise ds_error(
            ErrorCode.VERSION_NOT_SUPPORTED,
            ",".join(sorted(_VERSIONS)),
            MessageType.AREQ,
            None,
            **ids,
        )
    present = [name for name in DS_FIELDS if name in message]
    if present:
        raise ds_error(
            ErrorCode.FORMAT_INVALID,
            ", ".join(f"{n}: added by the DS, a 3DS Server must not send it" for n in present),
            MessageType.AREQ,
            version,
            **ids,
        )
    return message


def _card_range(ds: DirectoryServer, message: dict[str, object]) -> CardRange | None:
    pan = message.get("acctNumber")
    if not _well_formed_pan(pan):
        # the full validation names the field; no range is looked up for a malformed PAN
        raise _invalid_pan(message, pan)
    return ds.ranges.find_range(pan)


def _well_formed_pan(pan: object) -> TypeGuard[str]:
    return isinstance(pan, str) and pan.isdigit() and 13 <= len(pan) <= 19


def _invalid_pan(message: dict[str, object], pan: object) -> ProtocolError:
    code = ErrorCode.REQUIRED_MISSING if pan is None else ErrorCode.FORMAT_INVALID
    return ds_error(
        code,
        "acctNumber: required" if pan is None else "acctNumber: must be 13-19 digits",
        MessageType.AREQ,
        message.get("messageVersion"),
        threeDSServerTransID=message.get("threeDSServerTransID"),
    )


def _forwarded(
    ds: DirectoryServer, message: dict[str, object], card_range: CardRange, ds_trans_id: str
) -> bytes:
    """The AReq as the ACS gets it: sdkEncData opened into deviceInfo, the DS's fields added."""
    enc = message.pop("sdkEncData", None)
    if enc is not None:
        message["deviceInfo"] = _device_info(ds, message, enc, card_range)
    return _with_ds_members(ds, _encode(message), ds_trans_id)


def _with_ds_members(ds: DirectoryServer, body: bytes, ds_trans_id: str) -> bytes:
    """``body``, a JSON object with members, with dsTransID, dsReferenceNumber and dsURL
    written after its last member."""
    added = b',"dsTransID":%b,"dsReferenceNumber":%b,"dsURL":%b}' % (
        _encode(ds_trans_id),
        _encode(ds.config.reference_number),
        _encode(ds.config.ds_url),
    )
    return body.rstrip()[:-1] + added


def _device_info(
    ds: DirectoryServer, message: dict[str, object], enc: object, card_range: CardRange
) -> str:
    version = message.get("messageVersion")
    try:
        if not isinstance(enc, str):
            raise DecryptionError("sdkEncData: must be a compact JWE string")
        plain = decrypt(enc, ds.keys, card_range.scheme.ds_id)
    except KidError as exc:
        code = ErrorCode.INCORRECT_KID if version == MessageVersion.V2_3_1.value else None
        raise _decryption_error(message, str(exc), code) from None
    except DecryptionError as exc:
        raise _decryption_error(message, str(exc)) from None
    return base64.urlsafe_b64encode(plain).rstrip(b"=").decode("ascii")


def _decryption_error(
    message: dict[str, object], detail: str, code: ErrorCode | None = None
) -> ProtocolError:
    return ds_error(
        code or ErrorCode.DECRYPTION_FAILURE,
        detail,
        MessageType.AREQ,
        message.get("messageVersion"),
        threeDSServerTransID=message.get("threeDSServerTransID"),
        sdkTransID=message.get("sdkTransID"),
    )


def _unknown_range(ds: DirectoryServer, message: dict[str, object], ds_trans_id: str) -> Answer:
    """No card range holds the PAN: the DS answers itself, as configured."""
    version = str(message.get("messageVersion"))
    server_id = message.get("threeDSServerTransID")
    sdk_id = (
        message.get("sdkTransID") if message.get("deviceChannel") == DeviceChannel.APP else None
    )
    if ds.config.unknown_range is UnknownRange.ERRO:
        erro = ds.erro(
            ds_error(
                ErrorCode.TRANSACTION_DATA_INVALID,
                "acctNumber: in no card range of this DS",
                MessageType.AREQ,
                version,
                threeDSServerTransID=server_id,
                dsTransID=ds_trans_id,
                sdkTransID=sdk_id,
            )
        )
        return Answer(_encode(erro), _headers(erro))
    ares = ARes(
        messageType=MessageType.ARES.value,
        messageVersion=version,
        threeDSServerTransID=server_id if isinstance(server_id, str) else None,
        acsTransID=str(uuid.uuid4()),  # the DS answers in the ACS's place
        dsTransID=ds_trans_id,
        sdkTransID=sdk_id if isinstance(sdk_id, str) else None,
        acsReferenceNumber=ds.config.reference_number,
        dsReferenceNumber=ds.config.reference_number,
        transStatus=TransStatus.NOT_AUTHENTICATED.value,
        transStatusReason=TransStatusReason.NOT_ENROLLED.value,
    )
    log.info("ds.areq", dsTransID=ds_trans_id, range=None, answer="ARes", transStatus="N")
    return Answer(_encode(ares), _headers(ares))


async def _ask_acs(
    ds: DirectoryServer, forwarded: bytes, parsed: ParsedAReq, ds_trans_id: str
) -> ARes | Erro:
    areq = parsed.areq
    version = areq.messageVersion
    ids = {"threeDSServerTransID": areq.threeDSServerTransID, "dsTransID": ds_trans_id}
    if ds.local_acs is not None:
        return await _ask_local(ds, forwarded, parsed, ids)
    assert ds.config.acs_url is not None
    headers = {"X-Request-ID": ds_trans_id} if version in _HEADED else {}
    try:
        status, raw = await post(
            ds.http, ds.config.acs_url, forwarded, headers, ds.config.ares_timeout_seconds
        )
    except HttpFailure as exc:
        timed_out = isinstance(exc.__cause__, TimeoutError)
        code = ErrorCode.TIMED_OUT if timed_out else ErrorCode.CONNECTION_FAILURE
        err = ds_error(code, f"ACS: {exc}", MessageType.AREQ, version, **ids)
        return ds.erro(err)
    answer = _acs_answer(raw)
    if answer is None:
        detail = f"ACS answered HTTP {status} with no ARes or Erro: {snippet(raw, 120)}"
        err = ds_error(ErrorCode.MESSAGE_INVALID, detail, MessageType.ARES, version, **ids)
        return ds.erro(err)
    return answer


async def _ask_local(
    ds: DirectoryServer, forwarded: bytes, parsed: ParsedAReq, ids: dict[str, str | None]
) -> ARes | Erro:
    """The in-process ACS, held to the DS timeout as a remote one is (402); an injected HTTP
    fault (acs/faults.py) is what the DS would make of it over HTTP. It gets the AReq as the DS
    validated it, with the profile the ACS would pick (the card range's), so the ACS does not
    validate it a second time."""
    version = parsed.areq.messageVersion
    local = ds.local_acs
    assert local is not None
    try:
        async with asyncio.timeout(ds.config.ares_timeout_seconds):
            return await local(forwarded, parsed)
    except TimeoutError:
        detail = f"ACS: no ARes within {ds.config.ares_timeout_seconds:g} s"
        return ds.erro(ds_error(ErrorCode.TIMED_OUT, detail, MessageType.AREQ, version, **ids))
    except TransportFault as exc:
        code = ErrorCode.CONNECTION_FAILURE if exc.drop else ErrorCode.MESSAGE_INVALID
        detail = "ACS closed the connection" if exc.drop else "ACS answered HTTP 500"
        return ds.erro(ds_error(code, detail, MessageType.AREQ, version, **ids))


def _acs_answer(raw: bytes) -> ARes | Erro | None:
    """The ACS's ARes or Erro; None for anything else. (Read as an ARes first: every ARes
    member is optional, so an Erro reads too, and its messageType says which it is.)"""
    try:
        ares = _decode_ares(raw)
        if ares.messageType == MessageType.ERRO.value:
            return _decode_erro(raw)
    except msgspec.MsgspecError:
        return None
    return ares if ares.messageType == MessageType.ARES.value else None


def _headers(answer: ARes | Erro) -> dict[str, str] | None:
    """2.3.x ARes DS -> 3DS Server: X-Request-ID threeDSServerTransID, X-Response-ID
    dsTransID (reference section 1)."""
    if answer.messageVersion not in _HEADED:
        return None
    headers = {}
    if answer.threeDSServerTransID:
        headers["X-Request-ID"] = answer.threeDSServerTransID
    if answer.dsTransID:
        headers["X-Response-ID"] = answer.dsTransID
    return headers
