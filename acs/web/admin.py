"""Admin API (bearer token): change card ranges and cardholders at runtime, persisted in the store.

Responses never carry a clear PAN, a secret hash or key material.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from aiohttp import web

from acs.config import ADMIN_MAX_BODY
from acs.flows.rules import reload_rules
from acs.flows.shadow import report as shadow_report
from acs.issuer.config_files import explain, msgspec_path
from acs.issuer.credentials import new_totp_secret, provisioning_uri, qr_png, qr_svg, weak_passcode
from acs.issuer.models import CardholderInput, CardholderRecord, CardRange, Passcode
from acs.risk.loader import RuleLoadError
from acs.store.store import Conflict
from acs.web import bodies
from acs.web.appkeys import SERVICES
from acs.web.errors import ApiError

T = TypeVar("T")


async def read_body(request: web.Request, kind: type[T]) -> T:
    raw = await bodies.read_body(request, ADMIN_MAX_BODY)  # a BodyError is JSON (middleware)
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        where, reason = msgspec_path(exc)
        reason = explain(kind, where, reason)
        raise ApiError(400, reason, field=where or None, hint="fix that field and resend") from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}", hint="send a JSON object") from exc


def _problems(problems: list[str]) -> None:
    if problems:
        field, _, reason = problems[0].partition(": ")
        raise ApiError(400, reason, field=field, hint="; ".join(problems[1:]) or None)


def _conflict(exc: Conflict) -> ApiError:
    field, _, reason = str(exc).partition(": ")
    return ApiError(409, reason, field=field)


# -- cardholders ------------------------------------------------------------------------------


async def list_cardholders(request: web.Request) -> web.Response:
    records = await request.app[SERVICES].directory.list_cardholders()
    return web.json_response([r.public() for r in records])


def _cardholder_problems(body: CardholderInput) -> None:
    """Config problems, and the enrolment policy: no weak passcode through the API (config/ is
    the operator's own, demo codes included)."""
    _problems(body.problems())
    weak = weak_passcode(body.passcode) if body.passcode else None
    if weak:
        raise ApiError(400, weak, field="passcode", hint="six digits with no obvious pattern")


async def add_cardholder(request: web.Request) -> web.Response:
    body = await read_body(request, CardholderInput)
    _cardholder_problems(body)
    try:
        record = await request.app[SERVICES].directory.add_cardholder(body)
    except Conflict as exc:
        raise _conflict(exc) from exc
    return web.json_response(record.public(), status=201)


async def get_cardholder(request: web.Request) -> web.Response:
    ch_id = request.match_info["id"]
    record = await request.app[SERVICES].directory.get_cardholder(ch_id)
    if record is None:
        raise ApiError(404, f"no cardholder {ch_id!r}", hint="GET /admin/cardholders lists them")
    return web.json_response(record.public())


async def put_cardholder(request: web.Request) -> web.Response:
    ch_id = request.match_info["id"]
    body = await read_body(request, CardholderInput)
    if body.id is not None and body.id != ch_id:
        raise ApiError(400, f"id in body ({body.id!r}) differs from the URL", field="id")
    _cardholder_problems(body)
    try:
        record = await request.app[SERVICES].directory.add_cardholder(body, replace_id=ch_id)
    except Conflict as exc:
        raise _conflict(exc) from exc
    except KeyError as exc:
        raise ApiError(404, f"no cardholder {ch_id!r}", hint="POST creates one") from exc
    return web.json_response(record.public())


class PasscodeBody(msgspec.Struct, forbid_unknown_fields=True):
    passcode: Passcode


async def get_passcode(request: web.Request) -> web.Response:
    """Whether the cardholder has a passcode (never the passcode or its hash)."""
    record = await _cardholder(request)
    return web.json_response({"id": record.id, "enrolled": record.passcode_hash is not None})


async def put_passcode(request: web.Request) -> web.Response:
    body = await read_body(request, PasscodeBody)
    weak = weak_passcode(body.passcode)
    if weak:
        raise ApiError(400, weak, field="passcode", hint="six digits with no obvious pattern")
    ch_id = request.match_info["id"]
    try:
        record = await request.app[SERVICES].directory.set_passcode(ch_id, body.passcode)
    except KeyError as exc:
        raise _no_cardholder(ch_id) from exc
    return web.json_response({"id": record.id, "enrolled": True})


async def enrol_totp(request: web.Request) -> web.Response:
    """A new authenticator-app secret: shown once, as the secret, a provisioning URI and a QR
    code (SVG in the JSON; ``?format=png`` answers the QR code as a PNG image instead)."""
    ch_id = request.match_info["id"]
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "png"):
        raise ApiError(400, f"format {fmt[:20]!r} is not json or png", field="format")
    secret = new_totp_secret()
    try:
        record = await request.app[SERVICES].directory.enrol_totp(ch_id, secret)
    except KeyError as exc:
        raise _no_cardholder(ch_id) from exc
    uri = provisioning_uri(secret, f"{record.name} ({record.pan_masked[-4:]})")
    if fmt == "png":
        return web.Response(body=qr_png(uri), content_type="image/png")
    return web.json_response(
        {"id": record.id, "secret": secret, "provisioning_uri": uri, "qr_svg": qr_svg(uri)},
        status=201,
    )


