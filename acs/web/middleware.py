"""One place that turns failures into answers: Erro on the EMV routes, JSON elsewhere.

Never a traceback in a body; unexpected errors are logged with the path and answered generically.
"""

from __future__ import annotations

import hmac

import msgspec
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from acs.challenge.render import Renderer
from acs.challenge.session import Conflict as SessionConflict
from acs.config import AREQ_MAX_BODY, QaAccess, Settings
from acs.faults import TransportFault
from acs.flows.browser import ACS_URL_PATH
from acs.protocol.codes import ErrorCode
from acs.protocol.errors import ProtocolError, erro_message
from acs.store.store import StoreUnavailable
from acs.web.appkeys import SERVICES
from acs.web.bodies import BodyError
from acs.web.errors import ApiError
from acs.web.faults import fault_answer

log = structlog.get_logger("acs.http")

_encode = msgspec.json.Encoder().encode

EMV_PREFIX = "/3ds/"
AREQ_PATH = "/3ds/areq"
DS_PREFIX = "/ds/"  # the DS front (acs/ds/): AReq and PReq from 3DS Servers, RReq from ACSs
HEALTH_PATH = "/healthz"  # answered on both listeners


def is_ds_facing(path: str) -> bool:
    """The routes a DS or a 3DS Server calls: with --ds-port, served on that listener only
    (mutual TLS there), and everything else on the public one."""
    return path == AREQ_PATH or path.startswith(DS_PREFIX)


BROWSER_PREFIXES = ("/3ds/challenge", "/3ds/method")  # pages in the cardholder's browser


# A 3DS SDK posts its JWE CReq to the same acsURL as the browser: its Erro is JSON, not a page.
APP_CONTENT_TYPES = frozenset({"application/jose", "application/jwt"})


def _erro(request: web.Request, code: ErrorCode, detail: str, status: int = 200) -> web.Response:
    return erro_answer(request, ProtocolError(code, detail), status)


def erro_answer(request: web.Request, err: ProtocolError, status: int = 200) -> web.Response:
    """The one place an Erro becomes an answer: JSON for the DS and for a 3DS SDK (with 200, as
    SDKs read an Erro from a JSON body), or a page where a cardholder's browser is asking
    (fitted to the window and language the error carries)."""
    if request.path == ACS_URL_PATH and request.content_type in APP_CONTENT_TYPES:
        return _json(err, 200)  # (the challenge pages' own routes answer only browsers)
    return _erro_for(request.path, request.app[SERVICES].renderer, err, status)


def _erro_for(path: str, renderer: Renderer, err: ProtocolError, status: int) -> web.Response:
    if path.startswith(BROWSER_PREFIXES):
        page = renderer.error_page(
            window_size=err.window_size,
            language=err.language,
            error_code=err.code.value,
            description=err.code.description,
            detail=err.detail,
        )
        return web.Response(text=page.html, status=status, headers=page.headers)
    return _json(err, status)


def _json(err: ProtocolError, status: int) -> web.Response:
    return web.Response(
        body=_encode(erro_message(err)), status=status, content_type="application/json"
    )


def unparseable(path: str | None, renderer: Renderer, status: int, detail: str) -> web.Response:
    """The answer to a request aiohttp's HTTP parser refused (see ``acs.web.server``); ``path``
    is None when not even the request line could be read."""
    if path is not None and path.startswith(EMV_PREFIX):
        err = ProtocolError(ErrorCode.MESSAGE_INVALID, detail)
        return _erro_for(path, renderer, err, status)
    return ApiError(status, detail, hint="send a well-formed HTTP/1.1 request").response()


