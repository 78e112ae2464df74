"""The challenge over HTTP: the acsURL, where the browser posts its ``creq`` form and a 3DS SDK
its JWE CReq, and the challenge page's form (the verbs are in ``acs/flows/browser.py`` and
``acs/flows/app.py``; a ``ProtocolError`` becomes an error page or a JSON Erro in the
middleware)."""

from __future__ import annotations

from aiohttp import web

from acs.challenge.methods.base import Entry
from acs.challenge.render import Page
from acs.flows.app import handle_app_creq
from acs.flows.browser import (
    ACS_URL_PATH,
    STEP_PATH,
    handle_browser_creq,
    handle_browser_poll,
    handle_browser_step,
)
from acs.web.appkeys import SERVICES
from acs.web.bodies import read_body
from acs.web.faults import header_faults, mark_ignored
from acs.web.forms import read_form
from acs.web.middleware import APP_CONTENT_TYPES

APP_CREQ_MAX_BODY = 64 * 1024  # a CReq is small: a few entries, at most 256 characters of HTML data


def respond(page: Page) -> web.Response:
    return web.Response(text=page.html, headers=page.headers)  # headers carry the type


async def acs_url(request: web.Request) -> web.Response:
    if request.content_type in APP_CONTENT_TYPES:  # a 3DS SDK's JWE CReq
        body = await read_body(request, APP_CREQ_MAX_BODY)
        services = request.app[SERVICES]
        asked = header_faults(request, services.settings, "CReq")  # per-request faults
        answer = await handle_app_creq(services, body, asked)
        mark_ignored(request, services.settings, answer.headers)
        return web.Response(
            body=answer.body, content_type=answer.content_type, headers=answer.headers
        )
    form = await read_form(request)
    page = await handle_browser_creq(
        request.app[SERVICES], form.get("creq"), form.get("threeDSSessionData")
    )
    return respond(page)


_MAX_CHOICES = 10  # a select step shows at most a handful of options


async def step(request: web.Request) -> web.Response:
    form = await read_form(request)
    action = str(form.get("action", "submit"))
    entry = Entry(
        text=str(form.get("otp", ""))[:32],
        choices=tuple(str(c)[:45] for c in form.getall("choice", [])[:_MAX_CHOICES]),
        oob_continue=action == "continue",
    )
    page = await handle_browser_step(
        request.app[SERVICES], str(form.get("token", "")), action, entry
    )
    return respond(page)


async def poll(request: web.Request) -> web.Response:
    """A waiting page's reload (GET, from its meta refresh)."""
    polls = request.query.get("n", "0")
    page = await handle_browser_poll(
        request.app[SERVICES],
        request.query.get("token", ""),
        int(polls) if polls.isdigit() and len(polls) < 5 else 0,
    )
    return respond(page)


def routes() -> list[web.RouteDef]:
    return [
        web.post(ACS_URL_PATH, acs_url),
        web.post(STEP_PATH, step),
        web.get(STEP_PATH, poll, allow_head=False),
    ]
