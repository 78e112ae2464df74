"""Enrolling what a cardholder knows or holds through the admin API: the passcode (status,
change, weak ones refused), the authenticator app (secret, provisioning URI, QR code), security
questions (known ids, bounded answers); then a challenge proves the new credential works and the
old one no longer does."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import auth
from tests.flows.test_app_flow import begin, send
from tests.flows.test_browser_flow import make_client
from tests.interop.sdk import SdkSession

NEW_PAN = "4016000000000103"
PASSCODE_HOLDER, PASSCODE_CARD = "passcode", "4016000000000186"
TOTP_HOLDER, TOTP_CARD = "totp", "4016000000000210"


async def passcode_challenge(client: TestClient, ds: Any, entry: str) -> dict[str, Any]:
    """One app challenge on the passcode card, answered with ``entry``: the CRes after it."""
    sdk = SdkSession(message_version="2.2.0")
    await begin(client, ds, sdk, pan=PASSCODE_CARD)
    await send(client, sdk, sdk.start())
    return await send(client, sdk, sdk.enter_text(entry))


async def test_passcode_status_and_change(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    path = f"/admin/cardholders/{PASSCODE_HOLDER}/passcode"
    status = await client.get(path, headers=auth())
    assert status.status == 200 and await status.json() == {"id": "passcode", "enrolled": True}
    assert "scrypt" not in await status.text()
    changed = await client.put(path, json={"passcode": "482915"}, headers=auth())
    assert changed.status == 200 and (await changed.json())["enrolled"] is True
    old = await passcode_challenge(client, ds, "123456")
    assert old["challengeCompletionInd"] == "N" and old["challengeInfoTextIndicator"] == "Y"
    new = await passcode_challenge(client, ds, "482915")
    assert new["transStatus"] == "Y"


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("000000", "repeats one digit"),
        ("777777", "repeats one digit"),
        ("123456", "straight sequence"),
        ("987654", "straight sequence"),
        ("890123", "straight sequence"),
        ("112233", "most common"),
    ],
)
async def test_weak_passcodes_are_refused_with_the_reason(
    aiohttp_client, code: str, why: str
) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    path = f"/admin/cardholders/{PASSCODE_HOLDER}/passcode"
    resp = await client.put(path, json={"passcode": code}, headers=auth())
    assert resp.status == 400
    body = await resp.json()
    assert body["field"] == "passcode" and why in body["error"] and body["hint"]
    created = await client.post(
        "/admin/cardholders",
        json={"pan": NEW_PAN, "name": "Weak Code", "passcode": code, "methods": ["passcode"]},
        headers=auth(),
    )
    assert created.status == 400 and (await created.json())["field"] == "passcode"


@pytest.mark.parametrize(
    "body", [{"passcode": "12345"}, {"passcode": "12345a"}, {"passcode": 482915}, {}, {"pin": "1"}]
)
async def test_malformed_passcode_bodies_name_the_field(aiohttp_client, body: Any) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    path = f"/admin/cardholders/{PASSCODE_HOLDER}/passcode"
    resp = await client.put(path, json=body, headers=auth())
    assert resp.status == 400
    error = await resp.json()
    assert error.get("field") in ("passcode", "pin"), error


async def test_unknown_cardholder_and_missing_token(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    for method, path, body in (
        ("GET", "/admin/cardholders/nobody/passcode", None),
        ("PUT", "/admin/cardholders/nobody/passcode", {"passcode": "482915"}),
        ("POST", "/admin/cardholders/nobody/totp", None),
    ):
        resp = await client.request(method, path, json=body, headers=auth())
        assert resp.status == 404 and "GET /admin/cardholders" in (await resp.json())["hint"]
        assert (await client.request(method, path, json=body)).status == 401


async def test_authenticator_enrolment_then_a_challenge(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    resp = await client.post(f"/admin/cardholders/{TOTP_HOLDER}/totp", headers=auth())
    assert resp.status == 201
    enrolled = await resp.json()
    secret = enrolled["secret"]
    assert len(secret) == 32 and enrolled["provisioning_uri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in enrolled["provisioning_uri"]
    assert enrolled["qr_svg"].startswith("<svg") and "</svg>" in enrolled["qr_svg"]
    listed = await (await client.get(f"/admin/cardholders/{TOTP_HOLDER}", headers=auth())).text()
    assert secret not in listed  # shown once, at enrolment
    sdk = SdkSession(message_version="2.3.1")
    await begin(client, ds, sdk, pan=TOTP_CARD)
    await send(client, sdk, sdk.start())
    old = pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DP").now()  # the config's secret is replaced
    wrong = await send(client, sdk, sdk.enter_text(old))
    assert wrong["challengeInfoTextIndicator"] == "Y"
    final = await send(client, sdk, sdk.enter_text(pyotp.TOTP(secret).now()))
    assert final["transStatus"] == "Y"


async def test_authenticator_qr_as_png(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    resp = await client.post(f"/admin/cardholders/{TOTP_HOLDER}/totp?format=png", headers=auth())
    assert resp.status == 200 and resp.content_type == "image/png"
    assert (await resp.read())[:8] == b"\x89PNG\r\n\x1a\n"
    bad = await client.post(f"/admin/cardholders/{TOTP_HOLDER}/totp?format=gif", headers=auth())
    assert bad.status == 400 and (await bad.json())["field"] == "format"


@pytest.mark.parametrize(
    ("kba", "field"),
    [
        ([{"question_id": "pet", "answer": "x" * 10_000}], "kba[0].answer"),
        ([{"question_id": "shoe-size", "answer": "42"}], "kba[0].question_id"),
        ([{"question_id": "pet", "question": "Pet?", "answer": "rex"}], "kba[0]"),
        ([{"answer": "rex"}], "kba[0]"),
        ([{"question_id": "pet"}], "kba[0]"),
    ],
)
async def test_security_question_enrolment_errors_name_the_field(
    aiohttp_client, kba: Any, field: str
) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    body = {"pan": NEW_PAN, "name": "Kba Holder", "kba": kba, "methods": ["kba"]}
    resp = await client.post("/admin/cardholders", json=body, headers=auth())
    assert resp.status == 400
    error = await resp.json()
    assert error["field"] == field, error
    if field.endswith("question_id"):
        assert "pet" in error["error"]  # the valid ids are listed


async def test_a_known_question_is_asked_from_the_catalog(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    await begin(client, ds, sdk, pan="4016000000000194")
    ui = await send(client, sdk, sdk.start())
    assert ui["challengeInfoText"] in (
        "What was the name of your first pet?",
        "In which city were you born?",
    )
