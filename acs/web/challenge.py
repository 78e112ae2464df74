"""The browser challenge over HTTP: the acsURL and the challenge page's form (the verbs are in
``acs/flows/browser.py``; a ``ProtocolError`` becomes an error page in the middleware)."""

from __future__ import annotations

from aiohttp import web

from acs.challenge.render import Page
from acs.flows.browser import ACS_URL_PATH, STEP_PATH, handle_browser_creq, handle_browser_step
from acs.web.appkeys import SERVICES
from acs.web.forms import read_form


def respond(page: Page) -> web.Response:
    return web.Response(text=page.html, headers=page.headers)  # headers carry the type


async def acs_url(request: web.Request) -> web.Response:
    form = await read_form(request)
    page = await handle_browser_creq(
        request.app[SERVICES], form.get("creq"), form.get("threeDSSessionData")
    )
    return respond(page)


async def step(request: web.Request) -> web.Response:
    form = await read_form(request)
    page = await handle_browser_step(
        request.app[SERVICES],
        str(form.get("token", "")),
        str(form.get("action", "submit")),
        str(form.get("otp", "")),
    )
    return respond(page)


def routes() -> list[web.RouteDef]:
    return [web.post(ACS_URL_PATH, acs_url), web.post(STEP_PATH, step)]