async def _cardholder(request: web.Request) -> CardholderRecord:
    ch_id = request.match_info["id"]
    record = await request.app[SERVICES].directory.get_cardholder(ch_id)
    if record is None:
        raise _no_cardholder(ch_id)
    return record


def _no_cardholder(ch_id: str) -> ApiError:
    return ApiError(404, f"no cardholder {ch_id!r}", hint="GET /admin/cardholders lists them")


async def delete_cardholder(request: web.Request) -> web.Response:
    ch_id = request.match_info["id"]
    if not await request.app[SERVICES].directory.delete_cardholder(ch_id):
        raise ApiError(404, f"no cardholder {ch_id!r}")
    return web.json_response({"deleted": ch_id})


# -- card ranges -------------------------------------------------------------------------------


def _public_range(card_range: CardRange) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(card_range)
    keys = data.pop("keys", {})
    data["keys"] = sorted(k for k, v in keys.items() if v and k != "key_indicator")
    data["ds_id"] = card_range.scheme.ds_id
    return data


async def list_ranges(request: web.Request) -> web.Response:
    directory = request.app[SERVICES].directory
    await directory.refresh()
    return web.json_response([_public_range(r) for r in directory.ranges])


async def _write_range(request: web.Request, *, replace: bool) -> web.Response:
    body = await read_body(request, CardRange)
    if replace and body.id != request.match_info["id"]:
        raise ApiError(400, f"id in body ({body.id!r}) differs from the URL", field="id")
    _problems(body.problems())
    directory = request.app[SERVICES].directory
    profile = body.challenge.profile
    if profile is not None and profile not in directory.profiles:
        known = ", ".join(sorted(directory.profiles)) or "none"
        raise ApiError(
            400,
            f"no challenge profile {profile!r}",
            field="challenge.profile",
            hint=f"profiles come from config/challenge-profiles.yaml; known: {known}",
        )
    try:
        await directory.put_range(body, replace=replace)
    except Conflict as exc:
        raise _conflict(exc) from exc
    except KeyError as exc:
        raise ApiError(404, f"no card range {body.id!r}", hint="POST creates one") from exc
    return web.json_response(_public_range(body), status=200 if replace else 201)


async def add_range(request: web.Request) -> web.Response:
    return await _write_range(request, replace=False)


async def put_range(request: web.Request) -> web.Response:
    return await _write_range(request, replace=True)


async def get_range(request: web.Request) -> web.Response:
    directory = request.app[SERVICES].directory
    await directory.refresh()
    range_id = request.match_info["id"]
    found = directory.range_by_id(range_id)
    if found is None:
        raise ApiError(404, f"no card range {range_id!r}", hint="GET /admin/card-ranges lists them")
    return web.json_response(_public_range(found))


async def delete_range(request: web.Request) -> web.Response:
    range_id = request.match_info["id"]
    if not await request.app[SERVICES].directory.delete_range(range_id):
        raise ApiError(404, f"no card range {range_id!r}")
    return web.json_response({"deleted": range_id})


# -- rules ---------------------------------------------------------------------------------------


async def get_rules(request: web.Request) -> web.Response:
    return web.json_response(request.app[SERVICES].rules.summary())


async def reload_rules_route(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        loaded = await reload_rules(services)
    except RuleLoadError as exc:
        raise ApiError(
            422,
            str(exc),
            field=exc.path or None,
            hint=f"fix the rule file; version {services.rules.version} keeps serving",
        ) from exc
    return web.json_response(loaded.summary())


async def get_shadow(request: web.Request) -> web.Response:
    """How often and where the shadow rules (serve --shadow-rules) differ from the live ones."""
    return web.json_response(await shadow_report(request.app[SERVICES]))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/admin/cardholders", list_cardholders),
        web.post("/admin/cardholders", add_cardholder),
        web.get("/admin/cardholders/{id}", get_cardholder),
        web.put("/admin/cardholders/{id}", put_cardholder),
        web.delete("/admin/cardholders/{id}", delete_cardholder),
        web.get("/admin/cardholders/{id}/passcode", get_passcode),
        web.put("/admin/cardholders/{id}/passcode", put_passcode),
        web.post("/admin/cardholders/{id}/totp", enrol_totp),
        web.get("/admin/card-ranges", list_ranges),
        web.post("/admin/card-ranges", add_range),
        web.get("/admin/card-ranges/{id}", get_range),
        web.put("/admin/card-ranges/{id}", put_range),
        web.delete("/admin/card-ranges/{id}", delete_range),
        web.get("/admin/rules", get_rules),
        web.post("/admin/rules/reload", reload_rules_route),
        web.get("/admin/rules/shadow", get_shadow),
    ]
