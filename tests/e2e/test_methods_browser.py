"""The browser challenge steps besides the one-time code, end to end in a real headless Chromium.

The same chain as test_challenge_browser.py (whose harness, browser and helpers this reuses):
AReq -> ARes C -> the merchant's checkout page posts the CReq into its iframe -> the ACS's pages
-> the final page posts the CRes to the notificationURL while the stub DS gets the RReq. Here the
first page is a choice of channel (single select), the cardholder's recent payments (multi
select) or an out-of-band approval: a page that waits (meta refresh, no script) while the
cardholder approves in the simulated banking app (its inbox page, from the push's link in the
QA outbox) or the issuer approves through its API.

Every page is watched for console errors and CSP violations, and must fit each EMV
challengeWindowSize without horizontal scrolling, with its submit button in view.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e import test_challenge_browser as shared
from tests.e2e.stubs import WINDOW_SIZES
from tests.e2e.test_challenge_browser import (
    ARTIFACTS,
    VIEWPORT,
    WAIT,
    Harness,
    challenge,
    challenge_frame,
    check_cres,
    check_rreq,
    click,
    enter,
)

with contextlib.suppress(ImportError):  # the browser fixture skips (or fails in CI) without it
    from playwright.async_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Frame,
        FrameLocator,
        Page,
        Response,
        expect,
    )

pytestmark = pytest.mark.asyncio(loop_scope="module")

# the module-scoped fixtures of test_challenge_browser.py: one Chromium, one ACS with its stubs
browser = shared.browser
harness = shared.harness

CHOOSE_PAN = "4016000000000145"  # challenge-choose-channel: SMS, email or voice, then the code
HISTORY_PAN = "4016000000000152"  # challenge-history: tick the cardholder's own payments
OOB_PAN = "4016000000000160"  # challenge-oob: approve in the (simulated) banking app
# the card's own payments: its history in config/cardholders.yaml, and (the harness is shared by
# the module) the merchant of every earlier history challenge it passed, which the ACS remembers
OWN_PAYMENTS = ("Corner Coffee", "Tram Tickets", "Book Nook", "Example Groceries")
REFRESH_WAIT = 2.0 + WAIT  # the waiting page's first reload is after 2 s
Options = list[tuple[str, str, str]]  # a select step's (value, label, input type), in page order

# Reports CSP violations in every frame (init scripts are not subject to the page's CSP).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""

# The frame's scroll extents, and where the page's primary (submit) button is.
FIT_JS = """() => {
  const d = document.documentElement;
  const b = document.querySelector("button.primary");
  const r = b && b.getBoundingClientRect();
  return {sh: d.scrollHeight, ch: d.clientHeight, sw: d.scrollWidth, cw: d.clientWidth,
          vw: innerWidth, vh: innerHeight,
          button: r && {top: r.top, bottom: r.bottom, left: r.left, right: r.right}};
}"""

# The options of a select step: [[value, label, type]] in page order.
CHOICES_JS = """() => [...document.querySelectorAll('label.choice')].map((l) => {
  const input = l.querySelector('input[name="choice"]');
  return [input.value, l.textContent.trim(), input.type];
})"""


class Tab:
    """A browser context and its page, with everything the browser complained about."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page
        self.problems: list[str] = []
        self.watch(page)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        if url.endswith("/favicon.ico"):
            return  # the browser's own request for a top-level page (the inbox); the ACS has none
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text} ({url})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status} for {response.url}")

    async def new_page(self) -> Page:
        """A second tab in the same browser context (the banking app, say), watched too."""
        opened = await self.context.new_page()
        self.watch(opened)
        return opened


@pytest_asyncio.fixture(loop_scope="module")
async def tab(browser: Browser) -> AsyncIterator[Tab]:
    """A fresh browser context per test; each test ends by asserting ``tab.problems`` empty."""
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT * 1000)
    await context.add_init_script(CSP_LISTENER)
    watched = Tab(context, await context.new_page())
    yield watched
    await context.close()


