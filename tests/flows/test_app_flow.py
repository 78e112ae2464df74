"""The app channel end to end, driven by the independent SDK simulator (tests/interop/sdk.py,
jwcrypto and cryptography only): signed content verified to the test root, the secure channel
in both encryption modes and with both signing algorithms, an OTP text challenge to the final
CRes and the RReq; then the CReqs an SDK must be refused, each with its exact Erro."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import msgspec
import pytest
from aiohttp.test_utils import TestClient

from acs.crypto.signed_content import SigningAlgorithm
from acs.web.appkeys import SERVICES
from tests.flows.test_browser_flow import StubDS, make_client, wait_for
from tests.interop.node_jose import call, jose_cli
from tests.interop.sdk import ErroReceived, SdkSession, channel_key
from tests.protocol import samples

OTP_CARD = "4016000000000111"  # challenge-otp-sms (visa range: ES256)
JOSE = {"Content-Type": "application/jose; charset=UTF-8"}


async def begin(
    client: TestClient, ds: StubDS, sdk: SdkSession, pan: str = OTP_CARD, **fields: Any
) -> dict[str, Any]:
    base = samples.areq(sdk.message_version, "01", "01", pan=pan, dsURL=ds.url, **fields)
    resp = await client.post("/3ds/areq", json=sdk.areq(base))
    ares = await resp.json()
    assert ares.get("transStatus") == "C", ares
    services = client.server.app[SERVICES]
    sdk.accept_ares(ares, services.pki.root_pem())
    return ares


async def send(client: TestClient, sdk: SdkSession, creq: bytes) -> dict[str, Any]:
    resp = await client.post("/3ds/challenge", data=creq, headers=JOSE)
    assert resp.status == 200
    return sdk.cres(await resp.read(), resp.headers.get("Content-Type"))


async def code_for(client: TestClient, acs_trans_id: str) -> str:
    messages = await (await client.get(f"/qa/outbox?acsTransID={acs_trans_id}")).json()
    return str(messages[-1]["code"])


@pytest.mark.parametrize("enc", ["A128CBC-HS256", "A128GCM"])
@pytest.mark.parametrize("version", ["2.1.0", "2.2.0", "2.3.1"])
async def test_otp_text_challenge_to_the_final_cres(  # type: ignore[no-untyped-def]
    aiohttp_client, ds, enc: str, version: str
) -> None:
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version=version, enc=enc)
    ares = await begin(client, ds, sdk)
    assert ares["acsRenderingType"]["acsInterface"] == "01"
    first = await send(client, sdk, sdk.start())
    assert (first["acsUiType"], first["challengeCompletionInd"]) == ("01", "N")
    assert first["submitAuthenticationLabel"] and first["challengeInfoText"]
    wrong = await send(client, sdk, sdk.enter_text("000000"))
    assert wrong["challengeInfoTextIndicator"] == "Y"
    final = await send(client, sdk, sdk.enter_text(await code_for(client, ares["acsTransID"])))
    assert (final["transStatus"], final["challengeCompletionInd"]) == ("Y", "Y")
    (rreq,) = ds.received
    assert rreq["transStatus"] == "Y" and rreq["interactionCounter"] == "02"
    if version != "2.1.0":
        assert rreq["sdkTransID"] == sdk.sdk_trans_id
        assert rreq["acsRenderingType"] == ares["acsRenderingType"]


async def test_resend_and_cancel(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk)
    await send(client, sdk, sdk.start())
    await send(client, sdk, sdk.resend())
    outbox = await (await client.get(f"/qa/outbox?acsTransID={ares['acsTransID']}")).json()
    assert len(outbox) == 2  # the first code and the resent one
    final = await send(client, sdk, sdk.cancel())
    assert final["transStatus"] == "N"
    (rreq,) = ds.received  # as in the browser: cancelled, authentication not performed
    assert (rreq["challengeCancel"], rreq["transStatusReason"]) == ("01", "26")


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
async def test_signed_content_in_both_algorithms(aiohttp_client, ds, algorithm: str) -> None:  # type: ignore[no-untyped-def]
    """The card range chooses the signing algorithm; the SDK checks the chain to the root."""
    client = await make_client(aiohttp_client)
    directory = client.server.app[SERVICES].directory
    card_range = directory.find_range(OTP_CARD)
    assert card_range is not None
    changed = msgspec.structs.replace(card_range, app_signing=SigningAlgorithm(algorithm))
    await directory.put_range(changed, replace=True)
    sdk = SdkSession(message_version="2.3.1", enc="A128GCM")
    ares = await begin(client, ds, sdk)
    header = json.loads(base64.urlsafe_b64decode(ares["acsSignedContent"].split(".")[0] + "=="))
    assert header["alg"] == algorithm and len(header["x5c"]) == 2
    await send(client, sdk, sdk.start())
    final = await send(client, sdk, sdk.enter_text("111111"))
    assert final["transStatus"] == "Y"


async def test_the_magic_code_and_an_sdk_without_a_usable_ui(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    await begin(client, ds, sdk)
    await send(client, sdk, sdk.start())
    final = await send(client, sdk, sdk.enter_text("111111"))
    assert final["transStatus"] == "Y"
    # an SDK that offers only the HTML interface without UI 05: no UI for a code
    blind = SdkSession(message_version="2.2.0", sdk_interface="02", sdk_ui_types=("01",))
    base = samples.areq("2.2.0", "01", "01", pan=OTP_CARD, dsURL=ds.url)
    ares = await (await client.post("/3ds/areq", json=blind.areq(base))).json()
    assert (ares["transStatus"], ares["transStatusReason"]) == ("U", "22")


async def erro_of(client: TestClient, sdk: SdkSession, creq: bytes) -> dict[str, Any]:
    with pytest.raises(ErroReceived) as caught:
        await send(client, sdk, creq)
    return caught.value.erro


async def test_replayed_and_tampered_creqs_get_their_erro(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    await begin(client, ds, sdk)
    first = sdk.start()
    await send(client, sdk, first)
    replay = await client.post("/3ds/challenge", data=first, headers=JOSE)
    erro = await replay.json()
    assert (erro["errorCode"], erro["errorComponent"]) == ("302", "A")
    assert "sdkCounterStoA" in erro["errorDetail"]
    text = sdk.enter_text("000000")
    tampered = text[:-5] + (b"AAAAA" if not text.endswith(b"AAAAA") else b"BBBBB")
    erro = await (await client.post("/3ds/challenge", data=tampered, headers=JOSE)).json()
    assert erro["errorCode"] == "302"
    header = {"alg": "dir", "enc": "A128GCM", "kid": "00000000-0000-4000-8000-000000000000"}
    head = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=")
    unknown = head + b"..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"  # no such transaction
    erro = await (await client.post("/3ds/challenge", data=unknown, headers=JOSE)).json()
    assert erro["errorCode"] == "301"


async def test_a_bad_sdk_ephemeral_key_is_erro_203(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    base = samples.areq("2.2.0", "01", "01", pan=OTP_CARD, dsURL=ds.url)
    areq = sdk.areq(base)
    areq["sdkEphemPubKey"] = {**areq["sdkEphemPubKey"], "crv": "P-384"}
    erro = await (await client.post("/3ds/areq", json=areq)).json()
    assert (erro["messageType"], erro["errorCode"]) == ("Erro", "203")
    assert erro["errorDetail"].startswith("sdkEphemPubKey")


@pytest.mark.parametrize("enc", ["A128CBC-HS256", "A128GCM"])
async def test_html_ui_when_the_sdk_offers_only_html(aiohttp_client, ds, enc: str) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0", enc=enc, sdk_interface="02", sdk_ui_types=("05",))
    ares = await begin(client, ds, sdk)
    assert ares["acsRenderingType"] == {"acsInterface": "02", "acsUiTemplate": "05"}
    first = await send(client, sdk, sdk.start())
    assert first["acsUiType"] == "05" and "challengeInfoText" not in first
    html = base64.urlsafe_b64decode(first["acsHTML"] + "==").decode()
    assert "https://emv3ds/challenge" in html and "<script" not in html
    again = await send(client, sdk, sdk.html_submit(button="resend"))
    assert again["acsUiType"] == "05"
    outbox = await (await client.get(f"/qa/outbox?acsTransID={ares['acsTransID']}")).json()
    assert len(outbox) == 2  # the resend button sent a new code
    code = await code_for(client, ares["acsTransID"])
    final = await send(client, sdk, sdk.html_submit({"otp": code}))
    assert (final["transStatus"], final["challengeCompletionInd"]) == ("Y", "Y")
    (rreq,) = ds.received
    assert rreq["acsRenderingType"] == {"acsInterface": "02", "acsUiTemplate": "05"}


@pytest.mark.parametrize("enc", ["A128CBC-HS256", "A128GCM"])
async def test_npm_jose_verifies_the_ares_and_decrypts_a_cres(aiohttp_client, ds, enc: str) -> None:  # type: ignore[no-untyped-def]
    """A live flow checked by npm jose under Node: the signed content to the test root, and a
    CRes decrypted with the key the SDK simulator derived."""
    node = jose_cli()
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.3.1", enc=enc)
    ares = await begin(client, ds, sdk)
    root = client.server.app[SERVICES].pki.root_pem().decode()
    verified = call(node, "verify", {"jws": ares["acsSignedContent"], "roots_pem": [root]})
    assert verified["chain"] == "verified"
    assert json.loads(verified["payload"])["acsTransID"] == ares["acsTransID"]
    resp = await client.post("/3ds/challenge", data=sdk.start(), headers=JOSE)
    jwe = (await resp.read()).decode()
    assert sdk.cek is not None
    key = channel_key(sdk.cek, enc, "ACS->SDK")
    cres = json.loads(call(node, "decrypt", {"jwe": jwe, "key_hex": key.hex()})["plaintext"])
    assert (cres["acsUiType"], cres["acsCounterAtoS"]) == ("01", "000")


async def test_app_timers_end_the_challenge_and_a_late_creq_is_erro_402(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, first_creq_seconds=0.2)
    sdk = SdkSession(message_version="2.2.0")
    await begin(client, ds, sdk)
    await wait_for(lambda: bool(ds.received))
    rreq = ds.received[0]
    assert (rreq["transStatus"], rreq["transStatusReason"], rreq["challengeCancel"]) == (
        "N",
        "14",
        "05",
    )
    erro = await erro_of(client, sdk, sdk.start())
    assert erro["errorCode"] == "402"


async def test_ten_minutes_between_creqs_is_a_page_timeout(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client, challenge_page_seconds=0.3)
    sdk = SdkSession(message_version="2.3.1")
    await begin(client, ds, sdk)
    await send(client, sdk, sdk.start())
    await wait_for(lambda: bool(ds.received))
    assert (ds.received[0]["transStatusReason"], ds.received[0]["challengeCancel"]) == ("14", "04")


async def test_fifty_copies_of_one_creq_count_once(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    """The counter is the app's page token: one copy is answered, the others are Erro 302."""
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk)
    await send(client, sdk, sdk.start())
    creq = sdk.enter_text("000000")

    async def one() -> tuple[int, str]:
        async with client.post("/3ds/challenge", data=creq, headers=JOSE) as resp:
            return resp.status, resp.content_type

    answers = await asyncio.gather(*(one() for _ in range(50)))
    assert {status for status, _ in answers} == {200}
    kinds = sorted(kind for _, kind in answers)
    assert kinds.count("application/jose") == 1 and kinds.count("application/json") == 49
    view = await (await client.get(f"/qa/transactions/{ares['acsTransID']}")).json()
    assert view["challenge"]["attempts"] == 1
