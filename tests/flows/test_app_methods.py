"""Every native UI of the app channel, driven by the independent SDK simulator: the cardholder's
choice of channel (02, then 01), transaction history (03), out-of-band approval (04) with the
issuer API and the banking-app inbox, and a card whose challenge shows in the HTML UI (05)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlparse

import pytest
from aiohttp.test_utils import TestClient

from acs.challenge.methods.base import MethodContext
from acs.challenge.methods.history import History
from acs.issuer.models import ChallengeSettings
from acs.web.appkeys import SERVICES
from tests.flows.test_app_flow import begin, code_for, send
from tests.flows.test_browser_flow import StubDS, make_client, wait_for
from tests.interop.sdk import SdkSession

CHOOSE_CARD = "4016000000000145"
HISTORY_CARD = "4016000000000152"
OOB_CARD = "4016000000000160"
HTML_CARD = "4016000000000178"
OWN_PAYMENTS = ("Corner Coffee", "Tram Tickets", "Book Nook")  # config/cardholders.yaml


async def outbox(client: TestClient, acs_trans_id: str) -> list[dict[str, Any]]:
    resp = await client.get(f"/qa/outbox?acsTransID={acs_trans_id}")
    entries: list[dict[str, Any]] = await resp.json()
    return entries


async def record(client: TestClient, acs_trans_id: str) -> dict[str, Any]:
    view: dict[str, Any] = await (await client.get(f"/qa/transactions/{acs_trans_id}")).json()
    return view


def options(cres: dict[str, Any]) -> dict[str, str]:
    return {k: v for option in cres["challengeSelectInfo"] for k, v in option.items()}


@pytest.mark.parametrize("version", ["2.1.0", "2.2.0", "2.3.1"])
async def test_choose_the_channel_then_enter_the_code(aiohttp_client, ds, version: str) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version=version)
    ares = await begin(client, ds, sdk, pan=CHOOSE_CARD)
    assert ares["acsRenderingType"] == {"acsInterface": "01", "acsUiTemplate": "02"}
    choice = await send(client, sdk, sdk.start())
    assert choice["acsUiType"] == "02" and choice["submitAuthenticationLabel"]
    labels = options(choice)
    assert set(labels) == {"otp_sms", "otp_email", "otp_voice"}
    assert "+44*******123" in labels["otp_sms"] and "c***@example.com" in labels["otp_email"]
    assert await outbox(client, ares["acsTransID"]) == []  # nothing sent before the choice
    text = await send(client, sdk, sdk.choose("otp_email"))
    assert text["acsUiType"] == "01" and "c***@example.com" in text["challengeInfoText"]
    (sent,) = await outbox(client, ares["acsTransID"])
    assert sent["channel"] == "email"
    final = await send(client, sdk, sdk.enter_text(await code_for(client, ares["acsTransID"])))
    assert (final["transStatus"], final["challengeCompletionInd"]) == ("Y", "Y")
    (rreq,) = ds.received
    assert rreq["transStatus"] == "Y" and rreq["interactionCounter"] == "02"
    assert rreq["authenticationMethod"] if version == "2.3.1" else True
    if version != "2.3.1":
        assert rreq["authenticationType"] == "02"  # dynamic: the code, not the choice


async def test_a_choice_not_offered_is_a_wrong_answer(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk, pan=CHOOSE_CARD)
    await send(client, sdk, sdk.start())
    sdk.ui = {**(sdk.ui or {}), "challengeSelectInfo": [{"sms": "forged"}]}  # a broken SDK
    again = await send(client, sdk, sdk.choose("sms"))
    assert (again["acsUiType"], again["challengeInfoTextIndicator"]) == ("02", "Y")
    assert await outbox(client, ares["acsTransID"]) == []


async def test_transaction_history_multi_select(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.3.1", enc="A128GCM")
    await begin(client, ds, sdk, pan=HISTORY_CARD)
    ui = await send(client, sdk, sdk.start())
    assert ui["acsUiType"] == "03" and len(ui["challengeSelectInfo"]) == 5
    labels = options(ui)
    own = [value for value, label in labels.items() if label.startswith(OWN_PAYMENTS)]
    assert 1 <= len(own) <= 2
    decoy = next(v for v in labels if v not in own)
    wrong = await send(client, sdk, sdk.choose([*own, decoy]))
    assert wrong["challengeInfoTextIndicator"] == "Y" and wrong["acsUiType"] == "03"
    final = await send(client, sdk, sdk.choose(own))
    assert final["transStatus"] == "Y"
    (rreq,) = ds.received
    assert rreq["transStatus"] == "Y" and rreq["interactionCounter"] == "02"


async def test_history_attempts_run_out(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    await begin(client, ds, sdk, pan=HISTORY_CARD)
    ui = await send(client, sdk, sdk.start())
    decoys = [v for v, label in options(ui).items() if not label.startswith(OWN_PAYMENTS)]
    for _ in range(2):
        await send(client, sdk, sdk.choose(decoys[:1]))
    final = await send(client, sdk, sdk.choose(decoys[:1]))
    assert final["transStatus"] == "N"
    assert (ds.received[0]["transStatus"], ds.received[0]["transStatusReason"]) == ("N", "19")


async def start_oob(client: TestClient, ds: StubDS, sdk: SdkSession) -> tuple[str, dict[str, Any]]:
    ares = await begin(client, ds, sdk, pan=OOB_CARD)
    assert ares["acsRenderingType"]["acsUiTemplate"] == "04"
    ui = await send(client, sdk, sdk.start())
    assert ui["acsUiType"] == "04" and ui["oobContinueLabel"] and ui["challengeInfoText"]
    assert "challengeInfoLabel" not in ui  # nothing to label: no input
    return str(ares["acsTransID"]), ui


async def test_oob_approved_through_the_issuer_api(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    acs_trans_id, _ = await start_oob(client, ds, sdk)
    early = await send(client, sdk, sdk.oob_continue())  # back before approving
    assert early["acsUiType"] == "04" and early["challengeInfoTextIndicator"] == "Y"
    assert (await record(client, acs_trans_id))["challenge"]["attempts"] == 0
    resp = await client.post(f"/issuer/oob/{acs_trans_id}", json={"decision": "approve"})
    assert resp.status == 200 and (await resp.json())["trans_status"] == "Y"
    (rreq,) = ds.received  # the RReq does not wait for the cardholder to come back
    assert rreq["interactionCounter"] == "01"  # the approval; the early continue was no cycle
    assert rreq["transStatus"] == "Y" and rreq["authenticationType"] == "03"  # OOB
    final = await send(client, sdk, sdk.oob_continue())
    assert (final["transStatus"], final["challengeCompletionInd"]) == ("Y", "Y")
    again = await client.post(f"/issuer/oob/{acs_trans_id}", json={"decision": "deny"})
    assert again.status == 409 and "not waiting" in (await again.json())["error"]


async def test_oob_denied_in_the_banking_app_inbox(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.3.1")
    acs_trans_id, _ = await start_oob(client, ds, sdk)
    (push,) = await outbox(client, acs_trans_id)
    assert push["channel"] == "push" and push["code"] is None
    path = urlparse(push["link"]).path
    page = await client.get(path)
    assert page.status == 200 and "Approve" in await page.text()
    denied = await client.post(path, data={"decision": "deny"})
    assert denied.status == 200 and "Declined" in await denied.text()
    assert (ds.received[0]["transStatus"], ds.received[0]["transStatusReason"]) == ("N", "01")
    final = await send(client, sdk, sdk.oob_continue())
    assert final["transStatus"] == "N"
    gone = await client.get(path)  # the link no longer offers a decision
    assert "no longer waiting" in await gone.text()


async def test_a_resend_retires_the_earlier_link(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    acs_trans_id, _ = await start_oob(client, ds, sdk)
    await send(client, sdk, sdk.resend())
    first, second = await outbox(client, acs_trans_id)
    old = await client.post(urlparse(first["link"]).path, data={"decision": "approve"})
    assert "no longer waiting" in await old.text() and ds.received == []
    ok = await client.post(urlparse(second["link"]).path, data={"decision": "approve"})
    assert "Approved" in await ok.text()
    assert ds.received[0]["transStatus"] == "Y"


async def test_no_approval_in_time_is_n_14(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, challenge_page_seconds=0.3)
    sdk = SdkSession(message_version="2.2.0")
    await start_oob(client, ds, sdk)
    await wait_for(lambda: bool(ds.received))
    rreq = ds.received[0]
    assert (rreq["transStatus"], rreq["transStatusReason"], rreq["challengeCancel"]) == (
        "N",
        "14",
        "04",
    )


async def test_fifty_approvals_at_once_send_one_rreq(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    acs_trans_id, _ = await start_oob(client, ds, sdk)

    async def one(decision: str) -> int:
        resp = await client.post(f"/issuer/oob/{acs_trans_id}", json={"decision": decision})
        return resp.status

    statuses = await asyncio.gather(*(one("approve" if i % 2 else "deny") for i in range(50)))
    assert sorted(set(statuses)) == [200, 409] and statuses.count(200) == 1
    assert len(ds.received) == 1


@pytest.mark.parametrize("body", [b"", b"{}", b'{"decision": "maybe"}', b"[1]", b'{"decision": 1}'])
async def test_issuer_api_refuses_a_bad_body(aiohttp_client, ds, body: bytes) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    acs_trans_id, _ = await start_oob(client, ds, sdk)
    resp = await client.post(
        f"/issuer/oob/{acs_trans_id}", data=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    error = await resp.json()
    assert error["field"] == "decision" and "approve" in error["hint"]


async def test_issuer_api_unknown_transaction(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    resp = await client.post(
        "/issuer/oob/8a880dc0-d2d2-4067-bcb1-b08d1690b26e", json={"decision": "approve"}
    )
    assert resp.status == 404 and (await resp.json())["field"] == "acsTransID"
    bad = await client.post("/issuer/oob/not-a-uuid", json={"decision": "approve"})
    assert bad.status == 400
    forged = await client.get("/oob/8a880dc0-d2d2-4067-bcb1-b08d1690b26e.x.99999999999.sig")
    assert forged.status == 404 and "GET /qa/outbox" in (await forged.json())["hint"]


@pytest.mark.parametrize("enc", ["A128CBC-HS256", "A128GCM"])
async def test_the_html_card_uses_the_html_ui_for_every_step(aiohttp_client, ds, enc: str) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0", enc=enc)
    ares = await begin(client, ds, sdk, pan=HTML_CARD)
    assert ares["acsRenderingType"] == {"acsInterface": "02", "acsUiTemplate": "05"}
    ui = await send(client, sdk, sdk.start())
    assert ui["acsUiType"] == "05" and sdk.html and 'name="otp"' in sdk.html
    code = await code_for(client, ares["acsTransID"])
    final = await send(client, sdk, sdk.html_submit({"otp": code}))
    assert final["transStatus"] == "Y"


async def test_html_ui_for_a_choice_and_oob_when_the_sdk_offers_only_html(
    aiohttp_client, ds
) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0", sdk_interface="02", sdk_ui_types=["05"])
    ares = await begin(client, ds, sdk, pan=CHOOSE_CARD)
    assert ares["acsRenderingType"]["acsUiTemplate"] == "05"
    await send(client, sdk, sdk.start())
    assert sdk.html and 'type="radio" name="choice" value="otp_voice"' in sdk.html
    await send(client, sdk, sdk.html_submit({}, button="submit"))  # nothing chosen: wrong
    assert "Please choose one of the options." in (sdk.html or "")
    await send(client, sdk, sdk.html_submit(tick=["otp_voice"]))
    assert 'name="otp"' in (sdk.html or "")
    (sent,) = await outbox(client, ares["acsTransID"])
    assert sent["channel"] == "voice"

    oob = SdkSession(message_version="2.3.1", sdk_interface="02", sdk_ui_types=["05"])
    oob_id, _ = await start_oob_html(client, ds, oob)
    pending = await send(client, oob, oob.html_submit(button="continue"))
    assert pending["acsUiType"] == "05"
    await client.post(f"/issuer/oob/{oob_id}", json={"decision": "approve"})
    final = await send(client, oob, oob.html_submit(button="continue"))
    assert final["transStatus"] == "Y"


async def start_oob_html(
    client: TestClient, ds: StubDS, sdk: SdkSession
) -> tuple[str, dict[str, Any]]:
    ares = await begin(client, ds, sdk, pan=OOB_CARD)
    ui = await send(client, sdk, sdk.start())
    assert ui["acsUiType"] == "05" and sdk.html and 'value="continue"' in sdk.html
    return str(ares["acsTransID"]), ui


async def test_no_ui_for_the_method_falls_back_or_is_u(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    """An SDK offering only the text UI: the choice card runs the first method (no choice),
    the history card falls back to a method the SDK can show (a code)."""
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0", sdk_interface="01", sdk_ui_types=["01"])
    ares = await begin(client, ds, sdk, pan=CHOOSE_CARD)
    assert ares["acsRenderingType"]["acsUiTemplate"] == "01"
    ui = await send(client, sdk, sdk.start())
    assert ui["acsUiType"] == "01"
    history = SdkSession(message_version="2.2.0", sdk_interface="01", sdk_ui_types=["01"])
    ares = await begin(client, ds, history, pan=HISTORY_CARD)
    assert ares["acsRenderingType"]["acsUiTemplate"] == "01"


async def test_native_screens_carry_why_info_and_images_the_acs_serves(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    await begin(client, ds, sdk, pan=OOB_CARD)
    ui = await send(client, sdk, sdk.start())
    assert ui["whyInfoLabel"] and ui["whyInfoText"] and ui["expandInfoLabel"]
    assert len(ui["whyInfoText"]) <= 256 and len(ui["expandInfoLabel"]) <= 45
    assert ui["psImage"]["medium"].endswith("/3ds/static/images/visa-medium.png")
    issuer = ui["issuerImage"]
    assert set(issuer) == {"medium", "high", "extraHigh"}
    for url in (*issuer.values(), *ui["psImage"].values()):
        assert url.startswith("http"), url  # absolute: the SDK loads it itself
        resp = await client.get(urlparse(url).path)
        assert resp.status == 200 and resp.content_type == "image/png"
        assert (await resp.read())[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("app_url", "offered"),
    [
        ("https://merchant.example/app/return", True),
        ("merchantapp://return", False),  # only https (universal links) is offered
        ("javascript:alert(1)", False),
    ],
)
async def test_the_banking_app_offers_the_way_back(
    aiohttp_client, ds, app_url: str, offered: bool
) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    acs_trans_id, _ = await start_oob_with(client, ds, sdk, threeDSRequestorAppURL=app_url)
    (push,) = await outbox(client, acs_trans_id)
    approved = await (
        await client.post(urlparse(push["link"]).path, data={"decision": "approve"})
    ).text()
    assert "Approved" in approved
    assert (f'href="{app_url}"' in approved) is offered


async def start_oob_with(
    client: TestClient, ds: StubDS, sdk: SdkSession, **creq: Any
) -> tuple[str, dict[str, Any]]:
    ares = await begin(client, ds, sdk, pan=OOB_CARD)
    ui = await send(client, sdk, sdk.creq(**creq))
    return str(ares["acsTransID"]), ui


async def test_history_asks_about_payments_authenticated_before(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    """A payment the card authenticated by a challenge joins the cardholder's history: the next
    history challenge may ask about it, beside the config's payments."""
    client = await make_client(aiohttp_client)
    services = client.server.app[SERVICES]
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk, pan=HISTORY_CARD, merchantName="Harbour Ferries")
    ui = await send(client, sdk, sdk.start())
    own = [v for v, label in options(ui).items() if label.startswith(OWN_PAYMENTS)]
    assert (await send(client, sdk, sdk.choose(own)))["transStatus"] == "Y"
    session = await services.challenge.sessions.get(ares["acsTransID"])
    assert session is not None
    (stored,) = await services.store.payments(session.pan_hash)
    assert b"Harbour Ferries" in stored

    ctx = MethodContext(services.challenge, ChallengeSettings(), services.renderer.texts["en"])
    asked = await History().prepare(ctx, session)
    assert [p.merchant for p in asked][:1] == ["Harbour Ferries"]  # newest first
    assert {p.merchant for p in asked} >= set(OWN_PAYMENTS)
