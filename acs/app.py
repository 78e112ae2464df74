"""Application factory: settings -> store, directory, decision engine, routes, middlewares."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from acs.challenge.deps import ChallengeDeps
from acs.challenge.render import Renderer
from acs.challenge.session import Sessions
from acs.challenge.timers import TimerKind, Timers, run_worker
from acs.config import AREQ_MAX_BODY, ISSUER_SIM_PATH, Settings
from acs.crypto.pki import PKI
from acs.crypto.sdk_enc_data import DsKeys
from acs.crypto.signed_content import Signers
from acs.delivery.config import DELIVERY_FILE, load_delivery_config
from acs.delivery.router import Delivery
from acs.ds import web as ds_web
from acs.ds.config import DsConfig, UnknownRange
from acs.ds.server import DirectoryServer
from acs.ds.web import DS_FRONT
from acs.flows.areq import handle_areq
from acs.flows.method import METHOD_PATH
from acs.flows.rules import live_engine, served_rules, shadow_rules, watch_rules
from acs.flows.timers import on_timer
from acs.issuer.callbacks import IssuerClient
from acs.issuer.config_files import load_issuer_config
from acs.issuer.directory import Directory
from acs.issuer.vault import Vault
from acs.issuer_sim.app import create_issuer_sim
from acs.protocol.messages import ARes, Erro
from acs.protocol.validate import ParsedAReq
from acs.services import Services
from acs.store.store import Store
from acs.tls import own_context
from acs.web import admin, callbacks, challenge, emv, health, method, oob, qa, server
from acs.web.appkeys import SERVICES
from acs.web.middleware import guard


def ui_static() -> Path:
    """challenge_ui/static in the working directory (the Docker image), else beside the package."""
    here = Path("challenge_ui/static")
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / here


@functools.cache
def ephemeral_pki() -> PKI:
    """The in-memory test PKI of a run without --keys: made once per process (RSA key
    generation costs a few hundred milliseconds), gone with it."""
    return PKI.generate(ca_bits=2048)


async def build_services(settings: Settings) -> Services:
    """Everything that can fail on bad configuration fails here, before the port opens."""
    settings.check()
    issuer = load_issuer_config(settings.config_dir)
    pki = PKI.load(settings.keys_dir) if settings.keys_dir else ephemeral_pki()
    rules = served_rules(settings)  # a single file: the test-card set in front
    delivery_config = load_delivery_config(settings.config_dir / DELIVERY_FILE, missing_ok=True)
    store = Store.connect(settings.store)
    vault = Vault(settings.data_key) if settings.data_key else Vault.ephemeral()
    directory = Directory(store, vault)
    await directory.seed(issuer)
    shadow = shadow_rules(settings, store, rules)  # --shadow-rules: decided, never answered
    engine = live_engine(store, rules, shadow)
    # a challenge lives through its pages, the RReq retries and a margin for the QA API
    session_ttl = int(settings.timers.challenge_page_seconds * 2 + 3600)
    renderer = Renderer()
    # the RReq and the issuer callbacks: a client certificate and an extra root, when given
    client_ssl = settings.client_ssl()
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=client_ssl) if client_ssl else None
    )
    # calls to this process itself (issuer-sim, the DS front's dsURL) trust its own certificate
    own_tls = (
        own_context(settings.tls_cert, settings.client_cert, settings.client_key)
        if settings.tls_cert
        else None
    )
    return Services(
        settings=settings,
        store=store,
        vault=vault,
        directory=directory,
        engine=engine,
        rules=rules,
        catalog=issuer.catalog,
        challenge=ChallengeDeps(
            store=store,
            sessions=Sessions(store, session_ttl),
            timers=Timers(store, settings.timers.timer_lease_seconds),
            protocol_timers=settings.timers,
            directory=directory,
            vault=vault,
            delivery=Delivery.from_config(delivery_config, store),
            counters=engine.counters,
            retention_seconds=settings.retention_seconds,
            texts=renderer.texts,
            catalog_hashes=frozenset(vault.pan_hash(c.acctNumber) for c in issuer.catalog),
            public_url=settings.public_url,
            issuer=IssuerClient(http, settings.own_origin, settings.issuer_secret, own_tls),
        ),
        renderer=renderer,
        http=http,
        own_tls=own_tls,
        pki=pki,
        signers=Signers(pki),
        shadow=shadow,
        card_faults={vault.pan_hash(c.acctNumber): c.faults for c in issuer.catalog if c.fault},
    )


def _timer_worker(services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    async def run(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()

        async def fire(kind: TimerKind, acs_trans_id: str) -> None:
            await on_timer(services, kind, acs_trans_id)

        task = asyncio.create_task(
            run_worker(services.challenge.timers, fire, services.settings.timers.poll_seconds, stop)
        )
        yield
        stop.set()
        await task

    return run


def _rules_watcher(services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    async def run(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(watch_rules(services, stop))
        yield
        stop.set()
        await task

    return run


def ds_front(services: Services) -> DirectoryServer:
    """The DS front of ``serve --ds``: the issuer directory's card ranges, the test PKI's DS
    keys, and this process's ACS called in process. Its dsURL is this process too (the DS
    listener when --ds-port is set), which the RReq always reaches from here."""
    settings = services.settings
    config = DsConfig(
        public_url=settings.own_ds_origin,
        method_url=settings.public_url + METHOD_PATH,
        unknown_range=UnknownRange(settings.ds_unknown_range),
        validation=settings.validation,
        ares_timeout_seconds=settings.timers.ds_ares_seconds,
        rres_wait_seconds=settings.timers.ds_rres_wait_seconds,
        faults=settings.faults,
    )
    keys = DsKeys(services.pki.ds_rsa.key, services.pki.ds_ec.key)  # type: ignore[arg-type]

    async def local_acs(body: bytes, parsed: ParsedAReq) -> ARes | Erro:
        return await handle_areq(services, body, parsed=parsed)

    return DirectoryServer(
        config, services.store, services.directory, keys, services.http, local_acs
    )


def create_app(services: Services) -> web.Application:
    app = server.application(client_max_size=AREQ_MAX_BODY, middlewares=[guard(services.settings)])
    app[SERVICES] = services
    for module in (emv, challenge, method, oob, callbacks, health, qa, admin):
        app.add_routes(module.routes())
    if services.settings.ds_front:  # --ds: a Directory Server front for 3DS Servers, at /ds/
        app[DS_FRONT] = ds_front(services)
        app.add_routes(ds_web.routes())
    if services.settings.issuer_sim:  # the card ranges' issuer: {url: /issuer-sim} calls it
        sim = create_issuer_sim(services.settings.issuer_secret, http=services.http)
        app.add_subapp(ISSUER_SIM_PATH, sim)

    async def close(_app: web.Application) -> None:
        await services.close()

    app.on_cleanup.append(close)
    app.cleanup_ctx.append(_timer_worker(services))
    app.router.add_static("/3ds/static", ui_static())
    if services.settings.rules_watch:
        app.cleanup_ctx.append(_rules_watcher(services))
    return app
