"""Reading browser form posts: a body that is not a readable form is the sender's error."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy

from acs.protocol.codes import ErrorCode
from acs.protocol.errors import ProtocolError
from acs.web.bodies import content_encoding


async def read_form(
    request: web.Request, message_type: str = "CReq"
) -> MultiDictProxy[str | bytes]:
    """The form fields (a multipart file field is a FileField, never a str: callers check).

    Every failure to read the body is a ProtocolError 101, whatever aiohttp raised.
    """
    encoding = content_encoding(request)
    if encoding != "identity":  # browsers never encode a form post; bodies.py explains why
        raise ProtocolError(
            ErrorCode.MESSAGE_INVALID,
            f"form body: Content-Encoding {encoding[:40]} is not supported; post it unencoded",
            message_type=message_type,
        )
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise  # answered as 413 by the middleware
    # request.post() reports a bad body in many types: LookupError (unknown charset),
    # UnicodeDecodeError, ValueError, HTTPBadRequest (too many fields), RuntimeError and
    # AssertionError from the multipart reader, RequestPayloadError (broken chunks).
    except Exception as exc:
        raise ProtocolError(
            ErrorCode.MESSAGE_INVALID,
            f"form body: unreadable ({_reason(exc)}); send UTF-8 "
            "application/x-www-form-urlencoded or multipart/form-data",
            message_type=message_type,
        ) from exc
    return form  # type: ignore[return-value]


def _reason(exc: Exception) -> str:
    if isinstance(exc, LookupError):
        return f"unknown charset {str(exc)[:60]}"
    if isinstance(exc, UnicodeError):
        return "not valid text in its charset"
    if isinstance(exc, web.HTTPException):
        return (exc.text or exc.reason)[:100]
    return type(exc).__name__
