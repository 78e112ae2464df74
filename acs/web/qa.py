"""QA API: the test-card catalog and transaction records, for people and test suites."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from aiohttp import web

from acs.challenge.magic import MAGIC_CODES
from acs.challenge.session import Session
from acs.delivery import outbox as outbox_store
from acs.logs import mask_pan
from acs.protocol.codes import TransStatus
from acs.transactions import decode
from acs.web.appkeys import SERVICES
from acs.web.errors import ApiError
from acs.web.errors import acs_trans_id as acs_trans_id_of


async def test_cards(request: web.Request) -> web.Response:
    """The catalog; challenge cards also list the magic codes that choose their outcome."""
    cards: list[dict[str, Any]] = msgspec.to_builtins(request.app[SERVICES].catalog)
    for card in cards:
        if card["expected"]["transStatus"] == TransStatus.CHALLENGE:
            card["magic_codes"] = {code: m.description for code, m in MAGIC_CODES.items()}
    return web.json_response(cards)


async def transaction(request: web.Request) -> web.Response:
    acs_trans_id = acs_trans_id_of(request.match_info["acs_trans_id"])
    raw = await request.app[SERVICES].store.get_txn(acs_trans_id)
    if raw is None:
        raise ApiError(
            404,
            f"no transaction {acs_trans_id}",
            hint="records are kept for the retention window (--retention); check the acsTransID",
        )
    view = decode(raw).public()
    session = await request.app[SERVICES].challenge.sessions.get(acs_trans_id)
    if session is not None:
        view["challenge"] = challenge_view(session)
    return web.json_response(view)


def challenge_view(session: Session) -> dict[str, Any]:
    """The challenge as QA sees it: progress, delivery, result, RReq; no PAN, no code digest."""
    data: dict[str, Any] = msgspec.to_builtins(session)
    for secret in ("pan_hash", "pan_enc", "page_token"):
        data.pop(secret, None)
    if isinstance(data.get("state"), dict):
        data["state"].pop("digest", None)
    return data


async def outbox(request: web.Request) -> web.Response:
    """Messages the ACS sent (codes included: this is a simulator), newest last."""
    services = request.app[SERVICES]
    acs_trans_id = request.query.get("acsTransID")
    pan = request.query.get("acctNumber")
    if acs_trans_id:
        acs_trans_id_of(acs_trans_id)
        return web.json_response(await outbox_store.by_transaction(services.store, acs_trans_id))
    if pan:
        if not (pan.isdigit() and 13 <= len(pan) <= 19):
            raise ApiError(400, "acctNumber must be 13-19 digits", field="acctNumber")
        return web.json_response(
            await outbox_store.by_card(services.store, services.vault.pan_hash(pan))
        )
    raise ApiError(400, "give ?acsTransID=... or ?acctNumber=...", field="acsTransID")


def _card(request: web.Request) -> tuple[str, str]:
    """(the PAN, its hash) from the path; 400 unless it is 13 to 19 digits."""
    pan = request.match_info["acct_number"]
    if not (pan.isascii() and pan.isdigit() and 13 <= len(pan) <= 19):
        raise ApiError(400, "acctNumber must be 13 to 19 digits", field="acctNumber")
    return pan, request.app[SERVICES].vault.pan_hash(pan)


async def card_state(request: web.Request) -> web.Response:
    """What drives a card's next decision: its velocity and low-value counters, the merchants
    its cardholder trusts, and the payments it authenticated lately (transaction history)."""
    services = request.app[SERVICES]
    pan, pan_hash = _card(request)
    counters = await services.engine.counters.peek(pan_hash, time.time())
    _, holder = await services.directory.lookup(pan, pan_hash)
    payments = [msgspec.json.decode(p) for p in await services.store.payments(pan_hash)]
    return web.json_response(
        {
            "acctNumber": mask_pan(pan),
            "velocity": {
                name: {"count": count, "amount_eur": eur}
                for name, (count, eur) in counters.velocity.items()
            },
            "low_value": {"count": counters.low_value_count, "amount_eur": counters.low_value_eur},
            "trusted_beneficiaries": holder.trusted_beneficiaries if holder else [],
            "recent_payments": payments,
            "reset": f"DELETE {request.path} starts the counters and payments again",
        }
    )


async def reset_card(request: web.Request) -> web.Response:
    """Forget a card's counters and remembered payments, so its next AReq is answered as the
    catalog says whatever ran before (trusted merchants stay: they are the cardholder's)."""
    services = request.app[SERVICES]
    pan, pan_hash = _card(request)
    await services.engine.counters.forget(pan_hash, time.time())
    await services.store.forget_payments(pan_hash)
    return web.json_response({"reset": mask_pan(pan)})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/qa/test-cards", test_cards),
        web.get("/qa/transactions/{acs_trans_id}", transaction),
        web.get("/qa/outbox", outbox),
        web.get("/qa/cards/{acct_number}/state", card_state),
        web.delete("/qa/cards/{acct_number}/state", reset_card),
    ]
