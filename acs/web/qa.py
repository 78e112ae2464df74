"""QA API: the test-card catalog and transaction records, for people and test suites."""

from __future__ import annotations

import difflib
import time
from enum import StrEnum
from typing import Any

import msgspec
from aiohttp import web

from acs.challenge.magic import MAGIC_CODES
from acs.challenge.session import Session
from acs.delivery import outbox as outbox_store
from acs.flows import qa as qa_flows
from acs.logs import mask_pan
from acs.protocol.codes import TransStatus
from acs.risk import data_quality
from acs.since import parse_since
from acs.store import qa as qa_store
from acs.transactions import decode_any
from acs.web.admin import read_body
from acs.web.appkeys import SERVICES
from acs.web.errors import ApiError
from acs.web.errors import acs_trans_id as acs_trans_id_of


async def test_cards(request: web.Request) -> web.Response:
    """The catalog; challenge cards also list the magic codes that choose their outcome."""
    cards: list[dict[str, Any]] = msgspec.to_builtins(request.app[SERVICES].catalog)
    for card in cards:
        card.setdefault("depends_on_history", False)  # said either way: suites branch on it
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
    try:
        view = decode_any(raw).public()
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ApiError(
            409,
            f"the record of {acs_trans_id} is not readable by this version of acs",
            hint="records written by another version are kept until the retention ends",
        ) from exc
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


# -- the transaction list -------------------------------------------------------------------------

DEFAULT_LIMIT, MAX_LIMIT = 50, 1000
DEFAULT_SINCE = "24h"


