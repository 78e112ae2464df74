"""What the cardholder knows or holds: the passcode, a security question, an authenticator-app
code, and chains of factors (a code, then the passcode; a code, then a choice of knowledge), in
the browser (form posts) and the app (the independent SDK simulator). The answers are the demo
cardholders' (config/cardholders.yaml): passcode 123456, KBA rex / london, TOTP secret below."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
import pyotp
import pytest
from aiohttp.test_utils import TestClient

from acs.web.appkeys import SERVICES
from tests.flows.test_app_flow import begin, send
from tests.flows.test_browser_flow import (
    StubDS,
    code_for,
    creq_field,
    make_client,
    record,
    token_of,
)
from tests.flows.test_browser_flow import start as start_areq
from tests.interop.sdk import SdkSession

PASSCODE_CARD = "4016000000000186"
KBA_CARD = "4016000000000194"
OTP_PASSCODE_CARD = "4016000000000202"
TOTP_CARD = "4016000000000210"
OTP_CHOOSE_CARD = "4016000000000228"
PASSCODE = "123456"
ANSWERS = {"pet": "  REX ", "city": "London"}  # case and spacing do not matter
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"


async def start(client: TestClient, ds: StubDS, pan: str, **fields: Any) -> dict[str, Any]:
    """A browser AReq for ``pan``, in English (so the assertions read as the pages do)."""
    return await start_areq(client, ds, pan=pan, browserLanguage="en-GB", **fields)


async def first_page(client: TestClient, ares: dict[str, Any]) -> str:
    page = await client.post("/3ds/challenge", data={"creq": creq_field(ares, size="05")})
    assert page.status == 200
    return await page.text()


async def answer(client: TestClient, html: str, **fields: str) -> str:
    data = {"token": token_of(html), "action": "submit", **fields}
    return await (await client.post("/3ds/challenge/step", data=data)).text()


def kba_answer(html: str) -> str:
    return ANSWERS["pet"] if "pet" in html else ANSWERS["city"]


async def test_passcode_in_the_browser(aiohttp_client, ds: StubDS) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    ares = await start(client, ds, pan=PASSCODE_CARD)
    assert ares["authenticationType"] == "01"  # static
    html = await first_page(client, ares)
    assert 'type="password"' in html and 'autocomplete="off"' in html
    assert await (await client.get(f"/qa/outbox?acsTransID={ares['acsTransID']}")).json() == []
    wrong = await answer(client, html, otp="654321")
    assert "Wrong passcode. 2 attempts left." in wrong
    final = await answer(client, wrong, otp=PASSCODE)
    assert 'name="cres"' in final
    (rreq,) = ds.received
    assert rreq["transStatus"] == "Y" and rreq["authenticationType"] == "01"
    view = await record(client, ares["acsTransID"])
    assert view["challenge"]["result"]["factors"] == ["passcode"]
    assert view["challenge"]["result"]["categories"] == ["knowledge"]
    assert "123456" not in str(view)


async def test_three_wrong_passcodes_and_no_more(aiohttp_client, ds: StubDS) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    ares = await start(client, ds, pan=PASSCODE_CARD)
    html = await first_page(client, ares)
    for guess in ("000001", "000002", "000003"):
        html = await answer(client, html, otp=guess)
    assert 'name="cres"' in html
    assert (ds.received[0]["transStatus"], ds.received[0]["transStatusReason"]) == ("N", "19")


async def test_fifty_parallel_guesses_count_one_attempt(aiohttp_client, ds: StubDS) -> None:  # type: ignore[no-untyped-def]
    """Brute force in parallel: the page is spent by the first guess, the rest change nothing."""
    client = await make_client(aiohttp_client)
    ares = await start(client, ds, pan=PASSCODE_CARD)
    html = await first_page(client, ares)
    token = token_of(html)

    async def guess(n: int) -> int:
        data = {"token": token, "action": "submit", "otp": f"{n:06d}"}
        async with client.post("/3ds/challenge/step", data=data) as resp:
            return resp.status

    assert set(await asyncio.gather(*(guess(n) for n in range(50)))) == {200}
    view = await record(client, ares["acsTransID"])
    assert view["challenge"]["attempts"] == 1


@pytest.mark.parametrize("version", ["2.1.0", "2.3.1"])
async def test_security_question_in_the_app(aiohttp_client, ds, version: str) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version=version)
    await begin(client, ds, sdk, pan=KBA_CARD)
    ui = await send(client, sdk, sdk.start())
    assert ui["acsUiType"] == "01" and (
        "pet" in ui["challengeInfoText"] or "city" in ui["challengeInfoText"]
    )
    wrong = await send(client, sdk, sdk.enter_text("paris"))
    assert wrong["challengeInfoTextIndicator"] == "Y"
    final = await send(client, sdk, sdk.enter_text(kba_answer(ui["challengeInfoText"])))
    assert final["transStatus"] == "Y"
    (rreq,) = ds.received
    assert rreq["interactionCounter"] == "02"
    if version == "2.3.1":
        assert rreq["authenticationMethod"] == ["06"]  # KBA
    else:
        assert rreq["authenticationType"] == "01"


async def test_authenticator_code_is_good_once(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    totp = pyotp.TOTP(TOTP_SECRET)
    sdk = SdkSession(message_version="2.3.1")
    await begin(client, ds, sdk, pan=TOTP_CARD)
    await send(client, sdk, sdk.start())
    late = totp.at(time.time() - 120)  # four steps old: outside the window
    wrong = await send(client, sdk, sdk.enter_text(late))
    assert wrong["challengeInfoTextIndicator"] == "Y"
    code = totp.now()
    final = await send(client, sdk, sdk.enter_text(code))
    assert final["transStatus"] == "Y"
    assert ds.received[0]["authenticationMethod"] == ["04"]  # app OTP

    replay = SdkSession(message_version="2.3.1")  # the same code, another payment
    await begin(client, ds, replay, pan=TOTP_CARD)
    await send(client, replay, replay.start())
    again = await send(client, replay, replay.enter_text(code))
    assert again["challengeInfoTextIndicator"] == "Y" and again["challengeCompletionInd"] == "N"


async def test_code_then_passcode_two_categories(aiohttp_client, ds: StubDS) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    ares = await start(client, ds, pan=OTP_PASSCODE_CARD, messageVersion="2.2.0")
    html = await first_page(client, ares)
    assert 'autocomplete="one-time-code"' in html
    passcode_page = await answer(client, html, otp=await code_for(client, ares["acsTransID"]))
    assert "Enter your passcode" in passcode_page and 'type="password"' in passcode_page
    assert ds.received == []  # one factor is not the end
    final = await answer(client, passcode_page, otp=PASSCODE)
    assert 'name="cres"' in final
    (rreq,) = ds.received
    assert rreq["transStatus"] == "Y" and rreq["interactionCounter"] == "02"
    result = (await record(client, ares["acsTransID"]))["challenge"]["result"]
    assert result["factors"] == ["otp_sms", "passcode"]
    assert result["categories"] == ["knowledge", "possession"]


async def test_code_then_passcode_in_2_3_1_lists_both_methods(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.3.1")
    ares = await begin(client, ds, sdk, pan=OTP_PASSCODE_CARD)
    await send(client, sdk, sdk.start())
    messages = await (await client.get(f"/qa/outbox?acsTransID={ares['acsTransID']}")).json()
    second = await send(client, sdk, sdk.enter_text(messages[-1]["code"]))
    assert second["acsUiType"] == "01" and "passcode" in second["challengeInfoHeader"].lower()
    final = await send(client, sdk, sdk.enter_text(PASSCODE))
    assert final["transStatus"] == "Y"
    assert ds.received[0]["authenticationMethod"] == ["02", "01"]  # SMS OTP, static passcode


async def test_a_wrong_second_factor_fails_the_challenge(aiohttp_client, ds: StubDS) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    ares = await start(client, ds, pan=OTP_PASSCODE_CARD)
    html = await first_page(client, ares)
    html = await answer(client, html, otp=await code_for(client, ares["acsTransID"]))
    for guess in ("000001", "000002", "000003"):  # the limit counts again for the second factor
        html = await answer(client, html, otp=guess)
    assert (ds.received[0]["transStatus"], ds.received[0]["transStatusReason"]) == ("N", "19")
    result = (await record(client, ares["acsTransID"]))["challenge"]["result"]
    assert result["factors"] == ["otp_sms"]  # passed before the failure


@pytest.mark.parametrize("pick", ["passcode", "kba"])
async def test_code_then_a_choice_of_knowledge(aiohttp_client, ds, pick: str) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.2.0")
    ares = await begin(client, ds, sdk, pan=OTP_CHOOSE_CARD)
    await send(client, sdk, sdk.start())
    messages = await (await client.get(f"/qa/outbox?acsTransID={ares['acsTransID']}")).json()
    choice = await send(client, sdk, sdk.enter_text(messages[-1]["code"]))
    assert choice["acsUiType"] == "02"
    labels = {k: v for option in choice["challengeSelectInfo"] for k, v in option.items()}
    assert labels == {"passcode": "My passcode", "kba": "A security question"}
    asked = await send(client, sdk, sdk.choose(pick))
    assert asked["acsUiType"] == "01"
    entry = PASSCODE if pick == "passcode" else kba_answer(asked["challengeInfoText"])
    final = await send(client, sdk, sdk.enter_text(entry))
    assert final["transStatus"] == "Y"
    result = (await record(client, ares["acsTransID"]))["challenge"]["result"]
    assert result["factors"] == ["otp_sms", pick]


async def test_two_security_questions_one_after_the_other(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    directory = client.server.app[SERVICES].directory
    found = directory.range_by_id("demo-visa")
    assert found is not None
    two = msgspec.structs.replace(found.challenge, kba_questions=2)
    await directory.put_range(msgspec.structs.replace(found, challenge=two), replace=True)
    sdk = SdkSession(message_version="2.2.0")
    await begin(client, ds, sdk, pan=KBA_CARD)
    first = await send(client, sdk, sdk.start())
    second = await send(client, sdk, sdk.enter_text(kba_answer(first["challengeInfoText"])))
    assert second["challengeCompletionInd"] == "N"  # one right answer is not the end
    assert second["challengeInfoText"] != first["challengeInfoText"]  # another question
    assert ds.received == []
    final = await send(client, sdk, sdk.enter_text(kba_answer(second["challengeInfoText"])))
    assert final["transStatus"] == "Y"
    assert ds.received[0]["interactionCounter"] == "02"


async def test_code_then_multi_select(aiohttp_client, ds) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(aiohttp_client)
    sdk = SdkSession(message_version="2.3.1")
    ares = await begin(client, ds, sdk, pan="4016000000000251")
    await send(client, sdk, sdk.start())
    messages = await (await client.get(f"/qa/outbox?acsTransID={ares['acsTransID']}")).json()
    select = await send(client, sdk, sdk.enter_text(messages[-1]["code"]))
    assert select["acsUiType"] == "03"
    labels = {k: v for option in select["challengeSelectInfo"] for k, v in option.items()}
    own = [v for v, label in labels.items() if label.startswith(("Corner", "Tram", "Book"))]
    final = await send(client, sdk, sdk.choose(own))
    assert final["transStatus"] == "Y"
    assert ds.received[0]["authenticationMethod"] == ["02", "06"]  # SMS OTP, then KBA-like
