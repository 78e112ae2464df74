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


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    emv = request.path.startswith(EMV_PREFIX)
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPRequestEntityTooLarge:
        detail = f"message body larger than {AREQ_MAX_BODY} bytes"
        if emv:
            return _erro(request, ErrorCode.MESSAGE_INVALID, detail, status=413)
        return ApiError(413, detail, hint="send a smaller body").response()
    except StoreUnavailable as exc:
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
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return ApiError(exc.status, exc.reason, hint=f"{request.method} {request.path}").response()
    except Exception:
        log.exception("http.unhandled", path=request.path, method=request.method)
        if emv:
            return _erro(
                request, ErrorCode.PERMANENT_FAILURE, "internal error; see ACS logs", status=500
            )
        return ApiError(500, "internal error; see ACS logs").response()


def _bearer_ok(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


def token_auth(admin_token: str | None, qa_token: str | None) -> Middleware:
    """Bearer tokens, compared in constant time: /admin always needs ACS_ADMIN_TOKEN (the API is
    off without it); /qa needs ACS_QA_TOKEN when one is set (the outbox shows live codes)."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith("/admin"):
            if not admin_token:
                raise ApiError(
                    503, "admin API disabled", hint="start the ACS with ACS_ADMIN_TOKEN set"
                )
            if not _bearer_ok(request, admin_token):
                hint = "send 'Authorization: Bearer <ACS_ADMIN_TOKEN>'"
                raise ApiError(401, "missing or wrong bearer token", hint=hint)
        elif path.startswith("/qa") and qa_token and not _bearer_ok(request, qa_token):
            hint = "send 'Authorization: Bearer <ACS_QA_TOKEN>'"
            raise ApiError(401, "missing or wrong bearer token", hint=hint)
        return await handler(request)

    return check
