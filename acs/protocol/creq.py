"""The browser CReq: the ``creq`` form field, base64url JSON (padded or not)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

import msgspec

from acs.protocol.codes import ChallengeWindowSize, ErrorCode, MessageType, MessageVersion
from acs.protocol.errors import ProtocolError, TransactionIds
from acs.protocol.messages import CReq

MAX_CREQ_CHARS = 8192
MAX_SESSION_DATA_CHARS = 1024  # threeDSSessionData (reference section 5.2)
_WINDOW_SIZES = frozenset(w.value for w in ChallengeWindowSize)
_VERSIONS = frozenset(v.value for v in MessageVersion)


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def parse_browser_creq(field: str | None) -> CReq:
    """Decode and check a browser CReq; every problem is a ProtocolError naming the field."""
    if not field:
        raise ProtocolError(
            ErrorCode.REQUIRED_MISSING, "creq: form field missing", message_type="CReq"
        )
    if len(field) > MAX_CREQ_CHARS:
        raise ProtocolError(ErrorCode.MESSAGE_INVALID, "creq: too long", message_type="CReq")
    try:
        data = msgspec.json.decode(b64url_decode(field))
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise ProtocolError(
            ErrorCode.MESSAGE_INVALID, "creq: not base64url-encoded JSON", message_type="CReq"
        ) from exc
    if not isinstance(data, dict):
        raise ProtocolError(
            ErrorCode.MESSAGE_INVALID, "creq: not a JSON object", message_type="CReq"
        )
    ids = TransactionIds(
        threeDSServerTransID=data.get("threeDSServerTransID")
        if _is_uuid(data.get("threeDSServerTransID"))
        else None,
        acsTransID=data.get("acsTransID") if _is_uuid(data.get("acsTransID")) else None,
    )

    def fail(code: ErrorCode, detail: str) -> ProtocolError:
        return ProtocolError(
            code, detail, message_type="CReq", message_version=data.get("messageVersion"), ids=ids
        )

    if data.get("messageType") != MessageType.CREQ.value:
        raise fail(
            ErrorCode.MESSAGE_INVALID,
            f"messageType: expected CReq, got {data.get('messageType')!r}",
        )
    missing = [
        name
        for name in ("messageVersion", "threeDSServerTransID", "acsTransID", "challengeWindowSize")
        if data.get(name) in (None, "")
    ]
    if missing:
        raise fail(ErrorCode.REQUIRED_MISSING, ",".join(missing))
    if data["messageVersion"] not in _VERSIONS:
        raise fail(
            ErrorCode.VERSION_NOT_SUPPORTED,
            f"messageVersion {data['messageVersion']} is not supported; supported: "
            + ", ".join(sorted(_VERSIONS)),
        )
    bad = [name for name in ("threeDSServerTransID", "acsTransID") if not _is_uuid(data[name])]
    if data["challengeWindowSize"] not in _WINDOW_SIZES:
        bad.append("challengeWindowSize")
    if bad:
        raise fail(ErrorCode.FORMAT_INVALID, ",".join(bad) + ": invalid format")
    critical = [
        str(ext.get("id"))
        for ext in data.get("messageExtension") or []
        if isinstance(ext, dict) and ext.get("criticalityIndicator") is True
    ]
    if critical:
        raise fail(
            ErrorCode.CRITICAL_EXTENSION_UNKNOWN,
            ",".join(critical) + ": critical messageExtension not recognised",
        )
    try:
        return msgspec.convert(data, CReq)
    except msgspec.ValidationError as exc:
        raise fail(ErrorCode.FORMAT_INVALID, str(exc)) from exc