# -- helpers ---------------------------------------------------------------------------------


async def outbox(harness: Harness, acs_trans_id: str) -> list[dict[str, Any]]:
    """Every message the ACS sent for this transaction, oldest first (GET /qa/outbox)."""
    async with harness.http.get(
        f"{harness.acs}/qa/outbox", params={"acsTransID": acs_trans_id}
    ) as resp:
        assert resp.status == 200, await resp.text()
        entries: list[dict[str, Any]] = await resp.json()
    return entries


async def open_step(page: Page, url: str, selector: str) -> FrameLocator:
    """Load the checkout page; wait until the iframe shows ``selector``."""
    await page.goto(url)
    frame = challenge(page)
    await expect(frame.locator(selector).first).to_be_visible()
    return frame


async def choices(page: Page) -> Options:
    frame = await challenge_frame(page)
    found: list[list[str]] = await frame.evaluate(CHOICES_JS)
    return [(value, label, kind) for value, label, kind in found]


async def attempts(harness: Harness, ares: dict[str, Any]) -> int:
    record = await harness.transaction(ares["acsTransID"])
    counted: int = record["challenge"]["attempts"]
    return counted


async def assert_fits(frame: Frame, size: str, what: str) -> None:
    """The page fits the iframe of ``size``: the iframe is that size, nothing scrolls sideways,
    and the submit button is wholly in view without scrolling."""
    m = await frame.evaluate(FIT_JS)
    expected = WINDOW_SIZES[size] or (VIEWPORT["width"], VIEWPORT["height"])
    assert (m["vw"], m["vh"]) == expected, f"{what}: iframe for {size} is {m}"
    assert f"size-{size}" in (await frame.evaluate("() => document.body.className")).split()
    assert m["sw"] <= m["cw"], f"{what} {size}: horizontal scrollbar {m}"
    button = m["button"]
    assert button is not None, f"{what} {size}: no submit button"
    assert button["top"] >= 0 and button["bottom"] <= m["vh"], (
        f"{what} {size}: submit button out of view (needs scrolling): {m}"
    )
    assert button["left"] >= 0 and button["right"] <= m["vw"], f"{what} {size}: {m}"


# -- 1. choose the channel, then the code ----------------------------------------------------


async def test_choose_email_by_keyboard_then_the_code(tab: Tab, harness: Harness) -> None:
    page = tab.page
    ares = await harness.areq(pan=CHOOSE_PAN)
    url, session_data = harness.checkout(ares)
    frame = await open_step(page, url, 'input[name="choice"]')
    options = await choices(page)
    assert [(v, k) for v, _, k in options] == [
        ("otp_sms", "radio"),
        ("otp_email", "radio"),
        ("otp_voice", "radio"),
    ], options
    assert await outbox(harness, ares["acsTransID"]) == [], "nothing is sent before the choice"

    # keyboard only: focus the first option, arrow down to email, Enter submits the form
    sms = frame.locator('input[name="choice"][value="otp_sms"]')
    email = frame.locator('input[name="choice"][value="otp_email"]')
    await sms.focus()
    await page.keyboard.press("ArrowDown")
    await expect(email).to_be_checked()
    await expect(email).to_be_focused()
    await page.keyboard.press("Enter")

    await expect(frame.locator('input[name="otp"]')).to_be_visible()
    [sent] = await outbox(harness, ares["acsTransID"])
    assert sent["channel"] == "email", sent
    destination = sent["destination"]  # masked, as the page shows it
    assert "@" in destination and "cardholder@example.com" not in destination, sent
    assert [label for value, label, _ in options if value == "otp_email"] == [
        f"Email to {destination}"
    ], options
    await expect(frame.locator(".sent")).to_contain_text(f"by email to {destination}")
    await expect(frame.locator("#status")).to_have_text("Code sent.")
    await expect(frame.locator("#otp-hint")).to_have_text("3 attempts left")

    await enter(frame, sent["code"])

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    rreq = await harness.rreq(ares)
    check_rreq(rreq, ares, status="Y", reason=None, counter="02", cancel=None)
    assert rreq["authenticationType"] == "02", rreq  # dynamic (OTP)
    assert tab.problems == []


