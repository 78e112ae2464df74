"""The 3DS Method as HTTP-free verbs (``acs/web/method.py`` is the HTTP side): the requestor's
hidden iframe posts threeDSMethodData to the threeDSMethodURL; the ACS page collects browser
signals, ``record_method`` keeps them by threeDSServerTransID (the AReq that follows carries the
same ID) and answers the page that posts threeDSMethodData back to threeDSMethodNotificationURL.
"""

from __future__ import annotations

import asyncio
import binascii
import time
from collections.abc import Awaitable, Mapping
from typing import Any

import msgspec
import structlog

from acs.challenge.render import METHOD_SIGNALS, Page
from acs.protocol import urls
from acs.protocol.creq import b64url_decode, b64url_encode
from acs.protocol.fields import is_uuid
from acs.services import Services
from acs.store.store import Store

log = structlog.get_logger("acs.method")

METHOD_PATH = "/3ds/method"
COLLECT_PATH = "/3ds/method/collect"
METHOD_TTL_SECONDS = 600  # the AReq follows the method within seconds; keep it ten minutes
FIELD = "threeDSMethodData"


class MethodDataError(ValueError):
    """threeDSMethodData the ACS cannot use; the message says what to send instead."""


class MethodData(msgspec.Struct):
    threeDSServerTransID: str
    threeDSMethodNotificationURL: str | None = None


def method_key(three_ds_server_trans_id: str) -> str:
    return f"acs:{{{three_ds_server_trans_id}}}:method"


def _parse(field: Any) -> MethodData:
    if not isinstance(field, str) or not field or len(field) > 4096:
        raise MethodDataError(f"{FIELD}: missing or too long")
    try:
        data = msgspec.json.decode(b64url_decode(field), type=MethodData)
        if not is_uuid(data.threeDSServerTransID):  # the AReq's must match it, canonical
            raise ValueError("threeDSServerTransID")
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MethodDataError(
            f"{FIELD}: expected base64url JSON with threeDSServerTransID (a UUID) and "
            "threeDSMethodNotificationURL"
        ) from exc
    # The page after collection posts there: refuse now what its CSP could not name.
    if not urls.is_web_url(data.threeDSMethodNotificationURL):
        raise MethodDataError(f"{FIELD}: threeDSMethodNotificationURL must be {urls.WEB_URL_RULE}")
    return data


def method_page(services: Services, method_data: object) -> Page:
    """The threeDSMethodURL's page: it collects the signals and posts them to COLLECT_PATH."""
    _parse(method_data)  # refuse bad data before showing the page
    return services.renderer.method_page(
        collect_url=services.settings.public_url + COLLECT_PATH, method_data=str(method_data)
    )


async def record_method(
    services: Services, method_data: object, form: Mapping[str, object]
) -> Page:
    """Keep the signals the page collected; answer the page that notifies the requestor."""
    data = _parse(method_data)
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
    return services.renderer.method_done_page(
        notification_url=data.threeDSMethodNotificationURL or "", method_data=answer
    )


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