def _query(request: web.Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, each once and each one this route reads (a typo is a 400)."""
    given: dict[str, str] = {}
    for name, value in request.query.items():
        if name not in allowed:
            near = difflib.get_close_matches(name, allowed, n=1, cutoff=0.5)
            hint = f"did you mean {near[0]}?" if near else f"use {', '.join(allowed)}"
            raise ApiError(
                400, f"unknown query parameter {name[:40]!r}", field=name[:40], hint=hint
            )
        if name in given:
            raise ApiError(400, f"{name} given twice", field=name, hint="give it once")
        given[name] = value
    return given


def _since(given: dict[str, str], default: str | None = DEFAULT_SINCE) -> float:
    text = given.get("since", default)
    if text is None:
        return 0.0
    try:
        return parse_since(text, time.time())
    except ValueError as exc:
        raise ApiError(400, str(exc), field="since") from exc


def _limit(given: dict[str, str]) -> int:
    text = given.get("limit", str(DEFAULT_LIMIT))
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_LIMIT):
        raise ApiError(
            400, f"limit {text[:20]!r}: give a whole number from 1 to {MAX_LIMIT}", field="limit"
        )
    return int(text)


def _statuses(given: dict[str, str]) -> frozenset[str]:
    wanted = frozenset(s.strip() for s in given.get("status", "").split(",") if s.strip())
    unknown = sorted(wanted - set(qa_flows.STATUSES))
    if unknown:
        raise ApiError(
            400,
            f"status {unknown[0][:20]!r} is not a transStatus",
            field="status",
            hint=f"use one or more of {', '.join(qa_flows.STATUSES)}, comma-separated",
        )
    return wanted


def _pan(value: str) -> str:
    if not (value.isascii() and value.isdigit() and 13 <= len(value) <= 19):
        raise ApiError(400, "acctNumber must be 13 to 19 digits", field="acctNumber")
    return value


async def transactions(request: web.Request) -> web.Response:
    """The records since ``since`` (default the last 24 hours), newest first: ARes and Erro
    answers, with the challenge's outcome when there was one."""
    given = _query(request, ("acctNumber", "since", "status", "limit"))
    query = qa_flows.Query(
        since=_since(given),
        limit=_limit(given),
        pan=_pan(given["acctNumber"]) if "acctNumber" in given else None,
        statuses=_statuses(given),
    )
    return web.json_response(await qa_flows.list_transactions(request.app[SERVICES], query))


# -- completing a challenge ------------------------------------------------------------------------


class PassOrFail(StrEnum):
    Y = "Y"
    N = "N"


class Action(StrEnum):
    CANCEL = "cancel"
    TIMEOUT = "timeout"


class CompleteBody(msgspec.Struct, forbid_unknown_fields=True):
    transStatus: PassOrFail | None = None
    transStatusReason: str | None = None
    action: Action | None = None


_COMPLETE_FORMS = (
    '{"transStatus": "Y"}, {"transStatus": "N", "transStatusReason": "01"}, '
    '{"action": "cancel"} or {"action": "timeout"}'
)


def _finish(body: CompleteBody) -> qa_flows.Finish:
    if (body.transStatus is None) == (body.action is None):
        raise ApiError(
            400,
            "give transStatus or action, not both" if body.action else "give transStatus or action",
            field="transStatus" if body.transStatus is None else "action",
            hint=f"send {_COMPLETE_FORMS}",
        )
    if body.transStatusReason is not None and body.transStatus is not PassOrFail.N:
        raise ApiError(
            400,
            "transStatusReason goes with transStatus N only",
            field="transStatusReason",
            hint="leave it out, or send transStatus N",
        )
    if body.action is not None:
        return qa_flows.Finish(body.action.value)
    return qa_flows.Finish.SUCCEED if body.transStatus is PassOrFail.Y else qa_flows.Finish.FAIL


async def complete(request: web.Request) -> web.Response:
    """Finish a pending challenge as the cardholder would; the RReq goes out before the answer."""
    acs_trans_id = acs_trans_id_of(request.match_info["acs_trans_id"])
    body = await read_body(request, CompleteBody)
    finish = _finish(body)
    try:
        done = await qa_flows.complete_challenge(
            request.app[SERVICES], acs_trans_id, finish, body.transStatusReason
        )
    except KeyError as exc:
        raise ApiError(
            404,
            f"no transaction {acs_trans_id}",
            field="acsTransID",
            hint="use the acsTransID of an ARes with transStatus C or D",
        ) from exc
    except qa_flows.BadReason as exc:
        raise ApiError(400, str(exc), field="transStatusReason") from exc
    except qa_flows.NotPending as exc:
        raise ApiError(409, exc.message, hint=exc.hint) from exc
    return web.json_response(done.public())


# -- reset, RReq log, data quality ---------------------------------------------------------------


async def reset_state(request: web.Request) -> web.Response:
    """Forget every counter, outbox, transaction record and RReq log entry (not the directory,
    nor a challenge in flight). Admin token; refused on a persistent store."""
    services = request.app[SERVICES]
    if services.settings.persistent:
        raise ApiError(
            409,
            "the store is persistent (--persistent / ACS_PERSISTENT): its records are kept, "
            "not reset",
            hint="reset one card with DELETE /qa/cards/{acctNumber}/state, or run the suite "
            "against an ACS started without --persistent",
        )
    deleted = await qa_store.reset(services.store)
    return web.json_response(
        {"reset": ["counters", "outbox", "transactions", "rreq-log"], "keys_deleted": deleted}
    )


async def rreq_log(request: web.Request) -> web.Response:
    """The RReq attempts, newest first: what was sent, the RRes or the error, the attempt."""
    given = _query(request, ("acsTransID", "limit"))
    wanted = acs_trans_id_of(given["acsTransID"]) if "acsTransID" in given else None
    limit = _limit(given)
    entries = []
    for raw in await qa_store.rreq_log(request.app[SERVICES].store):
        entry = msgspec.json.decode(raw)
        if wanted is None or entry.get("acsTransID") == wanted:
            entries.append(entry)
            if len(entries) >= limit:
                break
    return web.json_response(entries)


async def data_quality_report(request: web.Request) -> web.Response:
    """Per threeDSRequestorID: the risk signals its AReqs omit, and the decisions with and
    without them."""
    given = _query(request, ("since",))
    store = request.app[SERVICES].store
    return web.json_response(await data_quality.report(store, _since(given)))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/qa/test-cards", test_cards),
        web.get("/qa/transactions", transactions),
        web.get("/qa/transactions/{acs_trans_id}", transaction),
        web.post("/qa/transactions/{acs_trans_id}/complete", complete),
        web.get("/qa/outbox", outbox),
        web.get("/qa/cards/{acct_number}/state", card_state),
        web.delete("/qa/cards/{acct_number}/state", reset_card),
        web.delete("/qa/state", reset_state),
        web.get("/qa/rreq-log", rreq_log),
        web.get("/qa/data-quality", data_quality_report),
    ]