async def test_choose_channel_requires_a_pick(tab: Tab, harness: Harness) -> None:
    """Nothing picked: the browser's required check keeps the form; then a click on voice."""
    page = tab.page
    ares = await harness.areq(pan=CHOOSE_PAN)
    url, session_data = harness.checkout(ares)
    frame = await open_step(page, url, 'input[name="choice"]')

    await click(frame, "submit")  # "required" radios: the browser keeps the form
    message = await frame.locator('input[name="choice"]').first.evaluate(
        "(e) => e.validationMessage"
    )
    assert message, "no pick, yet the browser found the form valid"
    await frame.get_by_role("radio", name=re.compile("^Phone call to ")).check()
    await click(frame, "submit")

    await expect(frame.locator('input[name="otp"]')).to_be_visible()
    [sent] = await outbox(harness, ares["acsTransID"])
    assert sent["channel"] == "voice", sent
    await expect(frame.locator(".sent")).to_contain_text("by phone call to")
    await enter(frame, sent["code"])
    check_cres(await harness.notification(ares), ares, session_data, "Y")
    # two interactions, the pick and the code: the empty form never reached the ACS
    check_rreq(await harness.rreq(ares), ares, status="Y", reason=None, counter="02", cancel=None)
    assert tab.problems == []


# -- 2. transaction history ------------------------------------------------------------------


def own(options: Options) -> list[str]:
    return [value for value, label, _ in options if label.startswith(OWN_PAYMENTS)]


async def open_history(
    tab: Tab,
    harness: Harness,
    size: str = "02",
) -> tuple[dict[str, Any], str, FrameLocator, Options]:
    ares = await harness.areq(pan=HISTORY_PAN)
    url, session_data = harness.checkout(ares, size)
    frame = await open_step(tab.page, url, 'input[name="choice"]')
    options = await choices(tab.page)
    assert len(options) == 5 and {k for _, _, k in options} == {"checkbox"}, options
    assert 1 <= len(own(options)) <= 2, options
    return ares, session_data, frame, options


async def tick(frame: FrameLocator, values: list[str]) -> None:
    for value in values:
        await frame.locator(f'input[name="choice"][value="{value}"]').check()


async def test_history_right_payments_authenticate(tab: Tab, harness: Harness) -> None:
    ares, session_data, frame, options = await open_history(tab, harness)
    await expect(frame.locator("#select-hint")).to_have_text("3 attempts left")

    await tick(frame, own(options))
    await click(frame, "submit")

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    rreq = await harness.rreq(ares)
    check_rreq(rreq, ares, status="Y", reason=None, counter="01", cancel=None)
    assert tab.problems == []


async def test_history_with_a_decoy_three_times_fails_with_19(tab: Tab, harness: Harness) -> None:
    ares, session_data, frame, options = await open_history(tab, harness)
    decoy = next(value for value, label, _ in options if not label.startswith(OWN_PAYMENTS))
    status = frame.locator("#status")

    for left in ("2 attempts left", "1 attempt left"):
        await tick(frame, [*own(options), decoy])  # the own ones and one more: still wrong
        await click(frame, "submit")
        await expect(status).to_have_text(f"That is not right. {left}.")
        await expect(status).to_have_attribute("role", "alert")
        assert await choices(tab.page) == options, "the options must stay the same"
        assert not harness.notifications(ares) and not harness.rreqs_received(ares)
    await tick(frame, [decoy])
    await click(frame, "submit")

    check_cres(await harness.notification(ares), ares, session_data, "N")
    check_rreq(await harness.rreq(ares), ares, status="N", reason="19", counter="03", cancel=None)
    assert tab.problems == []


