"""The DS front's HTTP side: the routes a 3DS Server and an ACS call, and ``acs ds``'s app."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from time import perf_counter

import msgspec
from aiohttp import web

from acs.ds.areq import route_areq
from acs.ds.config import AREQ_PATH, PREQ_PATH, RREQ_PATH, SINK_PATH
from acs.ds.preq import answer_preq, play_faults
from acs.ds.records import decode_event, decode_record
from acs.ds.rreq import relay_rreq, relay_view
from acs.ds.server import Answer, DirectoryServer
from acs.faults import ENABLE_HINT, HEADER, IGNORED_HEADER, FaultError, parse_faults
from acs.protocol.codes import ErrorCode, ErrorComponent, MessageType
from acs.protocol.errors import ProtocolError, TransactionIds, erro_message
from acs.protocol.messages import RReq, acknowledgement

DS_FRONT = web.AppKey("ds_front", DirectoryServer)
MAX_BODY = 256 * 1024  # an AReq's deviceInfo and messageExtension fit with room to spare
TRANSACTIONS_PATH = "/ds/transactions/{dsTransID}"

_encode = msgspec.json.Encoder().encode
_decode_rreq = msgspec.json.Decoder(RReq).decode


Verb = Callable[[DirectoryServer, bytes], Awaitable[Answer]]
Handler = Callable[[web.Request], Awaitable[web.Response]]


def _handler(
    verb: Verb, message_type: MessageType
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            body = await request.read()  # bounded by the app's client_max_size
        except web.HTTPRequestEntityTooLarge:
            err = ProtocolError(
                ErrorCode.MESSAGE_INVALID,
                f"body: larger than {request.client_max_size} bytes",
                message_type=message_type.value,
                component=ErrorComponent.DIRECTORY_SERVER,
            )
            return _json(Answer(_encode(erro_message(err))))
        return _json(await verb(request.app[DS_FRONT], body))

    return handle


async def preq(request: web.Request) -> web.Response:
    """PReq -> PRes, with the request's faults (``X-ACS-Fault``, acs/faults.py) when --faults
    is on; off, the answer says the header was ignored."""
    started = perf_counter()
    ds = request.app[DS_FRONT]
    text = request.headers.get(HEADER)
    response = await _answer_preq(request)
    if text is None:
        return response
    if not ds.config.faults:
        response.headers[IGNORED_HEADER] = f"per-request faults are off; {ENABLE_HINT}"
        return response
    try:
        faults = parse_faults(text)
    except FaultError as exc:
        err = ProtocolError(
            ErrorCode.FORMAT_INVALID,
            f"{HEADER} header: {exc}",
            message_type=MessageType.PREQ.value,
            component=ErrorComponent.DIRECTORY_SERVER,
        )
        return _json(Answer(_encode(erro_message(err))))
    assert isinstance(response.body, bytes)
    ids = {k: v for k, v in response.headers.items() if k.startswith("X-")}  # 2.3.1 IDs
    answer = Answer(response.body, ids or None)
    return _json(await play_faults(answer, faults, started))


_answer_preq = _handler(answer_preq, MessageType.PREQ)


def _json(answer: Answer) -> web.Response:
    return web.Response(body=answer.body, content_type="application/json", headers=answer.headers)


async def sink(request: web.Request) -> web.Response:
    """A stand-in threeDSServerURL for trying the DS front without a 3DS Server: it
    acknowledges every well-formed RReq with RRes 01 (received), and keeps nothing (the DS
    keeps the relay: GET /ds/transactions/{dsTransID})."""
    try:
        rreq = _decode_rreq(await request.read())
    except (msgspec.MsgspecError, web.HTTPRequestEntityTooLarge) as exc:
        err = ProtocolError(
            ErrorCode.MESSAGE_INVALID,
            f"not an RReq: {str(exc)[:200]}",
            message_type=MessageType.RREQ.value,
            ids=TransactionIds(),
            component=ErrorComponent.THREE_DS_SERVER,
        )
        return _json(Answer(_encode(erro_message(err))))
    return _json(Answer(_encode(acknowledgement(rreq))))


async def transaction(request: web.Request) -> web.Response:
    """What the DS did for one transaction it routed to a challenge: the record and each
    RReq relayed (outcome, resultsStatus, attempts)."""
    ds_trans_id = request.match_info["dsTransID"]
    try:
        uuid.UUID(ds_trans_id)
    except ValueError:
        return web.json_response(
            {"error": f"dsTransID {ds_trans_id[:40]!r}: give the UUID from the ARes"}, status=400
        )
    ds = request.app[DS_FRONT]
    raw, _ = await ds.store.ds_relay_state(ds_trans_id)
    if raw is None:
        return web.json_response(
            {
                "error": f"dsTransID {ds_trans_id}: not a challenge this DS routed (frictionless "
                "answers leave no record), or its record expired"
            },
            status=404,
        )
    events = [decode_event(e) for e in await ds.store.ds_events(ds_trans_id)]
    return web.json_response(relay_view(decode_record(raw), events))


def routes() -> list[web.RouteDef]:
    return [
        web.post(AREQ_PATH, _handler(route_areq, MessageType.AREQ)),
        web.post(PREQ_PATH, preq),
        web.post(RREQ_PATH, _handler(relay_rreq, MessageType.RREQ)),
        web.post(SINK_PATH, sink),
        web.get(TRANSACTIONS_PATH, transaction),
    ]


def create_ds_app(ds: DirectoryServer) -> web.Application:
    """``acs ds``: the DS front alone, routing to a remote ACS."""
    app = web.Application(client_max_size=MAX_BODY)
    app[DS_FRONT] = ds
    app.add_routes(routes())

    async def close(_app: web.Application) -> None:
        await ds.http.close()
        await ds.store.close()

    app.on_cleanup.append(close)
    return app
