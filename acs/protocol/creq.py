"""The browser CReq: the ``creq`` form field, base64url JSON (padded or not)."""

from __future__ import annotations

import base64
import binascii
import typing
import uuid
from typing import Any, cast

import msgspec

from acs.protocol.codes import ChallengeWindowSize, ErrorCode, MessageType, MessageVersion
from acs.protocol.errors import ProtocolError, TransactionIds
from acs.protocol.messages import CReq, MessageExtension

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


_KINDS = {str: "a string", bool: "a boolean", list: "an array", dict: "an object"}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), "null" if value is None else "a number")


def _json_type(annotation: Any) -> type:
    """The JSON type of a ``X | None`` member (str, bool or list); object for ``Any``."""
    if annotation is Any:
        return object
    (kind,) = {typing.get_origin(a) or a for a in typing.get_args(annotation)} - {type(None)}
    return cast(type, kind)


# Every CReq member and the JSON type it must have (each is read here or by the flow).
_MEMBER_TYPES = {f.name: _json_type(f.type) for f in msgspec.structs.fields(CReq)}
_EXTENSION_TYPES = {f.name: _json_type(f.type) for f in msgspec.structs.fields(MessageExtension)}


def _wrong_types(data: dict[str, Any]) -> list[str]:
    """The members present with the wrong JSON type, each as "name: must be X, got Y"."""
    bad = [
        f"{name}: must be {_KINDS[kind]}, got {_kind(data[name])}"
        for name, kind in _MEMBER_TYPES.items()
        if data.get(name) is not None and type(data[name]) is not kind
    ]
    extensions = data.get("messageExtension")
    for i, ext in enumerate(extensions if isinstance(extensions, list) else ()):
        if not isinstance(ext, dict):
            bad.append(f"messageExtension[{i}]: must be an object, got {_kind(ext)}")
            continue
        bad += [
            f"messageExtension[{i}].{name}: must be {_KINDS[kind]}, got {_kind(ext[name])}"
            for name, kind in _EXTENSION_TYPES.items()
            if kind is not object and ext.get(name) is not None and type(ext[name]) is not kind
        ]
    return bad


def parse_browser_creq(field: str | None) -> CReq:
    """Decode and check a browser CReq; every problem is a ProtocolError naming the field.

    Each member is type-checked before it is used: a list or object where a string belongs is
    a 203 naming it, never an exception (an unhashable value would break a set lookup).
    """
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
    version = data.get("messageVersion")

    def fail(code: ErrorCode, detail: str) -> ProtocolError:
        return ProtocolError(
            code,
            detail,
            message_type="CReq",
            message_version=version if isinstance(version, str) else None,
            ids=ids,
        )

    message_type = data.get("messageType")
    if message_type != MessageType.CREQ.value:
        got = repr(message_type[:40]) if isinstance(message_type, str) else _kind(message_type)
        raise fail(ErrorCode.MESSAGE_INVALID, f"messageType: expected CReq, got {got}")
    missing = [
        name
        for name in ("messageVersion", "threeDSServerTransID", "acsTransID", "challengeWindowSize")
        if data.get(name) in (None, "")
    ]
    if missing:
        raise fail(ErrorCode.REQUIRED_MISSING, ",".join(missing))
    wrong = _wrong_types(data)
    if wrong:
        raise fail(ErrorCode.FORMAT_INVALID, "; ".join(wrong))
    if version not in _VERSIONS:  # a str by now
        raise fail(
            ErrorCode.VERSION_NOT_SUPPORTED,
            f"messageVersion {str(version)[:16]} is not supported; supported: "
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
        if ext.get("criticalityIndicator") is True
    ]
    if critical:
        raise fail(
            ErrorCode.CRITICAL_EXTENSION_UNKNOWN,
            ",".join(critical) + ": critical messageExtension not recognised",
        )
    try:
        return msgspec.convert(data, CReq)
    except msgspec.ValidationError as exc:  # the checks above leave nothing; kept as a net
        raise fail(ErrorCode.FORMAT_INVALID, f"creq: {exc}") from exc
