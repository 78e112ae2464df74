"""The DS-facing endpoint: POST /3ds/areq."""

from __future__ import annotations

import msgspec
from aiohttp import web

from acs.config import AREQ_MAX_BODY
from acs.faults import HEADER
from acs.flows.areq import handle_areq
from acs.protocol.codes import MessageVersion
from acs.protocol.messages import ARes, Erro
from acs.web.appkeys import SERVICES
from acs.web.bodies import read_body
from acs.web.faults import mark_ignored

_encode = msgspec.json.Encoder().encode
_HEADED_VERSIONS = frozenset(v.value for v in MessageVersion if v.is_2_3)


async def areq(request: web.Request) -> web.Response:
    body = await read_body(request, AREQ_MAX_BODY)  # a BodyError is an Erro (middleware)
    services = request.app[SERVICES]
    fault_header = request.headers.get(HEADER)  # per-request faults (acs/faults.py)
    # (a TransportFault, an injected HTTP 500 or drop, is answered by the middleware)
    answer = await handle_areq(services, body, fault_header)
    headers = _id_headers(answer)
    if fault_header is not None:
        headers = headers or {}
        mark_ignored(request, services.settings, headers)
    return web.Response(body=_encode(answer), content_type="application/json", headers=headers)


def _id_headers(answer: ARes | Erro) -> dict[str, str] | None:
    """2.3.x (Table A.29): the answer to an AReq carries X-Request-ID (dsTransID) and, for an
    ARes, X-Response-ID (acsTransID). Earlier versions define no such headers."""
    if answer.messageVersion not in _HEADED_VERSIONS:
        return None
    headers = {}
    if answer.dsTransID:
        headers["X-Request-ID"] = answer.dsTransID
    if isinstance(answer, ARes) and answer.acsTransID:
        headers["X-Response-ID"] = answer.acsTransID
    return headers


def routes() -> list[web.RouteDef]:
    return [web.post("/3ds/areq", areq)]
