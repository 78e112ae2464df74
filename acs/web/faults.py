"""Faults over HTTP (acs/faults.py): the ``X-ACS-Fault`` header of a request, the note when
per-request faults are off, and the answers that are no message (HTTP 500, a dropped
connection)."""

from __future__ import annotations

from collections.abc import MutableMapping

from aiohttp import web

from acs.config import Settings
from acs.faults import (
    ENABLE_HINT,
    HEADER,
    IGNORED_HEADER,
    FaultError,
    Faults,
    TransportFault,
    parse_faults,
)
from acs.protocol.codes import ErrorCode
from acs.protocol.errors import ProtocolError


def header_faults(request: web.Request, settings: Settings, message_type: str) -> Faults | None:
    """The request's own faults (``X-ACS-Fault``) when per-request faults are on; a header
    that cannot be read is Erro 203 naming it and listing what is valid. Off, the header is
    ignored (``mark_ignored`` says so on the answer)."""
    text = request.headers.get(HEADER)
    if text is None or not settings.faults:
        return None
    try:
        return parse_faults(text) or None
    except FaultError as exc:
        raise ProtocolError(
            ErrorCode.FORMAT_INVALID, f"{HEADER} header: {exc}", message_type=message_type
        ) from exc


def mark_ignored(
    request: web.Request, settings: Settings, headers: MutableMapping[str, str]
) -> None:
    """An ``X-ACS-Fault`` that was not played because per-request faults are off: the answer
    says so in ``X-ACS-Fault-Ignored``."""
    if not settings.faults and HEADER in request.headers:
        headers[IGNORED_HEADER] = f"per-request faults are off; {ENABLE_HINT}"


def fault_answer(request: web.Request, fault: TransportFault) -> web.Response:
    """No message: the connection closed before any answer (drop), or an HTTP 500 with a text
    body that is no EMV message (http-500)."""
    if fault.drop:
        if request.transport is not None:
            request.transport.close()
        request.protocol.force_close()
        return web.Response(status=500)  # never sent: the connection is gone
    return web.Response(
        status=500,
        text=f"Internal Server Error (injected fault {fault.fault}: no answer)\n",
    )
