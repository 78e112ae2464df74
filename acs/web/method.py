"""The 3DS Method over HTTP (the verbs are in ``acs/flows/method.py``); bad method data is a JSON
error naming threeDSMethodData."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy

from acs.flows.method import (
    COLLECT_PATH,
    FIELD,
    METHOD_PATH,
    MethodDataError,
    method_page,
    record_method,
)
from acs.protocol.errors import ProtocolError
from acs.web.appkeys import SERVICES
from acs.web.challenge import respond
from acs.web.errors import ApiError
from acs.web.forms import read_form


async def _form(request: web.Request) -> MultiDictProxy[str | bytes]:
    try:
        return await read_form(request, message_type="")
    except ProtocolError as exc:
        raise ApiError(400, exc.detail, field=FIELD) from exc


async def method(request: web.Request) -> web.Response:
    form = await _form(request)
    try:
        return respond(method_page(request.app[SERVICES], form.get(FIELD)))
    except MethodDataError as exc:
        raise ApiError(400, str(exc), field=FIELD) from exc


async def collect(request: web.Request) -> web.Response:
    form = await _form(request)
    try:
        return respond(await record_method(request.app[SERVICES], form.get(FIELD), form))
    except MethodDataError as exc:
        raise ApiError(400, str(exc), field=FIELD) from exc


def routes() -> list[web.RouteDef]:
    return [web.post(METHOD_PATH, method), web.post(COLLECT_PATH, collect)]
