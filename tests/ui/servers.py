"""Two tiny aiohttp apps on two loopback ports, in a thread, for the real-browser tests.

The ACS app serves the rendered pages and the static folder; the merchant app serves the parent
page with the iframe and records what the pages post to it. Different ports make the iframe
cross-origin, as it is in production, so frame-ancestors and form-action really apply.
"""

from __future__ import annotations

import asyncio
import html
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from acs.challenge.render import Page, Renderer
from tests.ui.conftest import otp_kwargs

Posts = dict[str, list[dict[str, str]]]

ERROR_DESCRIPTION = "Format of one or more Data Elements is Invalid according to the Specification"
ERROR_DETAIL = "challengeWindowSize: expected one of 01, 02, 03, 04, 05; got 06 (CReq, requestor)"

# A page that breaks the CSP on purpose, to prove the violation listener really listens.
CANARY_SCRIPT = "<script>document.title = 'unsafe';</script>"


async def form(request: web.Request) -> dict[str, str]:
    return {name: str(value) for name, value in (await request.post()).items()}


def respond(page: Page) -> web.Response:
    return web.Response(text=page.html, headers=page.headers)


def acs_app(
    renderer: Renderer, static_dir: Path, posts: Posts, merchant: list[str]
) -> web.Application:
    """merchant[0] is the merchant's origin, known only once both apps listen."""

    async def otp(request: web.Request) -> web.Response:
        q = request.query
        overrides: dict[str, object] = {"window_size": q["size"], "language": q["lang"]}
        if "message" in q:
            overrides["message"] = q["message"] or None
        return respond(renderer.otp_page(**otp_kwargs(form_action="/otp-submit", **overrides)))

    async def otp_submit(request: web.Request) -> web.Response:
        posts["otp"].append(await form(request))
        return web.Response(text="<p>posted</p>", content_type="text/html")

    async def final(request: web.Request) -> web.Response:
        q = request.query
        page = renderer.final_page(
            window_size=q.get("size", "02"),
            language=q.get("lang"),
            notification_url=f"{merchant[0]}/notify",
            cres=q["cres"],
            session_data=q.get("session"),
        )
        return respond(page)

    async def error(request: web.Request) -> web.Response:
        q = request.query
        page = renderer.error_page(
            window_size=q["size"],
            language=q["lang"],
            error_code="203",
            description=ERROR_DESCRIPTION,
            detail=ERROR_DETAIL,
        )
        return respond(page)

    async def method(request: web.Request) -> web.Response:
        return respond(renderer.method_page(collect_url="/method/collect", method_data="bWV0aG9k"))

    async def collect(request: web.Request) -> web.Response:
        posts["collect"].append(await form(request))
        done = renderer.method_done_page(
            notification_url=f"{merchant[0]}/method-notify", method_data="ZG9uZQ"
        )
        return respond(done)

    async def canary(request: web.Request) -> web.Response:
        page = renderer.otp_page(**otp_kwargs())
        return web.Response(
            text=page.html.replace("</body>", CANARY_SCRIPT + "</body>"), headers=page.headers
        )

    app = web.Application()
    app.router.add_get("/otp", otp)
    app.router.add_post("/otp-submit", otp_submit)
    app.router.add_get("/final", final)
    app.router.add_get("/error", error)
    app.router.add_get("/method", method)
    app.router.add_post("/method/collect", collect)
    app.router.add_get("/canary", canary)
    app.router.add_static(renderer.static_prefix, static_dir)
    return app


def merchant_app(posts: Posts) -> web.Application:
    async def parent(request: web.Request) -> web.Response:
        q = request.query
        body = (
            "<!doctype html><html><head><title>Merchant checkout</title></head>"
            '<body style="margin:0">'
            f'<iframe id="acs" title="3-D Secure" src="{html.escape(q["src"])}" '
            f'width="{int(q["w"])}" height="{int(q["h"])}" style="border:0;display:block"></iframe>'
            "</body></html>"
        )
        return web.Response(text=body, content_type="text/html")

    def recorder(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def record(request: web.Request) -> web.Response:
            posts[name].append(await form(request))
            return web.Response(text=f"<p id='{name}'>received</p>", content_type="text/html")

        return record

    async def favicon(request: web.Request) -> web.Response:
        return web.Response(status=204)  # else the browser logs a 404 for the top-level page

    app = web.Application()
    app.router.add_get("/parent", parent)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_post("/notify", recorder("notify"))
    app.router.add_post("/method-notify", recorder("method-notify"))
    return app


class Servers:
    """Runs the ACS and the merchant app on 127.0.0.1 (ephemeral ports) in one thread."""

    def __init__(self, renderer: Renderer, static_dir: Path) -> None:
        self.posts: Posts = defaultdict(list)
        self._merchant: list[str] = []
        self._apps = [
            acs_app(renderer, static_dir, self.posts, self._merchant),
            merchant_app(self.posts),
        ]
        self._loop = asyncio.new_event_loop()
        self._runners: list[web.AppRunner] = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.acs = self.merchant = ""

    def start(self) -> None:
        self._thread.start()
        origins = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        self.acs, self.merchant = origins
        self._merchant.append(self.merchant)

    async def _listen(self) -> list[str]:
        origins = []
        for app in self._apps:
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self._runners.append(runner)
            host, port = runner.addresses[0][:2]
            origins.append(f"http://{host}:{port}")
        return origins

    def stop(self) -> None:
        async def cleanup() -> None:
            for runner in self._runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def parent_url(self, path: str, width: int, height: int, **query: str) -> str:
        src = f"{self.acs}{path}?{urlencode(query)}"
        return f"{self.merchant}/parent?{urlencode({'src': src, 'w': width, 'h': height})}"

    def wait_for_post(self, name: str, timeout: float = 5.0) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while not self.posts[name]:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing was posted to {name} within {timeout}s")
            time.sleep(0.02)
        return self.posts[name].pop(0)
