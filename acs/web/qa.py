"""QA API: the test-card catalog and transaction records, for people and test suites."""

from __future__ import annotations

import uuid

import msgspec
from aiohttp import web

from acs.transactions import decode
from acs.web.appkeys import SERVICES
from acs.web.errors import ApiError


async def test_cards(request: web.Request) -> web.Response:
    catalog = request.app[SERVICES].catalog
    return web.json_response(msgspec.to_builtins(catalog))


async def transaction(request: web.Request) -> web.Response:
    acs_trans_id = request.match_info["acs_trans_id"]
    try:
        uuid.UUID(acs_trans_id)
    except ValueError as exc:
        raise ApiError(400, "acsTransID must be a UUID", field="acsTransID") from exc
    raw = await request.app[SERVICES].store.get_txn(acs_trans_id)
    if raw is None:
        raise ApiError(
            404,
            f"no transaction {acs_trans_id}",
            hint="records are kept for the retention window (--retention); check the acsTransID",
        )
    return web.json_response(decode(raw).public())


def routes() -> list[web.RouteDef]:
    return [
        web.get("/qa/test-cards", test_cards),
        web.get("/qa/transactions/{acs_trans_id}", transaction),
    ]
