"""Reading browser form posts: a body that is not UTF-8 form data is the sender's error."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy

from acs.protocol.codes import ErrorCode
from acs.protocol.errors import ProtocolError


async def read_form(
    request: web.Request, message_type: str = "CReq"
) -> MultiDictProxy[str | bytes]:
    try:
        form = await request.post()
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(
            ErrorCode.MESSAGE_INVALID,
            "form body: not UTF-8 application/x-www-form-urlencoded data",
            message_type=message_type,
        ) from exc
    return form  # type: ignore[return-value]
