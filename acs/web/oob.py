"""Out-of-band approval over HTTP: the simulated banking app's page for one push
(``/oob/<token>``, public: the link is the credential) and the issuer API
(``POST /issuer/oob/<acsTransID>``, behind the QA token like /qa). The verbs are in
``acs/flows/oob.py``."""

from __future__ import annotations

import msgspec
from aiohttp import web

from acs.challenge.methods.oob import INBOX_PATH
from acs.flows.oob import Decision, UnknownLink, answer_inbox, issuer_decision, show_inbox
from acs.protocol.errors import ProtocolError
from acs.web.appkeys import SERVICES
from acs.web.bodies import read_body
from acs.web.challenge import respond
from acs.web.errors import ApiError
from acs.web.errors import acs_trans_id as acs_trans_id_of
from acs.web.forms import read_form

ISSUER_OOB_PATH = "/issuer/oob/{acs_trans_id}"
_MAX_BODY = 1024


class DecisionBody(msgspec.Struct, forbid_unknown_fields=True):
    decision: Decision


_decode = msgspec.json.Decoder(DecisionBody).decode


def _gone() -> ApiError:
    return ApiError(
        404,
        "no such approval request, or it has expired",
        hint="open the newest link from GET /qa/outbox (a resend replaces earlier links)",
    )


async def inbox(request: web.Request) -> web.Response:
    try:
        return respond(await show_inbox(request.app[SERVICES], request.match_info["token"]))
    except UnknownLink as exc:
        raise _gone() from exc


async def inbox_answer(request: web.Request) -> web.Response:
    try:
        form = await read_form(request)
    except ProtocolError as exc:
        raise ApiError(400, exc.detail, hint="post the page's own form") from exc
    try:
        decision = Decision(str(form.get("decision", "")))
    except ValueError as exc:
        raise ApiError(400, "decision must be approve or deny", field="decision") from exc
    try:
        page = await answer_inbox(request.app[SERVICES], request.match_info["token"], decision)
    except UnknownLink as exc:
        raise _gone() from exc
    return respond(page)


async def issuer_oob(request: web.Request) -> web.Response:
    acs_trans_id = acs_trans_id_of(request.match_info["acs_trans_id"])
    body = await read_body(request, _MAX_BODY)
    try:
        decision = _decode(body).decision
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ApiError(
            400,
            f"body: {exc}",
            field="decision",
            hint='send {"decision": "approve"} or {"decision": "deny"}',
        ) from exc
    try:
        decided = await issuer_decision(request.app[SERVICES], acs_trans_id, decision)
    except KeyError as exc:
        raise ApiError(404, f"no challenge {acs_trans_id}", field="acsTransID") from exc
    if not decided.accepted:
        raise ApiError(
            409,
            f"challenge {acs_trans_id} is not waiting for an out-of-band approval "
            f"(phase {decided.phase}, transStatus {decided.trans_status})",
            hint="approve while the cardholder's challenge shows the out-of-band step",
        )
    return web.json_response(msgspec.to_builtins(decided))


def routes() -> list[web.RouteDef]:
    return [
        web.get(INBOX_PATH + "{token}", inbox, allow_head=False),
        web.post(INBOX_PATH + "{token}", inbox_answer),
        web.post(ISSUER_OOB_PATH, issuer_oob),
    ]