def guard(settings: Settings) -> Middleware:
    """The one middleware: bearer tokens first, then failures into answers. (One layer, not two:
    every layer is another frame on each resume of every request.)"""
    tokens = Tokens(settings.admin_token, settings.qa_token, settings.qa_access, settings.host)
    split = ListenerSplit(settings.port, settings.ds_port) if settings.ds_port else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            if split is not None:
                split.check(request)
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
    if isinstance(exc, TransportFault):  # an injected fault (acs/faults.py): no message at all
        log.info("fault.transport", path=request.path, fault=str(exc.fault))
        return fault_answer(request, exc)
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        detail = f"message body larger than {AREQ_MAX_BODY} bytes"
        if emv:
            return _erro(request, ErrorCode.MESSAGE_INVALID, detail, status=413)
        return ApiError(413, detail, hint="send a smaller body").response()
    if isinstance(exc, BodyError):
        if emv:
            return _erro(request, ErrorCode.MESSAGE_INVALID, exc.detail, status=exc.status)
        return ApiError(exc.status, exc.detail, hint="resend the JSON body uncompressed").response()
    if isinstance(exc, ProtocolError) and emv:  # the challenge verbs raise theirs
        log.info(
            "challenge.erro",
            path=request.path,
            errorCode=exc.code.value,
            errorDetail=exc.detail,
            acsTransID=exc.ids.acsTransID,
        )
        return erro_answer(request, exc, status=400)
    if isinstance(exc, StoreUnavailable | SessionConflict):
        busy = isinstance(exc, SessionConflict)  # rare: other writers kept winning the session
        log.warning("http.store_unavailable", path=request.path, error=repr(exc))
        if emv:
            return _erro(
                request,
                ErrorCode.TRANSIENT_FAILURE,
                "challenge busy; retry" if busy else "store unavailable; retry",
                status=503 if request.path.startswith(BROWSER_PREFIXES) else 200,
            )
        return ApiError(
            503, "store unavailable", hint="check that Redis is running; retry"
        ).response()
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        if request.path == AREQ_PATH or request.path.startswith(BROWSER_PREFIXES):
            # a DS or a browser reads nothing but an Erro (or its page) there: GET /3ds/areq too
            detail = f"{request.method} {request.path}: {exc.reason}"
            response = _erro(request, ErrorCode.MESSAGE_INVALID, detail, status=exc.status)
        else:
            hint = f"{request.method} {request.path}"
            response = ApiError(exc.status, exc.reason, hint=hint).response()
        if "Allow" in exc.headers:  # 405 says what is allowed
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    log.error("http.unhandled", path=request.path, method=request.method, exc_info=exc)
    if emv:
        return _erro(
            request, ErrorCode.PERMANENT_FAILURE, "internal error; see ACS logs", status=500
        )
    return ApiError(500, "internal error; see ACS logs").response()


class ListenerSplit:
    """With --ds-port, one app answers on two listeners: the DS-facing routes on the DS one
    (where mutual TLS refuses unknown clients at the handshake), the rest on the public one.
    The listener is told by the port the connection came in on."""

    def __init__(self, port: int, ds_port: int) -> None:
        self.port, self.ds_port = port, ds_port

    def check(self, request: web.Request) -> None:
        path = request.path
        if path == HEALTH_PATH:
            return
        transport = request.transport
        sockname = transport.get_extra_info("sockname") if transport else None
        on_ds = isinstance(sockname, tuple) and sockname[1] == self.ds_port
        if is_ds_facing(path) == on_ds:
            return
        if on_ds:
            raise ApiError(
                404,
                f"{path} is not served on the DS port {self.ds_port}",
                hint=f"send it to the public port {self.port}",
            )
        # the AReq's answer is an Erro naming the port (the middleware's HTTPException branch)
        raise web.HTTPNotFound(
            reason=f"served on the DS port {self.ds_port} only (--ds-port), not on {self.port}"
        )


def _bearer_ok(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


QA_STATE_PATH = "/qa/state"  # its DELETE wipes what every suite on this ACS shares: admin only


class Tokens:
    """Bearer tokens, compared in constant time: /admin and /qa/state always need
    ACS_ADMIN_TOKEN (they are off without it); the rest of /qa and the simulated issuer's
    /issuer need ACS_QA_TOKEN when one is set (the outbox shows live codes, /issuer approves
    payments), and without one they are open only on loopback or with --qa-open
    (``Settings.qa_access``)."""

    def __init__(
        self,
        admin_token: str | None,
        qa_token: str | None,
        qa_access: QaAccess = QaAccess.LOOPBACK,
        host: str = "127.0.0.1",
    ) -> None:
        self.admin_token, self.qa_token = admin_token, qa_token
        self.qa_closed = qa_access is QaAccess.CLOSED
        self.host = host

    def check(self, request: web.Request) -> None:
        path = request.path
        if path.startswith("/admin") or path == QA_STATE_PATH:
            if not self.admin_token:
                raise ApiError(
                    503, "admin API disabled", hint="start the ACS with ACS_ADMIN_TOKEN set"
                )
            if not _bearer_ok(request, self.admin_token):
                hint = "send 'Authorization: Bearer <ACS_ADMIN_TOKEN>'"
                raise ApiError(401, "missing or wrong bearer token", hint=hint)
        elif path.startswith(("/qa", "/issuer/")):
            if self.qa_token:
                if not _bearer_ok(request, self.qa_token):
                    hint = "send 'Authorization: Bearer <ACS_QA_TOKEN>'"
                    raise ApiError(401, "missing or wrong bearer token", hint=hint)
            elif self.qa_closed:
                raise ApiError(
                    403,
                    f"QA API closed: the ACS listens on {self.host}, not loopback, and has no "
                    "QA token (the outbox shows live codes)",
                    hint="set ACS_QA_TOKEN, or start with --qa-open to leave the QA API open "
                    f"on {self.host}",
                )
