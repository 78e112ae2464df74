"""Admin API: bearer token, validation errors that name the field, persistence in the store."""

from __future__ import annotations

import pytest

from acs.app import build_services, create_app
from tests.conftest import auth, make_settings
from tests.protocol import samples

NEW_PAN = "4016000000000103"


async def test_requests_without_or_with_a_wrong_token_are_refused(memory_client) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        resp = await memory_client.get("/admin/cardholders", headers=headers)
        assert resp.status == 401
        body = await resp.json()
        assert "token" in body["error"] and "Bearer" in body["hint"]


async def test_admin_is_disabled_without_a_configured_token(aiohttp_client) -> None:
    services = await build_services(make_settings("memory", admin_token=None))
    client = await aiohttp_client(create_app(services))
    resp = await client.get("/admin/card-ranges", headers=auth())
    assert resp.status == 503
    assert "ACS_ADMIN_TOKEN" in (await resp.json())["hint"]


async def test_cardholder_list_masks_pans_and_hides_secrets(memory_client) -> None:
    resp = await memory_client.get("/admin/cardholders", headers=auth())
    assert resp.status == 200
    text = await resp.text()
    assert "4016000000000012" not in text and "scrypt$" not in text
    holders = await resp.json()
    demo = next(h for h in holders if h["id"] == "visa-demo")
    assert demo["pan"] == "401600******0053"
    assert demo["has_passcode"] is True
    assert demo["kba"] == [{"question_id": "pet"}, {"question_id": "city"}]  # never an answer


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"pan": "123", "name": "Al Short"}, "pan"),
        ({"pan": NEW_PAN}, "name"),
        ({"pan": NEW_PAN, "name": "X"}, "name"),
        ({"pan": NEW_PAN, "name": "Ok Name", "methods": ["carrier-pigeon"]}, "methods[0]"),
        ({"pan": NEW_PAN, "name": "Ok Name", "methods": ["otp_sms"]}, "mobile"),
        ({"pan": NEW_PAN, "name": "Ok Name", "passcode": "12ab56"}, "passcode"),
        ({"pan": NEW_PAN, "name": "Ok Name", "totp_secret": "not base32!"}, "totp_secret"),
        ({"pan": NEW_PAN, "name": "Ok Name", "totp_secret": "JBSW"}, "totp_secret"),
        ({"pan": NEW_PAN, "name": "Ok Name", "methods": ["totp"]}, "totp_secret"),
        ({"pan": NEW_PAN, "name": "Ok Name", "email": "not-an-email"}, "email"),
        ({"pan": NEW_PAN, "name": "Ok Name", "kba": [{"question": "Pet?"}]}, "kba[0]"),
        ({"pan": NEW_PAN, "name": "Ok Name", "colour": "blue"}, "colour"),
        ({"pan": "5999999999999999", "name": "Out Of Range"}, "pan"),
        ({"pan": "4016000000000012", "name": "Pan Taken"}, "acctNumber"),
    ],
)
async def test_invalid_cardholder_payloads_name_the_field(memory_client, payload, field) -> None:
    resp = await memory_client.post("/admin/cardholders", json=payload, headers=auth())
    assert resp.status in (400, 409), await resp.text()
    body = await resp.json()
    assert field in (body.get("field") or "") or field in body["error"], body


async def test_non_json_and_oversized_bodies(memory_client) -> None:
    resp = await memory_client.post("/admin/cardholders", data=b"{nope", headers=auth())
    assert resp.status == 400 and "JSON" in (await resp.json())["error"]
    resp = await memory_client.post("/admin/cardholders", data=b"x" * 70_000, headers=auth())
    assert resp.status == 413