# -- 3. out of band: approved in the banking app -----------------------------------------------


async def open_oob(
    tab: Tab,
    harness: Harness,
    size: str = "02",
) -> tuple[dict[str, Any], str, FrameLocator]:
    ares = await harness.areq(pan=OOB_PAN)
    url, session_data = harness.checkout(ares, size)
    frame = await open_step(tab.page, url, 'button[name="action"][value="continue"]')
    await expect(frame.locator("h1")).to_have_text("Approve in your banking app")
    return ares, session_data, frame


async def test_oob_approved_in_the_inbox_while_the_page_waits(tab: Tab, harness: Harness) -> None:
    ares, session_data, frame = await open_oob(tab, harness)
    steps: list[str] = []  # the iframe's requests to the step URL: "GET ..." or "POST ..."
    tab.page.on(
        "request",
        lambda r: steps.append(f"{r.method} {r.url}") if "/3ds/challenge/step" in r.url else None,
    )
    status = frame.locator("#status")
    await expect(status).to_have_text("Notification sent.")
    refresh = await (await challenge_frame(tab.page)).evaluate(
        "() => document.querySelector('meta[http-equiv=refresh]').content"
    )
    assert re.fullmatch(r"2;url=.*/3ds/challenge/step\?token=[^&]+&n=0", refresh), refresh

    # back before approving: told so, and it is no attempt
    await click(frame, "continue")
    await expect(status).to_have_text(
        "Not approved yet. Approve the payment in your banking app, then press Continue."
    )
    await expect(status).to_have_attribute("role", "alert")
    assert await attempts(harness, ares) == 0
    assert not harness.notifications(ares) and not harness.rreqs_received(ares)

    [push] = await outbox(harness, ares["acsTransID"])
    assert push["channel"] == "push" and push.get("code") is None, push
    assert push["link"].startswith(f"{harness.acs}/oob/"), push

    # the banking app: a second tab of the same browser, phone-sized
    app = await tab.new_page()
    await app.set_viewport_size({"width": 360, "height": 640})
    await app.goto(push["link"])
    await expect(app.locator("h1")).to_have_text("Payment approval")
    approve = app.get_by_role("button", name="Approve", exact=True)
    await expect(approve).to_be_in_viewport(ratio=1)
    assert await app.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    await approve.click()
    await expect(app.locator("#status")).to_have_text(
        "Approved. Go back to the merchant's page to finish."
    )
    # the approval ended the challenge at once: the RReq went before the inbox answered
    rreq = harness.rreqs_received(ares)
    assert len(rreq) == 1 and rreq[0]["transStatus"] == "Y", rreq
    assert not harness.notifications(ares), "the CRes waits for the cardholder's page"

    # the waiting page reloads itself (no click, no script) and gets the final page
    done = challenge(tab.page).locator("#done")
    await expect(done).to_have_text("done", timeout=REFRESH_WAIT * 1000)
    check_cres(await harness.notification(ares), ares, session_data, "Y")
    assert [s.split(" ", 1)[0] for s in steps] == ["POST", "GET"], steps  # Continue, reload
    assert re.search(r"/3ds/challenge/step\?token=[^&]+&n=0$", steps[1]), steps
    rreq_y = await harness.rreq(ares)
    # the approval is the one authentication cycle (the early Continue was none)
    check_rreq(rreq_y, ares, status="Y", reason=None, counter="01", cancel=None)
    assert rreq_y["authenticationType"] == "03", rreq_y  # out of band
    assert await attempts(harness, ares) == 0

    # the link is spent: the inbox says so
    await app.goto(push["link"])
    await expect(app.locator("#status")).to_have_text(
        "This request is no longer waiting for an answer."
    )
    assert tab.problems == []


