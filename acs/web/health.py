from __future__ import annotations

from aiohttp import web

from acs.store.store import StoreUnavailable
from acs.web.appkeys import SERVICES


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        await services.store.ping()
        await services.directory.ensure_seeded()  # ok only if AReqs can find their card ranges
    except StoreUnavailable as exc:
        return web.json_response({"status": "degraded", "store": str(exc)}, status=503)
    return web.json_response(
        {"status": "ok", "store": "ok", "rules_version": services.engine.version}
    )


def routes() -> list[web.RouteDef]:
    return [web.get("/healthz", healthz)]
