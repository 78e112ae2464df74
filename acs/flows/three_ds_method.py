"""three_ds_method: the threeDSMethodURL. The requestor's hidden iframe posts threeDSMethodData;
the ACS page collects browser signals, keeps them by threeDSServerTransID (the AReq that follows
carries the same ID) and posts threeDSMethodData back to threeDSMethodNotificationURL.
"""

from __future__ import annotations

import asyncio
import binascii
import time
from collections.abc import Awaitable
from typing import Any

import msgspec
import structlog
from aiohttp import web

from acs.challenge.render import METHOD_SIGNALS, Page
from acs.protocol import urls
from acs.protocol.creq import b64url_decode, b64url_encode
from acs.protocol.errors import ProtocolError
from acs.protocol.fields import is_uuid
from acs.store.store import Store
from acs.web.appkeys import SERVICES
from acs.web.errors import ApiError
from acs.web.forms import read_form

log = structlog.get_logger("acs.method")

METHOD_PATH = "/3ds/method"
COLLECT_PATH = "/3ds/method/collect"
METHOD_TTL_SECONDS = 600  # the AReq follows the method within seconds; keep it ten minutes


class MethodData(msgspec.Struct):
    threeDSServerTransID: str
    threeDSMethodNotificationURL: str | None = None


def method_key(three_ds_server_trans_id: str) -> str:
    return f"acs:{{{three_ds_server_trans_id}}}:method"


def _parse(field: Any) -> MethodData:
    if not isinstance(field, str) or not field or len(field) > 4096:
        raise ApiError(400, "threeDSMethodData: missing or too long", field="threeDSMethodData")
    try:
        data = msgspec.json.decode(b64url_decode(field), type=MethodData)
        if not is_uuid(data.threeDSServerTransID):  # the AReq's must match it, canonical
            raise ValueError("threeDSServerTransID")
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ApiError(
            400,
            "threeDSMethodData: expected base64url JSON with threeDSServerTransID (a UUID) and "
            "threeDSMethodNotificationURL",
            field="threeDSMethodData",
        ) from exc
    # The page after collection posts there: refuse now what its CSP could not name.
    if not urls.is_web_url(data.threeDSMethodNotificationURL):
        raise ApiError(
            400,
            f"threeDSMethodData: threeDSMethodNotificationURL must be {urls.WEB_URL_RULE}",
            field="threeDSMethodData",
        )
    return data


async def _form(request: web.Request) -> Any:
    try:
        return await read_form(request, message_type="")
    except ProtocolError as exc:
        raise ApiError(400, exc.detail, field="threeDSMethodData") from exc


def _respond(page: Page) -> web.Response:
    return web.Response(text=page.html, headers=page.headers)  # headers carry the type


async def method(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    form = await _form(request)
    _parse(form.get("threeDSMethodData"))  # refuse bad data before showing the page
    page = services.renderer.method_page(
        collect_url=services.settings.public_url + COLLECT_PATH,
        method_data=str(form["threeDSMethodData"]),
    )
    return _respond(page)


async def collect(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    form = await _form(request)
    data = _parse(form.get("threeDSMethodData"))
    signals = {name: str(form.get(name, ""))[:64] for name in METHOD_SIGNALS if form.get(name)}
    record = {
        "threeDSServerTransID": data.threeDSServerTransID,
        "completed_at": time.time(),
        "signals": signals,
    }
    await services.store.batch.command(
        "SET",
        method_key(data.threeDSServerTransID),
        msgspec.json.encode(record),
        "EX",
        METHOD_TTL_SECONDS,
    )
    log.info(
        "method.completed", threeDSServerTransID=data.threeDSServerTransID, signals=sorted(signals)
    )
    answer = b64url_encode(msgspec.json.encode({"threeDSServerTransID": data.threeDSServerTransID}))
    page = services.renderer.method_done_page(
        notification_url=data.threeDSMethodNotificationURL or "", method_data=answer
    )
    return _respond(page)


def method_record(
    store: Store, three_ds_server_trans_id: str | None
) -> Awaitable[dict[str, Any] | None]:
    """The signals the method collected for this transaction, if it ran; queued at the call."""
    if not three_ds_server_trans_id:
        none: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        none.set_result(None)
        return none
    return store.batch.command("GET", method_key(three_ds_server_trans_id), parse=_method_signals)


def _method_signals(raw: bytes | None) -> dict[str, Any] | None:
    return msgspec.json.decode(raw) if raw else None


def routes() -> list[web.RouteDef]:
    return [web.post(METHOD_PATH, method), web.post(COLLECT_PATH, collect)]