# -- 4. out of band: denied by the issuer --------------------------------------------------------


async def test_oob_denied_by_the_issuer_then_continue(tab: Tab, harness: Harness) -> None:
    ares, session_data, frame = await open_oob(tab, harness)

    async with harness.http.post(
        f"{harness.acs}/issuer/oob/{ares['acsTransID']}", json={"decision": "deny"}
    ) as resp:
        assert resp.status == 200, await resp.text()
        decided = await resp.json()
    assert decided["accepted"] is True and decided["trans_status"] == "N", decided
    [rreq] = harness.rreqs_received(ares)  # sent before the issuer API answered
    check_rreq(rreq, ares, status="N", reason="01", counter="01", cancel=None)  # one cycle
    assert not harness.notifications(ares), "the CRes waits for the cardholder's page"

    async with tab.page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/3ds/challenge/step")
    ):
        await click(frame, "continue")

    check_cres(await harness.notification(ares), ares, session_data, "N")
    assert len(harness.rreqs_received(ares)) == 1, "one RReq only"
    assert tab.problems == []


# -- 5. every challengeWindowSize ----------------------------------------------------------------


@pytest.mark.parametrize("size", sorted(WINDOW_SIZES))
async def test_select_and_oob_pages_fit_every_window(
    tab: Tab,
    harness: Harness,
    size: str,
) -> None:
    page = tab.page

    # the choice of channel
    ares = await harness.areq(pan=CHOOSE_PAN)
    url, _ = harness.checkout(ares, size)
    await open_step(page, url, 'input[name="choice"]')
    await check_fit(page, size, "choose")

    # the history, as first shown and after a wrong answer (the alert takes room)
    ares, _, frame, _ = await open_history(tab, harness, size)
    await check_fit(page, size, "history")
    await click(frame, "submit")  # nothing ticked: wrong
    await expect(frame.locator("#status")).to_have_text("That is not right. 2 attempts left.")
    await check_fit(page, size, "history-wrong")

    # the out-of-band page, as first shown and after Continue too early (a long alert)
    ares, _, frame = await open_oob(tab, harness, size)
    await check_fit(page, size, "oob")
    await click(frame, "continue")
    await expect(frame.locator("#status")).to_contain_text("Not approved yet.")
    await check_fit(page, size, "oob-pending")
    assert await attempts(harness, ares) == 0
    assert tab.problems == []


async def check_fit(page: Page, size: str, what: str) -> None:
    """A screenshot of the iframe (artifacts/e2e/), then ``assert_fits``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    frame = await challenge_frame(page)
    await page.locator('iframe[name="challenge"]').screenshot(path=ARTIFACTS / f"{what}-{size}.png")
    await assert_fits(frame, size, what)


BIOMETRIC_PAN = "4016010200000027"  # challenge-biometric: the issuer-sim approves after a second


async def test_biometric_approved_by_the_issuer_while_the_page_waits(
    tab: Tab, harness: Harness
) -> None:
    """The ACS forwards the check to the issuer's systems (the built-in issuer-sim, over HTTP);
    the issuer's signed callback ends the challenge, and the waiting page reloads itself to the
    final page: the cardholder does nothing on the ACS's screens."""
    ares = await harness.areq(pan=BIOMETRIC_PAN)
    url, session_data = harness.checkout(ares, "02")
    frame = await open_step(tab.page, url, 'button[name="action"][value="continue"]')
    await expect(frame.locator("h1")).to_have_text("Confirm with your fingerprint or face")
    done = challenge(tab.page).locator("#done")
    await expect(done).to_have_text("done", timeout=REFRESH_WAIT * 1000)
    check_cres(await harness.notification(ares), ares, session_data, "Y")
    rreq = await harness.rreq(ares)
    assert rreq["transStatus"] == "Y" and rreq["authenticationType"] == "03", rreq
    assert tab.problems == []
