"""Serving one aiohttp app on several listeners (the public one, the DS one with mutual TLS),
and the start-up checks of the public URL the pages and acsURL are built from.

``web.run_app`` takes one TLS context for all its sites; the DS listener needs its own (it asks
for a client certificate, which browsers on the public listener must not be asked for), so
``run`` is ``run_app`` over a list of listeners: the same runner, graceful shutdown on SIGINT and
SIGTERM. ``acs serve`` and ``acs ds`` both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog
from aiohttp import web
from aiohttp.web_runner import GracefulExit

from acs.config import Settings, is_loopback

log = structlog.get_logger("acs.startup")


@dataclass(frozen=True, slots=True)
class Listener:
    name: str  # "public", "ds": for the start-up lines
    host: str
    port: int
    ssl: ssl.SSLContext | None = None

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.ssl else 'http'}://{host}:{self.port}"

    @property
    def mutual(self) -> bool:
        """Does the handshake require a client certificate?"""
        return self.ssl is not None and self.ssl.verify_mode == ssl.CERT_REQUIRED


def serve_listeners(settings: Settings) -> list[Listener]:
    """`acs serve`'s listeners: the public one, and the DS one with --ds-port."""
    listeners = [Listener("public", settings.host, settings.port, settings.server_ssl())]
    if settings.ds_port:
        ds_ssl = settings.server_ssl(ds=True)
        listeners.append(Listener("ds", settings.host, settings.ds_port, ds_ssl))
    return listeners


async def start(
    app: web.Application, listeners: Sequence[Listener], *, handle_signals: bool = False
) -> web.AppRunner:
    """Start ``app`` on every listener; the caller ends it with ``runner.cleanup()``."""
    runner = web.AppRunner(app, handle_signals=handle_signals)
    await runner.setup()
    try:
        for listener in listeners:
            site = web.TCPSite(runner, listener.host, listener.port, ssl_context=listener.ssl)
            await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


def run(app: web.Application | Awaitable[web.Application], listeners: Sequence[Listener]) -> None:
    """Serve until SIGINT or SIGTERM, then shut down as ``web.run_app`` does. ``app`` may be a
    coroutine: the services need the running loop."""

    async def main() -> None:
        application = app if isinstance(app, web.Application) else await app
        runner = await start(application, listeners, handle_signals=True)
        try:
            await asyncio.Event().wait()  # until a signal raises GracefulExit
        finally:
            await runner.cleanup()

    loop = asyncio.new_event_loop()
    task = loop.create_task(main())
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(task)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        if not task.done():  # a signal: cancelling main() runs runner.cleanup()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, GracefulExit):
                loop.run_until_complete(task)
        leftovers = asyncio.all_tasks(loop)
        for leftover in leftovers:
            leftover.cancel()
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


# -- the public URL ---------------------------------------------------------------------------


def public_url_warnings(settings: Settings) -> list[str]:
    """What makes the public URL (acsURL, the 3DS Method URL, the pages' links) unusable by a
    browser or a DS, each as a line that says what to set."""
    url = settings.public_url
    parts = urlsplit(url)
    host = parts.hostname or ""
    fix = "set --base-url [ACS_BASE_URL] to the address browsers and the DS use"
    warnings = []
    if _unspecified(host):
        warnings.append(
            f"public URL {url} has the host {host}, which no browser or DS can reach "
            f"(it only means 'every address' to bind to): {fix}, such as "
            f"https://acs.example.com or http://localhost:{settings.port}"
        )
    elif is_loopback(host) and not is_loopback(settings.host):
        warnings.append(
            f"public URL {url} is on loopback while acs listens on {settings.host}: only "
            f"browsers and a DS on this machine (or through a port mapping to it) reach it; {fix}"
        )
    if parts.scheme == "http" and settings.tls_cert is not None:
        warnings.append(
            f"public URL {url} is http, but the listener speaks TLS (--tls-cert): browsers "
            f"would be sent to a port that answers only https; use https://{parts.netloc}"
        )
    return warnings


def _unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def warn_public_url(settings: Settings, write: Callable[[str], None]) -> list[str]:
    """Print (with ``write``) and log each public-URL warning; returns them."""
    warnings = public_url_warnings(settings)
    for warning in warnings:
        write(f"acs: warning: {warning}")
        log.warning("startup.public_url", public_url=settings.public_url, problem=warning)
    return warnings
