"""One place that turns failures into answers: Erro on the EMV routes, JSON elsewhere.

Never a traceback in a body; unexpected errors are logged with the path and answered generically.
"""

from __future__ import annotations

import hmac

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from acs.config import AREQ_MAX_BODY
from acs.protocol.codes import ErrorCode
from acs.protocol.errors import ProtocolError, erro_body
from acs.store.store import StoreUnavailable
from acs.web.appkeys import SERVICES
from acs.web.errors import ApiError

log = structlog.get_logger("acs.http")

EMV_PREFIX = "/3ds/"


BROWSER_PREFIXES = ("/3ds/challenge", "/3ds/method")  # pages in the cardholder's browser


def _erro(request: web.Request, code: ErrorCode, detail: str, status: int = 200) -> web.Response:
    """An Erro as JSON for the DS, or as a page where a cardholder's browser is asking."""
    err = ProtocolError(code, detail)
    if request.path.startswith(BROWSER_PREFIXES):
        page = request.app[SERVICES].renderer.error_page(
            window_size=None,
            language=None,
            error_code=code.value,
            description=code.description,
            detail=detail,
        )
        return web.Response(text=page.html, status=status, headers=page.headers)
    return web.json_response(erro_body(err), status=status)


def guard(admin_token: str | None, qa_token: str | None) -> Middleware:
    """The one middleware: bearer tokens first, then failures into answers. (One layer, not two:
    every layer is another frame on each resume of every request.)"""
    tokens = Tokens(admin_token, qa_token)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            tokens.check(request)
            return await handler(request)
        except Exception as exc:  # answer() re-raises a redirect
            return answer(request, exc)

    return middleware


def answer(request: web.Request, exc: Exception) -> web.StreamResponse:
    """The answer for a failure: Erro on EMV routes, a JSON error elsewhere; never a traceback."""
    emv = request.path.startswith(EMV_PREFIX)
    if isinstance(exc, ApiError):
        return exc.response()
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        detail = f"message body larger than {AREQ_MAX_BODY} bytes"
        if emv:
            return _erro(request, ErrorCode.MESSAGE_INVALID, detail, status=413)
        return ApiError(413, detail, hint="send a smaller body").response()
    if isinstance(exc, StoreUnavailable):
        log.warning("http.store_unavailable", path=request.path, error=str(exc))
        if emv:
            return _erro(
                request,
                ErrorCode.TRANSIENT_FAILURE,
                "store unavailable; retry",
                status=503 if request.path.startswith(BROWSER_PREFIXES) else 200,
            )
        return ApiError(
            503, "store unavailable", hint="check that Redis is running; retry"
        ).response()
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        return ApiError(exc.status, exc.reason, hint=f"{request.method} {request.path}").response()
    log.error("http.unhandled", path=request.path, method=request.method, exc_info=exc)
    if emv:
        return _erro(
            request, ErrorCode.PERMANENT_FAILURE, "internal error; see ACS logs", status=500
        )
    return ApiError(500, "internal error; see ACS logs").response()


def _bearer_ok(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


class Tokens:
    """Bearer tokens, compared in constant time: /admin always needs ACS_ADMIN_TOKEN (the API is
    off without it); /qa needs ACS_QA_TOKEN when one is set (the outbox shows live codes)."""

    def __init__(self, admin_token: str | None, qa_token: str | None) -> None:
        self.admin_token, self.qa_token = admin_token, qa_token

    def check(self, request: web.Request) -> None:
        path = request.path
        if path.startswith("/admin"):
            if not self.admin_token:
                raise ApiError(
                    503, "admin API disabled", hint="start the ACS with ACS_ADMIN_TOKEN set"
                )
            if not _bearer_ok(request, self.admin_token):
                hint = "send 'Authorization: Bearer <ACS_ADMIN_TOKEN>'"
                raise ApiError(401, "missing or wrong bearer token", hint=hint)
        elif path.startswith("/qa") and self.qa_token and not _bearer_ok(request, self.qa_token):
            hint = "send 'Authorization: Bearer <ACS_QA_TOKEN>'"
            raise ApiError(401, "missing or wrong bearer token", hint=hint)
