"""What the cardholder knows or holds, end to end in a real headless Chromium.

The same chain as test_challenge_browser.py (whose harness, browser and helpers this reuses, as
test_methods_browser.py does, whose watched ``tab`` and window-fit check this reuses in turn):
AReq -> ARes C -> the merchant's checkout page posts the CReq into its iframe -> the ACS's pages
-> the final page posts the CRes to the notificationURL while the stub DS gets the RReq. Here the
pages ask for the six-digit passcode (masked), a security question drawn at random, the code of
an authenticator app (TOTP, computed here from the demo secret), and chains of two factors: the
SMS code then the passcode, the SMS code then the cardholder's choice of passcode or question.

The answers are the demo cardholders' (config/cardholders.yaml). Every page is watched for
console errors and CSP violations, and must fit each EMV challengeWindowSize without horizontal
scrolling, with its submit button in view, also once a wrong answer's alert takes room.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pyotp
import pytest

from tests.e2e import test_challenge_browser as shared
from tests.e2e import test_methods_browser as methods
from tests.e2e.stubs import WINDOW_SIZES
from tests.e2e.test_challenge_browser import (
    MAGIC_CODES,
    Harness,
    challenge_frame,
    check_cres,
    check_rreq,
    enter,
)
from tests.e2e.test_methods_browser import Tab, check_fit, choices, open_step, outbox

with contextlib.suppress(ImportError):  # the browser fixture skips (or fails in CI) without it
    from playwright.async_api import FrameLocator, Page, expect

pytestmark = pytest.mark.asyncio(loop_scope="module")

# the module-scoped fixtures of test_challenge_browser.py (one Chromium, one ACS with its stubs)
# and the watched browser context of test_methods_browser.py
browser = shared.browser
harness = shared.harness
tab = methods.tab

PASSCODE_PAN = "4016000000000186"  # challenge-passcode
KBA_PAN = "4016000000000194"  # challenge-kba
OTP_PASSCODE_PAN = "4016000000000202"  # challenge-otp-passcode: SMS code, then the passcode
TOTP_PAN = "4016000000000210"  # challenge-totp
OTP_CHOOSE_PAN = "4016000000000228"  # challenge-otp-choose-knowledge: SMS code, then a choice
PASSCODE = "123456"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"
QUESTIONS = {  # the question as the page shows it -> the answer, typed carelessly
    "What was the name of your first pet?": "  ReX ",
    "In which city were you born?": " LONDON  ",
}
OTP_INPUT = 'input[name="otp"]'


# -- helpers ---------------------------------------------------------------------------------


async def open_entry(
    tab: Tab, harness: Harness, pan: str, version: str = "2.2.0", size: str = "02"
) -> tuple[dict[str, Any], str, FrameLocator]:
    """AReq for ``pan``, then the checkout page until the iframe shows the text input."""
    ares = await harness.areq(version, pan=pan)
    url, session_data = harness.checkout(ares, size)
    frame = await open_step(tab.page, url, OTP_INPUT)
    return ares, session_data, frame


async def question(frame: FrameLocator) -> str:
    """The security question the page asks (one of the cardholder's, drawn at random)."""
    asked = (await frame.locator(".sent").text_content() or "").strip()
    assert asked in QUESTIONS, f"not one of the cardholder's questions: {asked!r}"
    return asked


def wrong_totp(totp: pyotp.TOTP) -> str:
    """Six digits that no step of the ACS's window (now, one either side) accepts."""
    now = time.time()
    near = {totp.at(now + drift) for drift in (-60, -30, 0, 30, 60)}
    return next(
        c for c in (f"{n:06d}" for n in range(1, 100)) if c not in near and c not in MAGIC_CODES
    )


async def result(harness: Harness, ares: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (await harness.transaction(ares["acsTransID"]))["challenge"]["result"]
    return found


async def input_attrs(frame: FrameLocator) -> dict[str, str | None]:
    field = frame.locator(OTP_INPUT)
    return {
        name: await field.get_attribute(name)
        for name in ("type", "autocomplete", "inputmode", "pattern", "maxlength")
    }


# -- 1. the passcode -------------------------------------------------------------------------


async def test_passcode_right_after_one_wrong(tab: Tab, harness: Harness) -> None:
    ares, session_data, frame = await open_entry(tab, harness, PASSCODE_PAN)
    assert ares["authenticationType"] == "01", ares  # static
    await expect(frame.locator("h1")).to_have_text("Enter your passcode")
    attrs = await input_attrs(frame)
    assert attrs["type"] == "password" and attrs["autocomplete"] == "off", attrs
    assert attrs["pattern"] == "[0-9]{6}" and attrs["maxlength"] == "6", attrs
    await expect(frame.locator("#otp-hint")).to_have_text("3 attempts left")
    assert await outbox(harness, ares["acsTransID"]) == [], "a passcode is never sent"

    await enter(frame, "654321")
    status = frame.locator("#status")
    await expect(status).to_have_text("Wrong passcode. 2 attempts left.")
    await expect(status).to_have_attribute("role", "alert")
    field = frame.locator(OTP_INPUT)
    await expect(field).to_have_attribute("type", "password")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_value("")  # the wrong passcode is not echoed back
    assert not harness.notifications(ares) and not harness.rreqs_received(ares)
    await enter(frame, PASSCODE)

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    rreq = await harness.rreq(ares)
    check_rreq(rreq, ares, status="Y", reason=None, counter="02", cancel=None)
    assert rreq["authenticationType"] == "01", rreq  # static (2.2.0)
    assert "authenticationMethod" not in rreq, rreq
    found = await result(harness, ares)
    assert found["factors"] == ["passcode"] and found["categories"] == ["knowledge"], found
    assert tab.problems == []


async def test_three_wrong_passcodes_fail_with_19(tab: Tab, harness: Harness) -> None:
    ares, session_data, frame = await open_entry(tab, harness, PASSCODE_PAN, "2.3.1")
    status = frame.locator("#status")
    for guess, left in (("000001", "2 attempts left"), ("000002", "1 attempt left")):
        await enter(frame, guess)
        await expect(status).to_have_text(f"Wrong passcode. {left}.")
    await enter(frame, "000003")

    check_cres(await harness.notification(ares), ares, session_data, "N")
    rreq = await harness.rreq(ares)
    check_rreq(rreq, ares, status="N", reason="19", counter="03", cancel=None)
    assert rreq["authenticationMethod"] == ["01"], rreq  # the static passcode was tried
    assert tab.problems == []


# -- 2. the security question ----------------------------------------------------------------


async def test_security_question_answered_from_the_page(tab: Tab, harness: Harness) -> None:
    ares, session_data, frame = await open_entry(tab, harness, KBA_PAN, "2.3.1")
    await expect(frame.locator("h1")).to_have_text("Answer your security question")
    asked = await question(frame)
    attrs = await input_attrs(frame)
    assert attrs["type"] == "text" and attrs["inputmode"] is None, attrs  # words, not digits
    assert attrs["pattern"] is None and attrs["autocomplete"] == "off", attrs

    # a wrong answer: the same question stays (no redraw until one fits)
    await enter(frame, "paris")
    await expect(frame.locator("#status")).to_have_text(
        "That answer is not right. 2 attempts left."
    )
    assert await question(frame) == asked, "the question changed after a wrong answer"

    await enter(frame, QUESTIONS[asked])  # odd case and spaces

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    rreq = await harness.rreq(ares)
    check_rreq(rreq, ares, status="Y", reason=None, counter="02", cancel=None)
    assert rreq["authenticationMethod"] == ["06"], rreq  # KBA
    found = await result(harness, ares)
    assert found["factors"] == ["kba"] and found["categories"] == ["knowledge"], found
    assert tab.problems == []


async def test_refresh_does_not_draw_another_question(tab: Tab, harness: Harness) -> None:
    """2.2.0 shows the page again for a second CReq: the same question, else a cardholder (or a
    fraudster) could refresh until one they know comes up."""
    ares, session_data, frame = await open_entry(tab, harness, KBA_PAN)
    asked = await question(frame)
    for _ in range(4):  # a redraw would keep the question four times in a row 1 time in 16
        async with tab.page.expect_response(
            lambda r: r.url == harness.acs_url and r.request.method == "POST"
        ) as response_info:
            await tab.page.reload()  # the merchant page posts the same CReq again
        assert (await response_info.value).status == 200
        await expect(frame.locator(OTP_INPUT)).to_be_visible()
        assert await question(frame) == asked, "a refresh drew another question"
    await expect(frame.locator("#otp-hint")).to_have_text("3 attempts left")

    await enter(frame, QUESTIONS[asked])

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    check_rreq(await harness.rreq(ares), ares, status="Y", reason=None, counter="01", cancel=None)
    assert tab.problems == []


# -- 3. the authenticator app ----------------------------------------------------------------


async def test_authenticator_code_is_good_once(tab: Tab, harness: Harness) -> None:
    totp = pyotp.TOTP(TOTP_SECRET)
    ares, session_data, frame = await open_entry(tab, harness, TOTP_PAN, "2.3.1")
    await expect(frame.locator("h1")).to_have_text("Enter the code from your authenticator app")
    attrs = await input_attrs(frame)
    assert attrs["type"] == "text" and attrs["inputmode"] == "numeric", attrs
    assert attrs["autocomplete"] == "one-time-code", attrs
    assert await outbox(harness, ares["acsTransID"]) == [], "the app makes its own codes"

    code = totp.now()
    await enter(frame, code)

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    rreq = await harness.rreq(ares)
    check_rreq(rreq, ares, status="Y", reason=None, counter="01", cancel=None)
    assert rreq["authenticationMethod"] == ["04"], rreq  # app-based OTP
    found = await result(harness, ares)
    assert found["factors"] == ["totp"] and found["categories"] == ["possession"], found

    # the same code in another payment (seen over a shoulder): wrong, and no RReq
    again, _, frame = await open_entry(tab, harness, TOTP_PAN, "2.3.1")
    await enter(frame, code)
    status = frame.locator("#status")
    await expect(status).to_have_text("Wrong code. 2 attempts left.")
    await expect(status).to_have_attribute("role", "alert")
    assert not harness.notifications(again) and not harness.rreqs_received(again)
    assert tab.problems == []


# -- 4. two factors: the SMS code, then the passcode -------------------------------------------


async def test_code_then_passcode_on_two_pages(tab: Tab, harness: Harness) -> None:
    ares, session_data, frame = await open_entry(tab, harness, OTP_PASSCODE_PAN, "2.3.1")
    await expect(frame.locator("#status")).to_have_text("Code sent.")
    assert (await input_attrs(frame))["type"] == "text"
    [code] = await harness.codes(ares["acsTransID"])

    await enter(frame, code)

    await expect(frame.locator("h1")).to_have_text("Enter your passcode")
    await expect(frame.locator(OTP_INPUT)).to_have_attribute("type", "password")
    await expect(frame.locator("#otp-hint")).to_have_text("3 attempts left")  # fresh limits
    await expect(frame.locator("#status")).to_have_text("")
    await expect(frame.locator('button[name="action"][value="resend"]')).to_have_count(0)
    assert not harness.notifications(ares) and not harness.rreqs_received(ares), (
        "one factor is not the end"
    )
    await enter(frame, PASSCODE)

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    rreq = await harness.rreq(ares)
    check_rreq(rreq, ares, status="Y", reason=None, counter="02", cancel=None)
    assert rreq["authenticationMethod"] == ["02", "01"], rreq  # SMS OTP, static passcode
    assert len(harness.rreqs_received(ares)) == 1, "one RReq for the two factors"
    found = await result(harness, ares)
    assert found["factors"] == ["otp_sms", "passcode"], found
    assert found["categories"] == ["knowledge", "possession"], found
    assert tab.problems == []


# -- 5. the SMS code, then a choice of knowledge (by keyboard) ---------------------------------


async def open_choice(
    tab: Tab, harness: Harness, size: str = "02"
) -> tuple[dict[str, Any], str, FrameLocator]:
    """The two-factor card with a choice: the SMS code entered, the choice page shown."""
    ares, session_data, frame = await open_entry(tab, harness, OTP_CHOOSE_PAN, size=size)
    [code] = await harness.codes(ares["acsTransID"])
    await enter(frame, code)
    await expect(frame.locator('input[name="choice"]').first).to_be_visible()
    return ares, session_data, frame


async def test_code_then_security_question_by_keyboard(tab: Tab, harness: Harness) -> None:
    page: Page = tab.page
    ares, session_data, frame = await open_choice(tab, harness)
    options = await choices(page)
    assert options == [
        ("passcode", "My passcode", "radio"),
        ("kba", "A security question", "radio"),
    ], options
    await expect(frame.locator(".sent")).to_have_text("How would you like to confirm it's you?")
    await expect(frame.locator('button[name="action"][value="submit"]')).to_have_text("Continue")
    assert len(await outbox(harness, ares["acsTransID"])) == 1, "no second code for a choice"

    # keyboard only: focus the first option, arrow down to the question, Enter submits
    passcode = frame.locator('input[name="choice"][value="passcode"]')
    kba = frame.locator('input[name="choice"][value="kba"]')
    await passcode.focus()
    await page.keyboard.press("ArrowDown")
    await expect(kba).to_be_checked()
    await expect(kba).to_be_focused()
    await page.keyboard.press("Enter")

    await expect(frame.locator("h1")).to_have_text("Answer your security question")
    asked = await question(frame)
    field = frame.locator(OTP_INPUT)
    await field.focus()
    await page.keyboard.type(QUESTIONS[asked])
    await page.keyboard.press("Enter")

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    rreq = await harness.rreq(ares)
    # three interactions: the code, the pick, the answer
    check_rreq(rreq, ares, status="Y", reason=None, counter="03", cancel=None)
    assert rreq["authenticationType"] == "01", rreq  # the last factor is static (2.2.0)
    found = await result(harness, ares)
    assert found["factors"] == ["otp_sms", "kba"], found
    assert found["categories"] == ["knowledge", "possession"], found
    assert tab.problems == []


# -- 6. every challengeWindowSize ----------------------------------------------------------------


@pytest.mark.parametrize("size", sorted(WINDOW_SIZES))
async def test_knowledge_pages_fit_every_window(tab: Tab, harness: Harness, size: str) -> None:
    page = tab.page
    totp = pyotp.TOTP(TOTP_SECRET)

    # each page as first shown, then after a wrong answer (the alert takes room)
    for pan, what, wrong, alert in (
        (PASSCODE_PAN, "passcode", "654321", "Wrong passcode. 2 attempts left."),
        (KBA_PAN, "kba", "paris", "That answer is not right. 2 attempts left."),
        (TOTP_PAN, "totp", wrong_totp(totp), "Wrong code. 2 attempts left."),
    ):
        _, _, frame = await open_entry(tab, harness, pan, size=size)
        await check_fit(page, size, what)
        await enter(frame, wrong)
        await expect(frame.locator("#status")).to_have_text(alert)
        await check_fit(page, size, f"{what}-wrong")

    # the choice of knowledge, after the SMS code
    await open_choice(tab, harness, size)
    await check_fit(page, size, "choose-knowledge")
    loaded = await challenge_frame(page)
    labels = await loaded.evaluate(
        "() => [...document.querySelectorAll('label.choice')].map((l) => l.scrollWidth <= "
        "l.clientWidth)"
    )
    assert labels == [True, True], f"{size}: a choice's label overflows its box"
    assert tab.problems == []