async def test_cardholder_lifecycle_changes_the_decision(client) -> None:
    areq = samples.areq("2.2.0", "02", "01", pan=NEW_PAN)
    assert (await (await client.post("/3ds/areq", json=areq)).json())["transStatusReason"] == "13"

    payload = {
        "id": "new-holder",
        "pan": NEW_PAN,
        "name": "New Holder",
        "passcode": "482915",
        "methods": ["passcode"],
    }
    resp = await client.post("/admin/cardholders", json=payload, headers=auth())
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert created["pan"] == "401600******0103" and "482915" not in await resp.text()
    assert (await client.post("/admin/cardholders", json=payload, headers=auth())).status == 409

    areq = samples.areq("2.2.0", "02", "01", pan=NEW_PAN)
    assert (await (await client.post("/3ds/areq", json=areq)).json())["transStatus"] == "Y"

    payload["name"] = "Renamed Holder"
    resp = await client.put("/admin/cardholders/new-holder", json=payload, headers=auth())
    assert resp.status == 200 and (await resp.json())["name"] == "Renamed Holder"
    resp = await client.get("/admin/cardholders/new-holder", headers=auth())
    assert (await resp.json())["name"] == "Renamed Holder"
    assert (await client.put("/admin/cardholders/ghost", json=payload, headers=auth())).status in (
        400,
        404,
    )

    assert (await client.delete("/admin/cardholders/new-holder", headers=auth())).status == 200
    assert (await client.get("/admin/cardholders/new-holder", headers=auth())).status == 404
    areq = samples.areq("2.2.0", "02", "01", pan=NEW_PAN)
    assert (await (await client.post("/3ds/areq", json=areq)).json())["transStatusReason"] == "13"


JCB_RANGE = {
    "id": "demo-jcb",
    "start": "3528000000000000",
    "end": "3528009999999999",
    "scheme": "jcb",
    "issuer_name": "Demo Bank",
    "acs_reference_number": "3DS_LOA_ACS_DEMO_020300_00001",
    "keys": {"cavv_key_a": "0123456789ABCDEF", "cavv_key_b": "FEDCBA9876543210"},
}


async def test_card_range_lifecycle(client) -> None:
    pan = "3528000000000007"
    areq = samples.areq("2.2.0", "02", "01", pan=pan)
    assert (await (await client.post("/3ds/areq", json=areq)).json())["errorCode"] == "305"

    resp = await client.post("/admin/card-ranges", json=JCB_RANGE, headers=auth())
    assert resp.status == 201, await resp.text()
    shown = await resp.json()
    assert shown["keys"] == ["cavv_key_a", "cavv_key_b"]  # names only, never key material
    assert "0123456789ABCDEF" not in await resp.text()

    areq = samples.areq("2.2.0", "02", "01", pan=pan)
    ares = await (await client.post("/3ds/areq", json=areq)).json()
    assert (ares["transStatus"], ares["transStatusReason"]) == ("N", "13")

    overlapping = {**JCB_RANGE, "id": "overlap", "start": "3528005000000000"}
    resp = await client.post("/admin/card-ranges", json=overlapping, headers=auth())
    assert resp.status == 409 and "demo-jcb" in (await resp.json())["error"]

    bad = {
        **JCB_RANGE,
        "id": "bad",
        "start": "3600000000000000",
        "end": "3600009999999999",
        "keys": {"cavv_key_a": "0123"},
    }
    resp = await client.post("/admin/card-ranges", json=bad, headers=auth())
    assert resp.status == 400 and (await resp.json())["field"].startswith("keys.")

    assert (await client.get("/admin/card-ranges/demo-jcb", headers=auth())).status == 200
    assert (await client.delete("/admin/card-ranges/demo-jcb", headers=auth())).status == 200
    areq = samples.areq("2.2.0", "02", "01", pan=pan)
    assert (await (await client.post("/3ds/areq", json=areq)).json())["errorCode"] == "305"
    listed = await (await client.get("/admin/card-ranges", headers=auth())).json()
    assert {r["id"] for r in listed} == {
        "demo-visa",
        "demo-mastercard",
        "demo-amex",
        "demo-discover",
        *("issuer-consult", "issuer-consult-validates", "issuer-validates"),
        "issuer-delegated-otp",
    }  # demo-jcb gone, the config's ranges kept


async def test_qa_routes_need_the_qa_token_when_one_is_set(aiohttp_client) -> None:
    services = await build_services(make_settings("memory", qa_token="qa-secret"))
    client = await aiohttp_client(create_app(services))
    resp = await client.get("/qa/test-cards")
    assert resp.status == 401 and "ACS_QA_TOKEN" in (await resp.json())["hint"]
    assert (
        await client.get("/qa/test-cards", headers={"Authorization": "Bearer nope"})
    ).status == 401
    ok = await client.get("/qa/test-cards", headers={"Authorization": "Bearer qa-secret"})
    assert ok.status == 200
    # the DS-facing endpoint never needs it
    areq = samples.areq("2.2.0", "02", "01", pan="4016000000000012")
    assert (await (await client.post("/3ds/areq", json=areq)).json())["transStatus"] == "Y"
