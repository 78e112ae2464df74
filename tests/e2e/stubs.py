"""Stub counterparts of the ACS for the end-to-end tests: a Directory Server and a merchant.

Both are small aiohttp apps served on 127.0.0.1 (ephemeral ports) in the test's event loop, so
the real browser can reach them and the ACS can post its RReq to them.

- ``StubDS`` records every RReq body and answers a valid RRes; it can answer HTTP 500 to the
  first N attempts, to exercise the ACS's RReq retries.
- ``StubMerchant`` serves the 3DS Requestor's checkout page (an ``<iframe name="challenge">``
  sized for the challengeWindowSize and a form that auto-posts ``creq`` and
  ``threeDSSessionData`` into it) and the notificationURL, which records the final ``cres``.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

# EMV challengeWindowSize -> iframe (width, height); 05 is the whole viewport.
WINDOW_SIZES: dict[str, tuple[int, int] | None] = {
    "01": (250, 400),
    "02": (390, 400),
    "03": (500, 600),
    "04": (600, 400),
    "05": None,
}


class StubDS:
    """Records every RReq and answers an RRes, except to the first ``fail_first`` attempts:
    those get HTTP 500 at once or, with ``hang_seconds``, no answer for that long."""

    def __init__(self, fail_first: int = 0, hang_seconds: float = 0.0) -> None:
        self.fail_first = fail_first
        self.hang_seconds = hang_seconds
        self.received: list[dict[str, Any]] = []  # every RReq body, failed attempts included
        self.acknowledged: list[dict[str, Any]] = []  # the RReqs answered with an RRes
        self.headers: list[dict[str, str]] = []
        self.server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/rreq"))

    async def _rreq(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        self.received.append(body)
        self.headers.append(dict(request.headers))
        if len(self.received) <= self.fail_first:
            if self.hang_seconds:
                await asyncio.sleep(self.hang_seconds)  # longer than the ACS waits for an RRes
            return web.Response(status=500, text="stub DS: failing on purpose")
        self.acknowledged.append(body)
        rres = {
            "messageType": "RRes",
            "messageVersion": body.get("messageVersion"),
            "threeDSServerTransID": body.get("threeDSServerTransID"),
            "acsTransID": body.get("acsTransID"),
            "dsTransID": body.get("dsTransID"),
            "resultsStatus": "01",
        }
        return web.json_response(rres)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/rreq", self._rreq)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()


@dataclass(frozen=True, slots=True)
class Checkout:
    acs_url: str
    creq: str
    session_data: str
    window_size: str


class StubMerchant:
    """The 3DS Requestor's side of the browser: the checkout page and the notificationURL."""

    def __init__(self) -> None:
        self.checkouts: dict[str, Checkout] = {}
        self.notifications: list[dict[str, str]] = []  # the forms posted to the notificationURL
        self.server: TestServer | None = None
        self._ids = itertools.count(1)

    @property
    def origin(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    @property
    def notify_url(self) -> str:
        return f"{self.origin}/notify"

    def checkout_url(self, acs_url: str, creq: str, session_data: str, window_size: str) -> str:
        """A checkout page that frames the challenge; loading it (again) posts the CReq."""
        checkout_id = str(next(self._ids))
        self.checkouts[checkout_id] = Checkout(acs_url, creq, session_data, window_size)
        return f"{self.origin}/checkout/{checkout_id}"

    async def _checkout(self, request: web.Request) -> web.Response:
        checkout = self.checkouts[request.match_info["id"]]
        size = WINDOW_SIZES[checkout.window_size]
        if size is None:  # full page: the iframe is the whole viewport
            frame_attrs = 'width="100%" height="100%" style="border:0;display:block;position:fixed;'
            frame_attrs += 'top:0;left:0;width:100%;height:100%"'
        else:
            frame_attrs = f'width="{size[0]}" height="{size[1]}" style="border:0;display:block"'
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stub merchant checkout</title>
<style>html,body{{margin:0;padding:0}}</style></head>
<body>
<form id="challenge-form" method="post" action="{html.escape(checkout.acs_url)}"
      target="challenge">
  <input type="hidden" name="creq" value="{html.escape(checkout.creq)}">
  <input type="hidden" name="threeDSSessionData" value="{html.escape(checkout.session_data)}">
</form>
<iframe name="challenge" title="3-D Secure" {frame_attrs}></iframe>
<script>document.getElementById("challenge-form").submit();</script>
</body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def _notify(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.notifications.append({name: str(value) for name, value in form.items()})
        done = '<!doctype html><html><head><title>done</title></head><body><p id="done">done</p>'
        return web.Response(text=done + "</body></html>", content_type="text/html")

    async def _favicon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/checkout/{id}", self._checkout)
        app.router.add_post("/notify", self._notify)
        app.router.add_get("/favicon.ico", self._favicon)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()
