"""The HTTP server under the app, so that requests aiohttp's own parser refuses get our answers.

A bad request line, a URL or header over the limits, too many headers, bad chunking or a
Content-Length beside Transfer-Encoding never reach a route or a middleware: aiohttp answers
them in ``RequestHandler.handle_error`` with text/plain (and logs a traceback). Its only hook is
the connection protocol, which the ``web.Server`` builds per connection; the server is made by
``Application._make_handler``, which ``AppRunner`` calls, under ``web.run_app`` (``acs serve``)
and the test server alike. So the app is an ``Application`` whose server builds ``_Protocol``,
which answers those failures as the middleware answers the rest: an Erro (JSON, or a page on
the browser paths) under /3ds/, a JSON error elsewhere.

The parser fails before aiohttp has a request to route, so the path is read off the first bytes
of the connection: a connection that fails in a later request was talking to the same kind of
endpoint (a DS keeps one to /3ds/areq, a browser to the challenge pages).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import unquote

import structlog
from aiohttp import web
from aiohttp.http_exceptions import BadStatusLine, HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from acs.config import AREQ_MAX_BODY
from acs.web.appkeys import SERVICES
from acs.web.middleware import unparseable

log = structlog.get_logger("acs.http")

_HEAD_BYTES = 2048  # enough for a method and the start of a path
# METHOD /path or METHOD http://host/path (absolute form), the path up to ? or #
_REQUEST_LINE = re.compile(
    rb"[!-~]{1,20} +(?:[A-Za-z]+://[^/\x00-\x20]*)?(/[^\x00-\x20?#\x7f-\xff]*)"
)

Answer = Callable[[str | None, int, str], web.StreamResponse]


class _Protocol(RequestHandler):
    """aiohttp's connection protocol: parser failures answered by ``answer``, and a client
    gone before its answer logged as that, not as a server error."""

    __slots__ = ("_answer", "_head")

    def __init__(self, manager: web.Server, answer: Answer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._head = b""
        self._answer = answer

    def data_received(self, data: bytes) -> None:
        if len(self._head) < _HEAD_BYTES:
            self._head += data[: _HEAD_BYTES - len(self._head)]
        super().data_received(data)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, ConnectionError):
            # the client left before its answer (aiohttp writes "100 Continue" before any
            # middleware runs): nothing to answer, and nothing broken to log as an error
            log.info("http.client_gone", error=str(exc))
            gone = web.Response(status=400)
            gone.force_close()
            return gone
        if not isinstance(exc, HttpProcessingError) or status >= 500:
            return super().handle_error(request, status, exc, message)
        found = _REQUEST_LINE.match(self._head)
        path = unquote(found[1].decode("ascii")) if found else None
        detail = _detail(exc, self.max_line_size)
        log.info("http.unparseable", path=path, status=status, error=detail)
        response = self._answer(path, status, detail)
        response.force_close()  # the parser's state is lost: this connection ends here
        return response


def _detail(exc: HttpProcessingError, line_limit: int) -> str:
    if isinstance(exc, LineTooLong):
        return f"HTTP request line or header field longer than {line_limit} bytes"
    if isinstance(exc, BadStatusLine):
        return "HTTP request line unreadable; expected METHOD /path HTTP/1.1"
    first = (exc.message or type(exc).__name__).strip().splitlines()[0].rstrip(":")
    return f"HTTP message unreadable: {first[:200]}"


class _Server(web.Server):
    answer: Answer

    def __call__(self) -> RequestHandler:
        return _Protocol(self, self.answer, loop=self._loop, **self._kwargs)


with warnings.catch_warnings():
    # aiohttp discourages subclassing Application (its private API may change); this one only
    # swaps the connection protocol, and tests/web/test_fuzz_routes.py holds it to that.
    warnings.simplefilter("ignore", DeprecationWarning)

    class Application(web.Application):
        def _make_handler(self, *args: Any, **kwargs: Any) -> web.Server:
            server = super()._make_handler(*args, **kwargs)
            server.__class__ = _Server  # the same server, building our protocol
            ours = cast(_Server, server)
            renderer = self[SERVICES].renderer
            ours.answer = lambda path, status, detail: unparseable(path, renderer, status, detail)
            return ours


def application(**kwargs: Any) -> web.Application:
    """``web.Application(**kwargs)`` whose server answers parser failures itself; bodies are
    decoded by ``acs.web.bodies``, not by aiohttp (``auto_decompress`` off, explained there)."""
    handler_args = {"auto_decompress": False, **kwargs.pop("handler_args", {})}
    kwargs.setdefault("client_max_size", AREQ_MAX_BODY)
    return Application(handler_args=handler_args, **kwargs)
