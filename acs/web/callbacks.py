"""Calls from the issuer's systems: a late biometric verdict (``POST /callbacks/biometric/
<acsTransID>``), authenticated by its signature (``X-ACS-Signature`` with ACS_ISSUER_SECRET), not
by a bearer token. The verb is ``acs.flows.oob.issuer_decision``."""

from __future__ import annotations

from typing import Literal

import msgspec
from aiohttp import web

from acs.challenge.methods.biometric import CALLBACK_PATH
from acs.crypto.signature import SIGNATURE_HEADER, verify_signature
from acs.flows.oob import Decision, issuer_decision
from acs.web.appkeys import SERVICES
from acs.web.bodies import read_body
from acs.web.errors import ApiError
from acs.web.errors import acs_trans_id as acs_trans_id_of

_MAX_BODY = 1024


class VerdictBody(msgspec.Struct):
    verdict: Literal["approved", "denied"]


_decode = msgspec.json.Decoder(VerdictBody).decode


async def biometric(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    acs_trans_id = request.match_info["acs_trans_id"]
    body = await read_body(request, _MAX_BODY)
    if not verify_signature(
        services.settings.issuer_secret, request.headers.get(SIGNATURE_HEADER, ""), body
    ):
        raise ApiError(
            401,
            "missing, wrong or stale signature",
            hint=f"sign the body with ACS_ISSUER_SECRET in {SIGNATURE_HEADER} (t=<unix>,v1=<hex>)",
        )
    acs_trans_id_of(acs_trans_id)
    try:
        verdict = _decode(body).verdict
    except msgspec.MsgspecError as exc:
        hint = 'send {"verdict": "approved"} or {"verdict": "denied"}'
        raise ApiError(400, f"body: {exc}", field="verdict", hint=hint) from exc
    decision = Decision.APPROVE if verdict == "approved" else Decision.DENY
    try:
        decided = await issuer_decision(services, acs_trans_id, decision)
    except KeyError as exc:
        raise ApiError(404, f"no challenge {acs_trans_id}", field="acsTransID") from exc
    if not decided.accepted:
        raise ApiError(409, f"challenge {acs_trans_id} is not waiting for a verdict")
    return web.json_response(msgspec.to_builtins(decided))


def routes() -> list[web.RouteDef]:
    return [web.post(CALLBACK_PATH + "{acs_trans_id}", biometric)]
