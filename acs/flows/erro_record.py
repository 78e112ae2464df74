"""record_erro: an AReq answered with an Erro leaves a record too, so a suite can see why.

One store round trip (the record with the retention TTL, and its place in the QA indexes); the
PAN masked and indexed by its keyed hash. A store in trouble does not change the answer: the
Erro goes out all the same and the failure is logged.
"""

from __future__ import annotations

import msgspec
import structlog

from acs.logs import mask_pan
from acs.protocol.messages import AReq, Erro
from acs.services import Services
from acs.store import qa
from acs.store.store import StoreUnavailable
from acs.transactions import ErroRecord, now

log = structlog.get_logger("acs.areq")


class _Readable(msgspec.Struct):
    """What can still be read off an AReq that failed validation (any type: nothing trusted)."""

    acctNumber: object = None
    messageVersion: object = None
    deviceChannel: object = None
    messageCategory: object = None
    threeDSRequestorID: object = None


_read_loosely = msgspec.json.Decoder(_Readable).decode


def _text(value: object, limit: int = 64) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _readable(body: bytes) -> _Readable:
    try:
        return _read_loosely(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return _Readable()


async def record_erro(
    services: Services, acs_trans_id: str, erro: Erro, areq: AReq | None, body: bytes
) -> None:
    """Keep the Erro answered to ``body`` (``areq``: the AReq when it could be parsed)."""
    seen = _readable(body) if areq is None else areq
    pan = seen.acctNumber if isinstance(seen.acctNumber, str) else ""
    is_pan = pan.isascii() and pan.isdigit() and 13 <= len(pan) <= 19
    record = ErroRecord(
        acsTransID=acs_trans_id,
        created_at=now(),
        erro=erro,
        messageVersion=_text(seen.messageVersion, 8),
        deviceChannel=_text(seen.deviceChannel, 2),
        messageCategory=_text(seen.messageCategory, 2),
        threeDSRequestorID=_text(seen.threeDSRequestorID, 35),
        pan_masked=mask_pan(pan) if is_pan else None,
        pan_hash=services.vault.pan_hash(pan) if is_pan else None,
    )
    ttl = services.settings.retention_seconds
    try:
        await qa.save_record(
            services.store,
            acs_trans_id,
            msgspec.json.encode(record),
            record.pan_hash,
            record.created_at,
            ttl,
        )
    except StoreUnavailable as exc:
        log.warning("areq.erro_not_recorded", acsTransID=acs_trans_id, error=str(exc))
