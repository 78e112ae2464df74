"""Playing the faults of ``acs/faults.py`` on the ACS's own answers: which ones an AReq asked
for (card, rule, request), what they do to the ARes and the CRes, and when those answers go.

Each function here runs only when a fault was asked for: the caller checks ``faults`` (None
when none) first, so a normal request pays that check and nothing else. The RReq's faults are
played in ``rreq.py`` and the HTTP ones (500, a dropped connection) by the web layer, which
gets them as ``TransportFault`` once the flow has recorded the transaction.
"""

from __future__ import annotations

import asyncio
from time import perf_counter

import msgspec
import structlog

from acs.config import Settings
from acs.crypto.signed_content import tampered
from acs.faults import (
    ENABLE_HINT,
    EXTENSION_ID,
    HEADER,
    FaultError,
    FaultName,
    Faults,
    TransportFault,
    find,
    from_extensions,
    merge,
    parse_faults,
    transport,
)
from acs.protocol.codes import ErrorCode, MessageVersion
from acs.protocol.errors import ProtocolError
from acs.protocol.messages import AReq, ARes, CRes
from acs.services import Services

log = structlog.get_logger("acs.faults")

_encode = msgspec.json.Encoder().encode
# what ares-malformed puts in a field: the right type, a value no reader accepts
MALFORMED = {
    "acsURL": "htp:/acs challenge",
    "acsSignedContent": "not-a-jws",
    "sdkTransID": "not-a-uuid",
}


# -- which faults -----------------------------------------------------------------------------


def requested(
    settings: Settings, header: str | None, areq: AReq
) -> tuple[Faults | None, str | None]:
    """The per-request faults of an AReq (the ``X-ACS-Fault`` header, a ``messageExtension``
    with id ``acs.fault``) and, when they are off, the note saying they were ignored.

    Call it only when the header or a messageExtension is there. With faults on, a spec that
    cannot be read is Erro 203 naming where it was and what is valid."""
    where = []
    texts = []
    if header is not None:
        where.append(f"{HEADER} header")
        texts.append(header)
    try:
        extension = from_extensions(areq.messageExtension)
    except FaultError as exc:
        if not settings.faults:
            return None, _ignored(f"messageExtension {EXTENSION_ID}")
        raise ProtocolError(ErrorCode.FORMAT_INVALID, f"messageExtension: {exc}") from exc
    if extension is not None:
        where.append(f"messageExtension {EXTENSION_ID}")
        texts.append(extension)
    if not texts:
        return None, None
    if not settings.faults:
        return None, _ignored(" and ".join(where))
    faults = []
    for place, text in zip(where, texts, strict=True):
        try:
            faults.append(parse_faults(text))
        except FaultError as exc:
            raise ProtocolError(ErrorCode.FORMAT_INVALID, f"{place}: {exc}") from exc
    return merge(*faults), None


def _ignored(where: str) -> str:
    note = f"{where} ignored: per-request faults are off; {ENABLE_HINT}"
    log.warning("faults.ignored", note=note)
    return note


def chosen(
    services: Services, pan_hash: str, rule: Faults | None, request: Faults | None
) -> Faults | None:
    """The faults an AReq plays: its catalog card's, its rule's, the request's (a later one
    wins for the same fault)."""
    card = services.card_faults.get(pan_hash) if services.card_faults else None
    if card is None and rule is None and request is None:
        return None
    return merge(card, rule, request)


# -- the ARes ---------------------------------------------------------------------------------


def erro_instead(faults: Faults) -> None:
    """ares-erro: the AReq is answered with an Erro of the fault's code (raised here, recorded
    as any Erro is)."""
    fault = find(faults, FaultName.ARES_ERRO)
    if fault is not None:
        code = fault.error_code
        raise ProtocolError(code, f"fault {fault}: an Erro {code.value} instead of the ARes")


def spoil_ares(services: Services, ares: ARes, faults: Faults) -> None:
    """The ARes faults that change what it says: fields left out or malformed, the signed
    content signed by a rogue key or with a broken signature."""
    for fault in faults:
        name = fault.name
        if name is FaultName.ARES_MISSING and fault.value:
            setattr(ares, fault.value, None)
        elif name is FaultName.ARES_MALFORMED and fault.value:
            if getattr(ares, fault.value) is not None:
                setattr(ares, fault.value, MALFORMED[fault.value])
        elif name is FaultName.BAD_X5C and ares.acsSignedContent:
            ares.acsSignedContent = services.signers.resign_rogue(ares.acsSignedContent)
        elif name is FaultName.BAD_SIGNATURE and ares.acsSignedContent:
            ares.acsSignedContent = tampered(ares.acsSignedContent)


async def delay_ares(settings: Settings, faults: Faults, started: float) -> None:
    """ares-delay and ares-timeout wait, then the latency floor; then an HTTP fault, if any,
    replaces the answer (``TransportFault``)."""
    delay = 0.0
    if (fault := find(faults, FaultName.ARES_DELAY)) is not None:
        delay += fault.seconds or 0.0
    if (fault := find(faults, FaultName.ARES_TIMEOUT)) is not None:
        delay += fault.seconds or settings.timers.ds_ares_seconds + 1
    if delay:
        await asyncio.sleep(delay)
    await latency_floor(faults, started)
    if (fault := transport(faults, "ares")) is not None:
        raise TransportFault(fault)


async def latency_floor(faults: Faults | None, started: float) -> None:
    """latency: the answer leaves no sooner than its floor after ``started`` (perf_counter)."""
    fault = find(faults, FaultName.LATENCY)
    if fault is not None and fault.seconds:
        remaining = fault.seconds - (perf_counter() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)


# -- the CRes ---------------------------------------------------------------------------------


def other_version(version: str) -> str:
    """A supported messageVersion that is not ``version``."""
    return next(v.value for v in MessageVersion if v.value != version)


def cres_body(cres: CRes, faults: Faults) -> bytes:
    """The CRes JSON with its faults: another messageVersion (every CRes), an empty
    challengeInfoText (a native screen), a member a final CRes must not carry."""
    if (fault := find(faults, FaultName.CRES_VERSION)) is not None:
        cres.messageVersion = fault.value or other_version(cres.messageVersion or "")
    if find(faults, FaultName.CRES_EMPTY_INFO_TEXT) and cres.challengeInfoText is not None:
        cres.challengeInfoText = ""
    body = _encode(cres)
    extra = find(faults, FaultName.CRES_EXTRA_FIELD)
    if extra is not None and cres.transStatus is not None:  # the final CRes
        data = msgspec.json.decode(body)
        data[extra.value or "acsUiType"] = _EXTRA_VALUES.get(extra.value or "", "01")
        body = _encode(data)
    return body


# a member's value of the right shape, so the extra member is the only thing wrong
_EXTRA_VALUES = {"acsUiType": "01", "challengeInfoText": "extra"}


def content_type(faults: Faults, normal: str) -> str:
    fault = find(faults, FaultName.CRES_CONTENT_TYPE)
    return fault.value or normal if fault is not None else normal


def cres_transport(faults: Faults) -> None:
    """http-500:cres / drop:cres replace the CRes (the CReq was processed all the same)."""
    if (fault := transport(faults, "cres")) is not None:
        raise TransportFault(fault)
