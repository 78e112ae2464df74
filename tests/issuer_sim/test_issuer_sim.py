"""The reference issuer service (acs.issuer_sim): each route's documented behaviour, the
signature's refusals, bodies of the wrong shape, the signed biometric callback, and a fuzz run
over every route (never a 5xx, always JSON)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acs.crypto.signature import SIGNATURE_HEADER, sign, verify_signature
from acs.issuer_sim.app import ISSUER_SIM, MAX_BODY, create_issuer_sim
from tests.conftest import ROOT
from tests.redis_server import free_port

SECRET = "issuer-test-secret"
TRANS = "8a880dc0-d2d2-4067-bcb1-b08d1690b26e"

CHECK = {
    "acsTransID": TRANS,
    "cardholderId": "ch-1",
    "panMasked": "401600******0012",
    "messageVersion": "2.2.0",
    "deviceChannel": "02",
    "amount": {"minor": "12345", "currency": "978", "exponent": 2},
    "merchantName": "Test Merchant",
    "mcc": "5411",
    "rule": {"transStatus": "Y", "rule": "low-value", "methods": ["otp_sms"]},
}
SAMPLES: dict[str, dict[str, Any]] = {
    "/check-authentication-method": CHECK,
    "/validate-passcode": {"acsTransID": TRANS, "cardholderId": "ch-1", "passcode": "123456"},
    "/otp/send": {
        "acsTransID": TRANS,
        "cardholderId": "ch-1",
        "channel": "sms",
        "merchantName": "Test Merchant",
        "amount": {"minor": "500", "currency": "978", "exponent": 2},
    },
    "/otp/verify": {"acsTransID": TRANS, "reference": str(uuid.uuid4()), "code": "000000"},
    "/otp/cancel": {"acsTransID": TRANS, "reference": str(uuid.uuid4())},
    "/biometric": {
        "acsTransID": TRANS,
        "cardholderId": "ch-1",
        "merchantName": "Test Merchant",
        "amount": None,
        "callbackUrl": "http://127.0.0.1:1/biometric/cb",
    },
}

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]


def signed(body: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    return {
        SIGNATURE_HEADER: sign(secret, body, int(time.time()) if at is None else at),
        "Content-Type": "application/json",
    }


async def post(client: Client, path: str, payload: Any, **kw: Any) -> tuple[int, Any]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = kw.pop("headers", None) or signed(body, **kw)
    resp = await client.post(path, data=body, headers=headers)
    assert resp.content_type == "application/json"
    return resp.status, await resp.json()


@pytest.fixture
def make(aiohttp_client: Any) -> MakeClient:
    async def make_client(**kw: Any) -> Client:
        client: Client = await aiohttp_client(create_issuer_sim(SECRET, **kw))
        return client

    return make_client


@pytest.fixture
async def client(make: MakeClient) -> Client:
    return await make(biometric="approve")


def check(**changes: Any) -> dict[str, Any]:
    return {**CHECK, **changes}


def amount(minor: str, exponent: int = 2, currency: str = "978") -> dict[str, Any]:
    return {"minor": minor, "currency": currency, "exponent": exponent}


# -- check-authentication-method --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "decision", "methods"),
    [
        (check(merchantName="Shop decline-me"), "decline", []),
        (check(merchantName="DECLINE", amount=amount("1")), "decline", []),  # first match wins
        (check(amount=amount("10000")), "challenge", ["otp_sms"]),  # exactly 100.00
        (check(amount=amount("9999")), "frictionless", []),  # 99.99
        (check(amount=amount("100", 0, "392")), "challenge", ["otp_sms"]),  # 100 JPY
        (check(amount=amount("99999", 3, "048")), "frictionless", []),  # 99.999 BHD
        (check(amount=amount("000000000000010000")), "challenge", ["otp_sms"]),
        (check(amount=None), "frictionless", []),
        (
            check(amount=None, rule={"transStatus": "C", "rule": "r", "methods": ["kba"]}),
            "challenge",
            ["kba"],
        ),
        (
            check(amount=amount("1"), rule={"transStatus": "C", "rule": None, "methods": []}),
            "challenge",
            [],
        ),
        (check(amount=amount("1"), rule={"transStatus": "N"}), "frictionless", []),
    ],
)
async def test_check_authentication_method_policy(
    client: Client, body: dict[str, Any], decision: str, methods: list[str]
) -> None:
    status, answer = await post(client, "/check-authentication-method", body)
    assert status == 200
    assert answer["decision"] == decision
    assert answer["methods"] == methods
    assert isinstance(answer["reason"], str) and answer["reason"]


async def test_nullable_members_may_be_null_or_absent(client: Client) -> None:
    body = check(cardholderId=None, merchantName=None, mcc=None)  # a 3RI AReq may lack them
    del body["amount"]
    status, answer = await post(client, "/check-authentication-method", body)
    assert (status, answer["decision"]) == (200, "frictionless")


async def test_challenge_reason_shows_the_amount(client: Client) -> None:
    _, answer = await post(client, "/check-authentication-method", check())
    assert "123.45" in answer["reason"]


# -- validate-passcode ------------------------------------------------------------------------


async def test_default_passcode_is_123456_for_every_cardholder(client: Client) -> None:
    for cardholder in ("ch-1", "anyone", None):
        body = {"acsTransID": TRANS, "cardholderId": cardholder, "passcode": "123456"}
        assert await post(client, "/validate-passcode", body) == (200, {"valid": True})
        body["passcode"] = "654321"
        assert await post(client, "/validate-passcode", body) == (200, {"valid": False})


async def test_passcodes_per_cardholder(make: MakeClient) -> None:
    client = await make(passcodes={"alice": "1111", "bob": "pässwörd"})

    async def valid(cardholder: str | None, passcode: str) -> bool:
        body = {"acsTransID": TRANS, "cardholderId": cardholder, "passcode": passcode}
        status, answer = await post(client, "/validate-passcode", body)
        assert status == 200
        return bool(answer["valid"])

    assert await valid("alice", "1111")
    assert not await valid("alice", "123456")
    assert await valid("bob", "pässwörd")  # not ASCII: still compared (as UTF-8 bytes)
    assert not await valid("bob", "passwort")
    assert not await valid("carol", "123456")  # not in the mapping: no passcode
    assert not await valid(None, "")
    assert not await valid("carol", "")


@pytest.fixture
def all_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """Every event, info included (the suite logs at warning)."""
    before = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with structlog.testing.capture_logs() as events:
            yield events
    finally:
        structlog.configure(**before)


async def test_passcode_is_never_logged_nor_recorded(
    client: Client, all_logs: list[MutableMapping[str, Any]]
) -> None:
    passcode = "987650"
    body = {"acsTransID": TRANS, "cardholderId": "ch-1", "passcode": passcode}
    await post(client, "/validate-passcode", body)
    await post(client, "/validate-passcode", {**body, "passcode": 987650})  # a 400
    events = all_logs
    assert [e["status"] for e in events] == [200, 400], "the calls are logged"
    assert passcode not in repr(events)
    calls = await (await client.get("/calls")).json()
    assert passcode not in json.dumps(calls)


# -- delegated OTP ----------------------------------------------------------------------------


async def send_otp(client: Client, trans: str = TRANS, channel: str = "sms") -> str:
    body = {**SAMPLES["/otp/send"], "acsTransID": trans, "channel": channel}
    status, answer = await post(client, "/otp/send", body)
    assert status == 200 and answer["status"] == "sent"
    uuid.UUID(answer["reference"])
    return str(answer["reference"])


async def qa_code(client: Client, trans: str = TRANS) -> dict[str, Any]:
    resp = await client.get(f"/otp/{trans}")
    assert resp.status == 200
    shown: dict[str, Any] = await resp.json()
    return shown


async def test_otp_send_show_verify_once(client: Client) -> None:
    reference = await send_otp(client)
    shown = await qa_code(client)
    assert shown["acsTransID"] == TRANS and shown["reference"] == reference
    code = shown["code"]
    assert re.fullmatch(r"[0-9]{6}", code)

    verify = {"acsTransID": TRANS, "reference": reference}
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert await post(client, "/otp/verify", {**verify, "code": wrong}) == (200, {"valid": False})
    assert await post(client, "/otp/verify", {**verify, "code": code}) == (200, {"valid": True})
    # a code works once
    assert await post(client, "/otp/verify", {**verify, "code": code}) == (200, {"valid": False})
    assert (await qa_code(client))["status"] == "used"


async def test_otp_verify_refuses_another_transaction_or_reference(client: Client) -> None:
    reference = await send_otp(client)
    code = (await qa_code(client))["code"]
    other = {"acsTransID": str(uuid.uuid4()), "reference": reference, "code": code}
    assert await post(client, "/otp/verify", other) == (200, {"valid": False})
    unknown = {"acsTransID": TRANS, "reference": str(uuid.uuid4()), "code": code}
    assert await post(client, "/otp/verify", unknown) == (200, {"valid": False})
    empty = {"acsTransID": TRANS, "reference": "", "code": ""}
    assert await post(client, "/otp/verify", empty) == (200, {"valid": False})
    ok = {"acsTransID": TRANS, "reference": reference, "code": code}
    assert await post(client, "/otp/verify", ok) == (200, {"valid": True})


async def test_otp_cancel(client: Client) -> None:
    reference = await send_otp(client)
    code = (await qa_code(client))["code"]
    cancel = {"acsTransID": TRANS, "reference": reference}
    assert await post(client, "/otp/cancel", cancel) == (200, {"cancelled": True})
    assert await post(client, "/otp/cancel", cancel) == (200, {"cancelled": True})  # idempotent
    unknown = {"acsTransID": TRANS, "reference": "nope"}
    assert await post(client, "/otp/cancel", unknown) == (200, {"cancelled": True})
    verify = {"acsTransID": TRANS, "reference": reference, "code": code}
    assert await post(client, "/otp/verify", verify) == (200, {"valid": False})


async def test_qa_shows_the_newest_code_and_404_when_none(client: Client) -> None:
    await send_otp(client)
    second = await send_otp(client, channel="voice")
    shown = await qa_code(client)
    assert shown["reference"] == second and shown["channel"] == "voice"
    resp = await client.get("/otp/never-sent")
    assert resp.status == 404
    answer = await resp.json()
    assert "never-sent" in answer["error"] and answer["hint"]


async def test_otp_code_is_never_logged(
    client: Client, all_logs: list[MutableMapping[str, Any]]
) -> None:
    reference = await send_otp(client)
    code = (await qa_code(client))["code"]
    verify = {"acsTransID": TRANS, "reference": reference, "code": code}
    await post(client, "/otp/verify", verify)
    assert len(all_logs) == 2 and code not in repr(all_logs)


# -- biometric --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "cardholder", "verdict"),
    [
        ("approve", "ch-1", "approved"),
        ("deny", "ch-1", "denied"),
        ("approve", "ch-1-deny", "denied"),
        ("pending", "ch-1-deny", "denied"),
        ("timeout", "ch-1-deny", "denied"),  # at once, even in timeout mode
    ],
)
async def test_biometric_at_once(
    make: MakeClient, mode: str, cardholder: str, verdict: str
) -> None:
    client = await make(biometric=mode)
    body = {**SAMPLES["/biometric"], "cardholderId": cardholder}
    assert await post(client, "/biometric", body) == (200, {"verdict": verdict})
    assert not client.app[ISSUER_SIM].tasks  # no callback


async def test_pending_biometric_calls_back_signed(make: MakeClient, aiohttp_server: Any) -> None:
    received: asyncio.Queue[tuple[bool, bytes, str]] = asyncio.Queue()

    async def acs_callback(request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get(SIGNATURE_HEADER, "")
        await received.put((verify_signature(SECRET, header, body), body, request.path))
        return web.json_response({"ok": True})

    acs = web.Application()
    acs.router.add_post("/issuer/biometric/{id}", acs_callback)
    server = await aiohttp_server(acs)
    client = await make(biometric="pending", biometric_delay=0.05)
    url = str(server.make_url(f"/issuer/biometric/{TRANS}"))
    body = {**SAMPLES["/biometric"], "callbackUrl": url}

    started = time.monotonic()
    assert await post(client, "/biometric", body) == (200, {"verdict": "pending"})
    valid, raw, path = await asyncio.wait_for(received.get(), 5)
    assert time.monotonic() - started >= 0.05
    assert valid, "the callback is signed with the shared secret"
    assert json.loads(raw) == {"verdict": "approved"}
    assert path == f"/issuer/biometric/{TRANS}"

    sim = client.app[ISSUER_SIM]
    for _ in range(100):  # the task records the delivery after the ACS answered
        if not sim.tasks:
            break
        await asyncio.sleep(0.01)
    assert not sim.tasks
    calls = await (await client.get("/calls")).json()
    assert calls[-1]["path"] == "biometric callback"
    assert calls[-1]["answer"] == {"verdict": "approved", "delivered": 200}


async def test_pending_callback_to_nowhere_is_recorded_not_raised(make: MakeClient) -> None:
    client = await make(biometric="pending", biometric_delay=0)
    body = {**SAMPLES["/biometric"], "callbackUrl": f"http://127.0.0.1:{free_port()}/cb"}
    assert await post(client, "/biometric", body) == (200, {"verdict": "pending"})
    sim = client.app[ISSUER_SIM]
    await asyncio.wait_for(asyncio.gather(*sim.tasks), 5)
    assert sim.calls[-1]["path"] == "biometric callback"
    assert "error" in sim.calls[-1]["answer"]


async def test_callbacks_under_way_are_cancelled_on_cleanup(make: MakeClient) -> None:
    client = await make(biometric="pending", biometric_delay=3600)
    assert await post(client, "/biometric", SAMPLES["/biometric"]) == (200, {"verdict": "pending"})
    sim = client.app[ISSUER_SIM]
    (task,) = sim.tasks
    await client.close()
    assert task.cancelled()
    assert not sim.tasks


async def test_timeout_mode_does_not_answer_and_stops_on_shutdown(make: MakeClient) -> None:
    client = await make(biometric="timeout")
    body = json.dumps(SAMPLES["/biometric"]).encode()
    with pytest.raises(asyncio.TimeoutError):
        await client.post(
            "/biometric",
            data=body,
            headers=signed(body),
            timeout=aiohttp.ClientTimeout(total=0.3),
        )
    started = time.monotonic()
    await client.close()
    assert time.monotonic() - started < 5, "shutdown does not wait the 35 s out"


@pytest.mark.parametrize(
    "url", ["", "not a url", "/relative/cb", "ftp://acs.example/cb", "http://", "http://[::1"]
)
async def test_biometric_refuses_an_unusable_callback_url(client: Client, url: str) -> None:
    status, answer = await post(client, "/biometric", {**SAMPLES["/biometric"], "callbackUrl": url})
    assert status == 400
    assert answer["field"] == "callbackUrl" and answer["error"].startswith("callbackUrl")


# -- the signature ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SAMPLES))
async def test_missing_signature_is_401(client: Client, path: str) -> None:
    resp = await client.post(path, json=SAMPLES[path])
    assert resp.status == 401
    answer = await resp.json()
    assert "missing" in answer["error"] and SIGNATURE_HEADER in answer["hint"]


async def test_wrong_secret_changed_body_and_stale_signatures_are_401(client: Client) -> None:
    body = json.dumps(CHECK).encode()
    path = "/check-authentication-method"

    status, answer = await post(client, path, body, secret="another-secret")
    assert status == 401 and "does not match" in answer["error"]

    tampered = body.replace(b"Test Merchant", b"Test Merchanx")
    status, answer = await post(client, path, tampered, headers=signed(body))
    assert status == 401 and "does not match" in answer["error"]

    status, answer = await post(client, path, body, at=int(time.time()) - 301)
    assert status == 401 and "clock" in answer["error"]
    status, answer = await post(client, path, body, at=int(time.time()) + 301)
    assert status == 401 and "clock" in answer["error"]

    assert (await post(client, path, body, at=int(time.time()) - 250))[0] == 200


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        "t=,v1=",
        "v1=00",
        "t=123",
        "t=²,v1=00",  # a digit to str.isdigit, not to int()
        f"t={'9' * 400},v1=00",  # too large for a float
        f"t={'9' * 5000},v1=00",  # too long for int()
    ],
)
async def test_malformed_signatures_are_401_not_500(client: Client, header: str) -> None:
    body = json.dumps(CHECK).encode()
    status, answer = await post(
        client, "/check-authentication-method", body, headers={SIGNATURE_HEADER: header}
    )
    assert status == 401 and answer["error"] and answer["hint"]


async def test_a_rotated_secret_can_be_sent_beside_the_old(client: Client) -> None:
    body = json.dumps(CHECK).encode()
    now = int(time.time())
    old = sign("old-secret", body, now)
    new = sign(SECRET, body, now).split(",")[1]
    status, _ = await post(
        client, "/check-authentication-method", body, headers={SIGNATURE_HEADER: f"{old},{new}"}
    )
    assert status == 200


# -- bodies of the wrong shape ----------------------------------------------------------------


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/check-authentication-method", without(CHECK, "acsTransID"), "acsTransID"),
        ("/check-authentication-method", without(CHECK, "rule"), "rule"),
        ("/check-authentication-method", check(acsTransID=""), "acsTransID"),
        ("/check-authentication-method", check(acsTransID="x" * 65), "acsTransID"),
        ("/check-authentication-method", without(CHECK, "merchantName"), "merchantName"),
        ("/check-authentication-method", check(merchantName=7), "merchantName"),
        ("/check-authentication-method", check(amount=amount("12.30")), "amount.minor"),
        ("/check-authentication-method", check(amount=amount("١٢٣")), "amount.minor"),
        ("/check-authentication-method", check(amount=amount("1", 10)), "amount.exponent"),
        ("/check-authentication-method", check(amount=amount("1", -1)), "amount.exponent"),
        ("/check-authentication-method", check(amount=amount("1", 2, "EUR")), "amount.currency"),
        (
            "/check-authentication-method",
            check(amount={"minor": "1", "currency": "978"}),
            "amount.exponent",
        ),
        ("/check-authentication-method", check(rule={"transStatus": 1}), "rule.transStatus"),
        ("/check-authentication-method", check(rule={"methods": []}), "rule.transStatus"),
        (
            "/check-authentication-method",
            check(rule={"transStatus": "C", "methods": [1]}),
            "rule.methods[0]",
        ),
        ("/validate-passcode", without(SAMPLES["/validate-passcode"], "passcode"), "passcode"),
        ("/validate-passcode", {**SAMPLES["/validate-passcode"], "passcode": 123456}, "passcode"),
        ("/otp/send", {**SAMPLES["/otp/send"], "channel": "fax"}, "channel"),
        ("/otp/send", without(SAMPLES["/otp/send"], "merchantName"), "merchantName"),
        ("/otp/verify", without(SAMPLES["/otp/verify"], "reference"), "reference"),
        ("/otp/verify", {**SAMPLES["/otp/verify"], "code": 123456}, "code"),
        ("/otp/cancel", without(SAMPLES["/otp/cancel"], "reference"), "reference"),
        ("/biometric", without(SAMPLES["/biometric"], "callbackUrl"), "callbackUrl"),
        ("/biometric", {**SAMPLES["/biometric"], "cardholderId": 7}, "cardholderId"),
        ("/otp/send", [SAMPLES["/otp/send"]], "(body)"),
        ("/otp/send", "a string", "(body)"),
        ("/otp/send", None, "(body)"),
    ],
)
async def test_bad_bodies_are_400_naming_the_field(
    client: Client, path: str, body: Any, field: str
) -> None:
    status, answer = await post(client, path, body)
    assert status == 400
    assert answer["field"] == field
    assert answer["error"].startswith(f"{field}: ")
    assert path in answer["hint"]


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b'{"acsTransID": "\\ud800"}', b"nul"])
async def test_not_json_is_400(client: Client, raw: bytes) -> None:
    status, answer = await post(client, "/otp/send", raw)
    assert status == 400 and answer["field"] == "(body)"


async def test_unknown_members_are_ignored(client: Client) -> None:
    status, _ = await post(client, "/check-authentication-method", check(extra={"a": 1}))
    assert status == 200


async def test_bodies_over_16_kib_are_413(client: Client) -> None:
    body = json.dumps(check(merchantName="x" * MAX_BODY)).encode()
    status, answer = await post(client, "/check-authentication-method", body)
    assert status == 413 and answer["error"]

    async def chunks() -> Any:  # no Content-Length: counted as it is read
        for _ in range(5):
            yield b" " * 4096

    resp = await client.post("/check-authentication-method", data=chunks(), headers=signed(b""))
    assert resp.status == 413


async def test_unknown_routes_and_methods_answer_json(client: Client) -> None:
    resp = await client.get("/nowhere")
    assert resp.status == 404 and (await resp.json())["hint"].startswith("routes:")
    resp = await client.get("/check-authentication-method")
    assert resp.status == 405 and "POST" in resp.headers["Allow"]
    assert (await resp.json())["error"]


# -- the rest ---------------------------------------------------------------------------------


async def test_healthz(client: Client) -> None:
    resp = await client.get("/healthz")
    assert (resp.status, await resp.json()) == (200, {"status": "ok"})


async def test_calls_are_recorded_newest_last(client: Client) -> None:
    other = str(uuid.uuid4())
    await post(client, "/check-authentication-method", check())
    await post(client, "/otp/send", {**SAMPLES["/otp/send"], "acsTransID": other})
    await post(client, "/otp/send", {**SAMPLES["/otp/send"], "acsTransID": other, "channel": 1})
    await client.post("/validate-passcode", json=SAMPLES["/validate-passcode"])  # unsigned
    calls = await (await client.get("/calls")).json()
    assert [(c["path"], c["acsTransID"], c["status"]) for c in calls] == [
        ("/check-authentication-method", TRANS, 200),
        ("/otp/send", other, 200),
        ("/otp/send", other, 400),  # refused: the transaction still named
        ("/validate-passcode", None, 401),  # unsigned: nothing read from the body
    ]
    assert calls[0]["answer"]["decision"] == "challenge"
    assert calls[2]["answer"]["field"] == "channel"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", c["at"]) for c in calls)
    mine = await (await client.get("/calls", params={"acsTransID": other})).json()
    assert [c["status"] for c in mine] == [200, 400]


async def test_calls_are_bounded_to_1000(client: Client) -> None:
    sim = client.app[ISSUER_SIM]
    for i in range(1005):
        sim.record("/x", str(i), {}, 200)
    calls = await (await client.get("/calls")).json()
    assert len(calls) == 1000
    assert calls[0]["acsTransID"] == "5" and calls[-1]["acsTransID"] == "1004"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="biometric mode"):
        create_issuer_sim(SECRET, biometric="maybe")
    with pytest.raises(ValueError, match="biometric_delay"):
        create_issuer_sim(SECRET, biometric_delay=-1)
    with pytest.raises(ValueError, match="secret"):
        create_issuer_sim("")


async def test_mounted_in_another_app(aiohttp_client: Any) -> None:
    parent = web.Application(client_max_size=1024 * 1024)
    parent.add_subapp("/issuer-sim", create_issuer_sim(SECRET))
    client = await aiohttp_client(parent)
    status, answer = await post(client, "/issuer-sim/check-authentication-method", check())
    assert (status, answer["decision"]) == (200, "challenge")
    big = json.dumps(check(merchantName="x" * MAX_BODY)).encode()
    assert (await post(client, "/issuer-sim/check-authentication-method", big))[0] == 413
    resp = await client.get("/issuer-sim/calls")
    assert (await resp.json())[0]["path"] == "/check-authentication-method"


def test_cli_serves_and_warns_without_a_secret() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ACS_ISSUER_SECRET"}
    env["ACS_LOG_LEVEL"] = "warning"
    proc = subprocess.Popen(
        [sys.executable, "-m", "acs.cli", "issuer-sim", "--port", str(port), "--biometric", "deny"],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert json.load(r) == {"status": "ok"}
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "acs issuer-sim did not come up"
                time.sleep(0.1)
        body = json.dumps(SAMPLES["/biometric"]).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/biometric",
            data=body,
            headers=signed(body, secret="dev-issuer-secret"),
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            assert json.load(r) == {"verdict": "denied"}
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert f"listening on http://127.0.0.1:{port}" in stderr
    assert "set ACS_ISSUER_SECRET" in stderr


# -- fuzz -------------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("ACS_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
PATHS = [*SAMPLES, "/healthz", "/calls", f"/otp/{TRANS}", "/otp/", "/", "/otp/send/x"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
    max_size=80,
)


@st.composite
def bodies(draw: st.DrawFn, path: str) -> bytes:
    """Raw bytes, any JSON, or a route's sample with one member removed, changed or nested
    values replaced."""
    kind = draw(st.sampled_from(["bytes", "json", "near", "valid", "valid"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    body = json.loads(json.dumps(SAMPLES.get(path, CHECK)))
    if kind == "valid":  # the documented shape, with any values it allows
        for key, value in body.items():
            if isinstance(value, str) and key not in ("channel", "callbackUrl"):
                body[key] = draw(st.text(min_size=key == "acsTransID", max_size=64))
        if "amount" in body:
            body["amount"] = draw(
                st.none()
                | st.fixed_dictionaries(
                    {
                        "minor": st.from_regex(r"\A[0-9]{1,18}\Z"),
                        "currency": st.from_regex(r"\A[0-9]{3}\Z"),
                        "exponent": st.integers(min_value=0, max_value=9),
                    }
                )
            )
        if "rule" in body:
            body["rule"]["transStatus"] = draw(st.sampled_from(["Y", "N", "C", "A", "R"]))
            body["rule"]["methods"] = draw(st.lists(st.text(max_size=10), max_size=3))
        return json.dumps(body).encode()
    key = draw(st.sampled_from(sorted(body)))
    action = draw(st.sampled_from(["drop", "change", "amount"]))
    if action == "drop":
        del body[key]
    elif action == "change":
        body[key] = draw(json_values)
    else:
        body["amount"] = {
            "minor": draw(st.text(max_size=25) | st.from_regex(r"\A[0-9]{1,20}\Z")),
            "currency": draw(st.text(max_size=4)),
            "exponent": draw(st.integers(min_value=-3, max_value=40)),
        }
    return json.dumps(body).encode()


@pytest.fixture
async def fuzz_client(make: MakeClient) -> Client:
    # pending with a long delay: the callbacks are made, and cancelled at clean-up, never sent
    return await make(biometric="pending", biometric_delay=3600)


@FUZZ
@given(data=st.data())
async def test_fuzz_routes_never_5xx(fuzz_client: Client, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(PATHS), label="path")
    method = data.draw(st.sampled_from(["POST", "POST", "GET", "PUT"]), label="method")
    body = data.draw(bodies(path), label="body")
    signing = data.draw(st.sampled_from(["good", "stale", "none", "junk"]), label="signing")
    headers = {"Content-Type": data.draw(st.sampled_from(["application/json", "text/plain"]))}
    if signing == "good":
        headers[SIGNATURE_HEADER] = sign(SECRET, body, int(time.time()))
    elif signing == "stale":
        headers[SIGNATURE_HEADER] = sign(SECRET, body, int(time.time()) - 10_000)
    elif signing == "junk":
        headers[SIGNATURE_HEADER] = data.draw(header_text, label="header")
    resp = await fuzz_client.request(method, path, data=body, headers=headers)
    raw = await resp.read()
    assert resp.status < 500, raw
    assert resp.content_type == "application/json", raw
    json.loads(raw)
