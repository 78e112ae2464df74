"""The DS-facing endpoint: POST /3ds/areq."""

from __future__ import annotations

import msgspec
from aiohttp import web

from acs.flows.areq import handle_areq
from acs.web.appkeys import SERVICES

_encode = msgspec.json.Encoder().encode


async def areq(request: web.Request) -> web.Response:
    body = await request.read()
    answer = await handle_areq(request.app[SERVICES], body)
    headers = {}
    # 2.3.x: ARes carries X-Request-ID (dsTransID) and X-Response-ID (acsTransID), Table A.29.
    if "dsTransID" in answer:
        headers["X-Request-ID"] = answer["dsTransID"]
    if answer.get("messageType") == "ARes":
        headers["X-Response-ID"] = answer["acsTransID"]
    return web.Response(body=_encode(answer), content_type="application/json", headers=headers)


def routes() -> list[web.RouteDef]:
    return [web.post("/3ds/areq", areq)]
