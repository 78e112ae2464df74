"""Application factory: settings -> store, directory, decision engine, routes, middlewares."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from acs.config import AREQ_MAX_BODY, Settings
from acs.issuer.config_files import load_issuer_config
from acs.issuer.directory import Directory
from acs.issuer.vault import Vault
from acs.risk.counters import StoreCounters
from acs.risk.live import watch_rules
from acs.risk.loader import load_rules
from acs.services import Services
from acs.store.store import Store
from acs.web import admin, emv, health, qa
from acs.web.appkeys import SERVICES
from acs.web.middleware import admin_auth, errors


async def build_services(settings: Settings) -> Services:
    """Everything that can fail on bad configuration fails here, before the port opens."""
    settings.check()
    issuer = load_issuer_config(settings.config_dir)
    rules = load_rules(settings.rules_path)
    store = Store.connect(settings.store)
    vault = Vault(settings.data_key) if settings.data_key else Vault.ephemeral()
    directory = Directory(store, vault)
    await directory.seed(issuer)
    engine = rules.engine(StoreCounters(store, rules.policy.velocity))
    return Services(settings, store, vault, directory, engine, rules, issuer.catalog)


def _rules_watcher(services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    async def run(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(watch_rules(services, stop))
        yield
        stop.set()
        await task

    return run


def create_app(services: Services) -> web.Application:
    app = web.Application(
        client_max_size=AREQ_MAX_BODY,
        middlewares=[errors, admin_auth(services.settings.admin_token)],
    )
    app[SERVICES] = services
    for module in (emv, health, qa, admin):
        app.add_routes(module.routes())

    async def close_store(_app: web.Application) -> None:
        await services.store.close()

    app.on_cleanup.append(close_store)
    if services.settings.rules_watch:
        app.cleanup_ctx.append(_rules_watcher(services))
    return app
