"""The browser challenge end to end, in a real headless Chromium.

One run of the whole chain per test: AReq -> ARes C -> the merchant's checkout page posts the
CReq into its iframe -> the ACS's OTP page -> the cardholder types the code from the QA outbox
-> the final page posts the CRes to the merchant's notificationURL, while the ACS sends the RReq
to a stub DS. The ACS runs in this event loop (aiohttp TestServer on a fixed loopback port, so
the acsURL and form actions it renders are reachable); one Chromium serves the whole module.
Protocol timers are shortened through settings only.

Tests that need no special timers or DS behaviour share one ACS, stub DS and stub merchant per
module and look only at their own transaction's messages; the others start their own.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from acs.app import build_services, create_app
from acs.config import ProtocolTimers
from acs.risk.sample import base_areq
from acs.services import Services
from tests.conftest import ROOT, make_settings
from tests.e2e.stubs import WINDOW_SIZES, StubDS, StubMerchant
from tests.redis_server import free_port

try:
    from playwright.async_api import Browser, Frame, FrameLocator, Page, async_playwright, expect
except ImportError:  # pragma: no cover - reported by the browser fixture
    async_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.asyncio(loop_scope="module")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
ARTIFACTS = ROOT / "artifacts" / "e2e"
PAN = "4016000000000111"  # challenge-otp-sms: Visa, code by SMS to the outbox
MAGIC_CODES = {"111111", "222222", "333333"}  # catalog cards: these choose the outcome
WAIT = 5.0  # seconds: the bound on every wait for a real event

# The iframe's own scroll extents; no scrollbars means content fits in both directions.
SCROLL_JS = """() => {
  const d = document.documentElement;
  return {sh: d.scrollHeight, ch: d.clientHeight, sw: d.scrollWidth, cw: d.clientWidth};
}"""

# The Erro fields an error page shows: {"errorCode": ..., "errorDescription": ..., ...}.
ERRO_JS = """(dl) => {
  const out = {};
  for (const dt of dl.querySelectorAll("dt")) out[dt.textContent.trim()] =
    dt.nextElementSibling.textContent.trim();
  return out;
}"""

# How many lines each label of the OTP page's facts list is rendered on.
LABEL_LINES_JS = """() => [...document.querySelectorAll(".facts dt")].map((dt) => {
  const range = document.createRange();
  range.selectNodeContents(dt);
  const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
  return [dt.textContent.trim(), tops.size];
})"""


def _check_browser() -> None:
    """Skip (in CI: fail) when the browser cannot run."""
    reason = None
    if async_playwright is None:
        reason = "the playwright Python package is not installed"
    elif not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


# -- helpers ---------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(text: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return decoded


async def until(probe: Callable[[], Any | Awaitable[Any]], what: str, within: float = WAIT) -> Any:
    """Poll ``probe`` (every 20 ms, at most ``within`` s) until it returns something truthy."""
    deadline = time.monotonic() + within
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Harness:
    """The ACS under test with its stub DS and stub merchant, all on 127.0.0.1."""

    acs: str
    services: Services
    server: TestServer
    ds: StubDS
    merchant: StubMerchant
    http: aiohttp.ClientSession

    @property
    def acs_url(self) -> str:
        return f"{self.acs}/3ds/challenge"

    async def areq(
        self, version: str = "2.2.0", *, pan: str = PAN, **overrides: Any
    ) -> dict[str, Any]:
        """Post a challenge AReq for a challenge test card (by default the OTP-by-SMS one);
        returns the ARes (checked C)."""
        trans_id = str(uuid.uuid4())
        if version == "2.1.0":
            overrides.setdefault("browserJavascriptEnabled", None)  # defined from 2.2.0 on
        body = base_areq(
            acctNumber=pan,
            notificationURL=self.merchant.notify_url,
            dsURL=self.ds.url,
            threeDSServerTransID=trans_id,
            messageVersion=version,
            browserLanguage="en-GB",  # English pages, so the assertions read as they look
            **overrides,
        )
        async with self.http.post(f"{self.acs}/3ds/areq", json=body) as resp:
            assert resp.status == 200, await resp.text()
            ares: dict[str, Any] = await resp.json()
        assert ares.get("messageType") == "ARes", ares
        assert ares["transStatus"] == "C", ares
        assert ares["acsURL"] == self.acs_url, ares
        assert ares["threeDSServerTransID"] == trans_id
        return ares

    @staticmethod
    def creq(ares: dict[str, Any], window_size: str) -> str:
        message = {
            "threeDSServerTransID": ares["threeDSServerTransID"],
            "acsTransID": ares["acsTransID"],
            "messageType": "CReq",
            "messageVersion": ares["messageVersion"],
            "challengeWindowSize": window_size,
        }
        return b64url(json.dumps(message).encode())

    def checkout(self, ares: dict[str, Any], window_size: str = "02") -> tuple[str, str]:
        """(checkout page URL, the threeDSSessionData it posts) for this ARes."""
        session_data = b64url(json.dumps({"order": str(uuid.uuid4()), "cart": "e2e"}).encode())
        url = self.merchant.checkout_url(
            self.acs_url, self.creq(ares, window_size), session_data, window_size
        )
        return url, session_data

    async def codes(self, acs_trans_id: str) -> list[str]:
        """Every code the ACS sent for this transaction, oldest first (GET /qa/outbox)."""
        async with self.http.get(f"{self.acs}/qa/outbox", params={"acsTransID": acs_trans_id}) as r:
            assert r.status == 200, await r.text()
            entries = await r.json()
        return [e["code"] for e in entries if e.get("code")]

    async def transaction(self, acs_trans_id: str) -> dict[str, Any]:
        async with self.http.get(f"{self.acs}/qa/transactions/{acs_trans_id}") as r:
            assert r.status == 200, await r.text()
            record: dict[str, Any] = await r.json()
        return record

    def rreqs_received(self, ares: dict[str, Any]) -> list[dict[str, Any]]:
        """Every RReq attempt the DS saw for this transaction, failed ones included."""
        return [r for r in self.ds.received if r.get("acsTransID") == ares["acsTransID"]]

    def notifications(self, ares: dict[str, Any]) -> list[dict[str, str]]:
        """The forms posted to the notificationURL whose cres names this transaction."""
        return [
            n
            for n in self.merchant.notifications
            if b64url_json(n["cres"]).get("acsTransID") == ares["acsTransID"]
        ]

    async def rreq(self, ares: dict[str, Any]) -> dict[str, Any]:
        """The first RReq the DS acknowledged for this transaction (waits for it, bounded)."""

        def delivered() -> dict[str, Any] | None:
            mine = [r for r in self.ds.acknowledged if r.get("acsTransID") == ares["acsTransID"]]
            return mine[0] if mine else None

        found: dict[str, Any] = await until(delivered, "the stub DS to receive the RReq")
        return found

    async def notification(self, ares: dict[str, Any]) -> dict[str, str]:
        """The form the final page posted to the notificationURL (waits for it, bounded)."""
        posted: list[dict[str, str]] = await until(
            lambda: self.notifications(ares), "the final CRes at the merchant's notificationURL"
        )
        assert len(posted) == 1, posted
        return posted[0]


async def start_harness(
    *,
    first_creq_seconds: float = 30.0,
    rres_wait_seconds: float = 2.0,
    ds_fail_first: int = 0,
    ds_hang_seconds: float = 0.0,
) -> tuple[Harness, Callable[[], Awaitable[None]]]:
    ds = StubDS(fail_first=ds_fail_first, hang_seconds=ds_hang_seconds)
    merchant = StubMerchant()
    await ds.start()
    await merchant.start()
    port = free_port()
    timers = ProtocolTimers(
        first_creq_seconds=first_creq_seconds,
        poll_seconds=0.05,
        rreq_retry_seconds=0.2,
        rres_wait_seconds=rres_wait_seconds,
    )
    acs = f"http://127.0.0.1:{port}"
    services = await build_services(make_settings("memory", base_url=acs, port=port, timers=timers))
    server = TestServer(create_app(services), port=port, host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession()
    harness = Harness(acs, services, server, ds, merchant, http)

    async def stop() -> None:
        await http.close()
        await server.close()  # also closes the services and stops the timer worker
        await merchant.close()
        await ds.close()

    return harness, stop


# -- fixtures --------------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    _check_browser()
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies, no history) per test."""
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT * 1000)
    opened = await context.new_page()
    yield opened
    await context.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness() -> AsyncIterator[Harness]:
    """The shared ACS (default protocol timers, short poll) with well-behaved stubs."""
    running, stop = await start_harness()
    yield running
    await stop()


# -- browser steps ---------------------------------------------------------------------------


def challenge(page: Page) -> FrameLocator:
    return page.frame_locator('iframe[name="challenge"]')


async def challenge_frame(page: Page) -> Frame:
    frame = page.frame(name="challenge")
    assert frame is not None, "no iframe named challenge"
    await frame.wait_for_load_state("load")  # the stylesheet is applied
    return frame


async def open_challenge(page: Page, url: str) -> FrameLocator:
    """Load the checkout page; wait until the OTP page is shown in the iframe."""
    await page.goto(url)
    frame = challenge(page)
    await expect(frame.locator('input[name="otp"]')).to_be_visible()
    return frame


async def enter(frame: FrameLocator, code: str) -> None:
    await frame.locator('input[name="otp"]').fill(code)
    await frame.locator('button[name="action"][value="submit"]').click()


async def click(frame: FrameLocator, action: str) -> None:
    await frame.locator(f'button[name="action"][value="{action}"]').click()


async def post_creq_expecting_error(page: Page, harness: Harness, url: str) -> dict[str, str]:
    """Load a checkout page whose CReq the ACS refuses: HTTP 400 and an error page in the frame.

    Returns the Erro fields the page shows."""
    async with page.expect_response(
        lambda r: r.url == harness.acs_url and r.request.method == "POST"
    ) as response_info:
        await page.goto(url)
    response = await response_info.value
    assert response.status == 400, f"HTTP {response.status} for a refused CReq"
    dl = challenge(page).locator("dl.fields")
    await expect(dl).to_be_visible()
    fields: dict[str, str] = await dl.evaluate(ERRO_JS)
    return fields


def wrong_code(right: str) -> str:
    """A six-digit code that is neither the right one nor a magic code of the catalog cards."""
    n = int(right)
    for step in range(1, 10):
        candidate = f"{(n + step) % 10**6:06d}"
        if candidate not in MAGIC_CODES:
            return candidate
    raise AssertionError("unreachable")


# -- what the merchant and the DS must see ---------------------------------------------------


def check_cres(
    posted: dict[str, str], ares: dict[str, Any], session_data: str, status: str
) -> dict[str, Any]:
    assert posted.get("threeDSSessionData") == session_data, "threeDSSessionData not echoed"
    assert "=" not in posted["cres"], "cres must be base64url without padding"
    cres = b64url_json(posted["cres"])
    required = {
        "threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"],
        "messageType": "CRes",
        "messageVersion": ares["messageVersion"],
        "transStatus": status,
    }
    assert {k: cres.get(k) for k in required} == required, cres
    # the final browser CRes may also say the challenge is complete; nothing else belongs in it
    assert set(cres) - set(required) <= {"challengeCompletionInd", "messageExtension"}, cres
    assert cres.get("challengeCompletionInd", "Y") == "Y", cres
    return cres


def check_rreq(
    rreq: dict[str, Any],
    ares: dict[str, Any],
    *,
    status: str,
    reason: str | None,
    counter: str,
    cancel: str | None,
) -> None:
    assert rreq["messageType"] == "RReq"
    assert rreq["messageVersion"] == ares["messageVersion"]
    for name in ("threeDSServerTransID", "acsTransID", "dsTransID"):
        assert rreq[name] == ares[name], name
    assert rreq["messageCategory"] == "01"
    assert rreq["transStatus"] == status, rreq
    assert rreq.get("transStatusReason") == reason, rreq
    assert rreq["interactionCounter"] == counter, rreq
    assert rreq.get("challengeCancel") == cancel, rreq
    if status == "Y":
        assert len(rreq["authenticationValue"]) == 28, rreq
        base64.b64decode(rreq["authenticationValue"], validate=True)  # 20 bytes, base64
        assert rreq["eci"] == "05", rreq  # Visa, fully authenticated
    else:
        assert "authenticationValue" not in rreq and "eci" not in rreq, rreq


# -- 1. the right code ------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.2.0", "2.1.0", "2.3.1"])
async def test_correct_code_authenticates(page: Page, harness: Harness, version: str) -> None:
    ares = await harness.areq(version)
    url, session_data = harness.checkout(ares)
    frame = await open_challenge(page, url)
    await expect(frame.locator("#status")).to_have_text("Code sent.")
    [code] = await harness.codes(ares["acsTransID"])

    await enter(frame, code)

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    await expect(frame.locator("#done")).to_have_text("done")
    rreq = await harness.rreq(ares)
    check_rreq(rreq, ares, status="Y", reason=None, counter="01", cancel=None)
    if version == "2.3.1":
        assert rreq["authenticationMethod"] == ["02"], rreq  # SMS OTP
        assert "authenticationType" not in rreq, rreq
    else:
        assert rreq["authenticationType"] == "02", rreq  # dynamic (OTP)
    record = await harness.transaction(ares["acsTransID"])
    assert record["challenge"]["rreq"]["status"] == "delivered"
    assert record["challenge"]["result"]["authentication_value"] == rreq["authenticationValue"]


# -- 2. three wrong codes ----------------------------------------------------------------------


async def test_three_wrong_codes_fail_with_reason_19(page: Page, harness: Harness) -> None:
    ares = await harness.areq()
    url, session_data = harness.checkout(ares)
    frame = await open_challenge(page, url)
    [code] = await harness.codes(ares["acsTransID"])
    wrong = wrong_code(code)
    status = frame.locator("#status")

    await expect(frame.locator("#otp-hint")).to_have_text("3 attempts left")
    await enter(frame, wrong)
    await expect(status).to_have_text("Wrong code. 2 attempts left.")
    await expect(status).to_have_attribute("role", "alert")
    await enter(frame, wrong)
    await expect(status).to_have_text("Wrong code. 1 attempt left.")
    assert not harness.notifications(ares) and not harness.rreqs_received(ares)
    await enter(frame, wrong)

    check_cres(await harness.notification(ares), ares, session_data, "N")
    check_rreq(await harness.rreq(ares), ares, status="N", reason="19", counter="03", cancel=None)


# -- 3. resend ---------------------------------------------------------------------------------


async def test_resend_replaces_the_code(page: Page, harness: Harness) -> None:
    ares = await harness.areq()
    url, session_data = harness.checkout(ares)
    frame = await open_challenge(page, url)
    [first] = await harness.codes(ares["acsTransID"])

    await click(frame, "resend")
    await expect(frame.locator("#status")).to_have_text(
        "New code sent. Earlier codes no longer work."
    )
    codes = await harness.codes(ares["acsTransID"])
    assert len(codes) == 2 and codes[0] == first, codes
    second = codes[1]
    assert second != first, "the resent code equals the first (1 in a million): rerun"

    await enter(frame, first)  # the old code counts as a wrong attempt
    await expect(frame.locator("#status")).to_have_text("Wrong code. 2 attempts left.")
    assert not harness.notifications(ares)
    await enter(frame, second)

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    rreq = await harness.rreq(ares)
    # this ACS counts the resend as an interaction: resend, wrong code, right code
    check_rreq(rreq, ares, status="Y", reason=None, counter="02", cancel=None)
    record = await harness.transaction(ares["acsTransID"])
    assert record["challenge"]["resends"] == 1 and record["challenge"]["attempts"] == 2


# -- 4. cancel ---------------------------------------------------------------------------------


async def test_cancel(page: Page, harness: Harness) -> None:
    ares = await harness.areq()
    url, session_data = harness.checkout(ares)
    frame = await open_challenge(page, url)

    await click(frame, "cancel")

    check_cres(await harness.notification(ares), ares, session_data, "N")
    rreq = await harness.rreq(ares)
    # 2.2.0: 26 "authentication attempted but not performed by the cardholder"
    check_rreq(rreq, ares, status="N", reason="26", counter="00", cancel="01")


# -- 5. no CReq in time ------------------------------------------------------------------------


async def test_first_creq_timeout_then_late_creq(page: Page) -> None:
    harness, stop = await start_harness(first_creq_seconds=0.5)
    try:
        ares = await harness.areq()
        rreq = await harness.rreq(ares)  # no CReq: the first-CReq timer fires after 0.5 s
        check_rreq(rreq, ares, status="N", reason="14", counter="00", cancel="05")

        url, _ = harness.checkout(ares)
        fields = await post_creq_expecting_error(page, harness, url)
        assert fields["errorCode"] == "402", fields
        await expect(challenge(page).locator("p.explain")).to_have_text(
            "This session has expired. Please return to the merchant and try again."
        )
        assert not harness.merchant.notifications
        assert len(harness.rreqs_received(ares)) == 1, "the late CReq must not send an RReq"
    finally:
        await stop()


# -- 6. a second CReq (refresh) ----------------------------------------------------------------


async def test_second_creq_in_2_3_1_is_refused_with_314(page: Page, harness: Harness) -> None:
    ares = await harness.areq("2.3.1")
    url, _ = harness.checkout(ares)
    await open_challenge(page, url)

    fields = await post_creq_expecting_error(page, harness, url)  # the merchant page again

    assert fields["errorCode"] == "314", fields
    assert "already received" in fields["errorDetail"], fields


async def test_second_creq_in_2_2_0_shows_the_page_again(page: Page, harness: Harness) -> None:
    ares = await harness.areq("2.2.0")
    url, session_data = harness.checkout(ares)
    await open_challenge(page, url)

    async with page.expect_response(
        lambda r: r.url == harness.acs_url and r.request.method == "POST"
    ) as response_info:
        await page.reload()  # the merchant page posts the same CReq again
    assert (await response_info.value).status == 200
    frame = challenge(page)
    await expect(frame.locator('input[name="otp"]')).to_be_visible()
    await expect(frame.locator("#otp-hint")).to_have_text("3 attempts left")
    codes = await harness.codes(ares["acsTransID"])
    assert len(codes) == 1, "a refresh must not send another code"

    await enter(frame, codes[0])

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    check_rreq(await harness.rreq(ares), ares, status="Y", reason=None, counter="01", cancel=None)


# -- 7. every challengeWindowSize --------------------------------------------------------------


@pytest.mark.parametrize("size", sorted(WINDOW_SIZES))
async def test_window_sizes_fit_without_scrollbars(page: Page, harness: Harness, size: str) -> None:
    ares = await harness.areq()
    url, session_data = harness.checkout(ares, size)
    frame_locator = await open_challenge(page, url)
    frame = await challenge_frame(page)

    expected = WINDOW_SIZES[size] or (VIEWPORT["width"], VIEWPORT["height"])
    viewport = await frame.evaluate("() => [innerWidth, innerHeight]")
    assert tuple(viewport) == expected, f"iframe for {size} is {viewport}"
    assert f"size-{size}" in (await frame.evaluate("() => document.body.className")).split()
    metrics = await frame.evaluate(SCROLL_JS)
    assert metrics["sh"] <= metrics["ch"], f"{size}: vertical scrollbar {metrics}"
    assert metrics["sw"] <= metrics["cw"], f"{size}: horizontal scrollbar {metrics}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"challenge-{size}.png")

    [code] = await harness.codes(ares["acsTransID"])
    await enter(frame_locator, code)

    check_cres(await harness.notification(ares), ares, session_data, "Y")
    check_rreq(await harness.rreq(ares), ares, status="Y", reason=None, counter="01", cancel=None)
    record = await harness.transaction(ares["acsTransID"])
    assert record["challenge"]["browser"]["window_size"] == size


# -- 8. the DS does not answer at first --------------------------------------------------------


async def test_rreq_is_retried_until_the_ds_answers(page: Page) -> None:
    harness, stop = await start_harness(ds_fail_first=2)
    try:
        ares = await harness.areq()
        url, session_data = harness.checkout(ares)
        frame = await open_challenge(page, url)
        [code] = await harness.codes(ares["acsTransID"])

        await enter(frame, code)

        # the cardholder is not held back by the failing DS
        check_cres(await harness.notification(ares), ares, session_data, "Y")
        rreq = await harness.rreq(ares)  # the third attempt, after the retry timer
        check_rreq(rreq, ares, status="Y", reason=None, counter="01", cancel=None)
        attempts = harness.rreqs_received(ares)
        assert len(attempts) == 3, attempts
        assert all(r == rreq for r in attempts), "each retry sends the same RReq"

        async def delivered() -> dict[str, Any] | None:
            state = (await harness.transaction(ares["acsTransID"]))["challenge"]["rreq"]
            return state if state["status"] == "delivered" else None

        state = await until(delivered, "the transaction record to show the RReq delivered")
        assert state["attempts"] >= 3, state
        assert state["rres"]["resultsStatus"] == "01", state
    finally:
        await stop()


async def test_a_hanging_ds_delays_the_cardholder_only_briefly(page: Page) -> None:
    """The DS never answers the first two attempts: the cardholder waits at most about two RRes
    timeouts (the attempt and its immediate retry), then the retry timer delivers the RReq."""
    harness, stop = await start_harness(rres_wait_seconds=0.3, ds_fail_first=2, ds_hang_seconds=0.6)
    try:
        ares = await harness.areq()
        url, session_data = harness.checkout(ares)
        frame = await open_challenge(page, url)
        [code] = await harness.codes(ares["acsTransID"])

        started = time.monotonic()
        await enter(frame, code)
        check_cres(await harness.notification(ares), ares, session_data, "Y")
        waited = time.monotonic() - started
        assert waited < 2 * 0.3 + 1.0, f"the cardholder waited {waited:.2f}s for the final page"

        rreq = await harness.rreq(ares)
        check_rreq(rreq, ares, status="Y", reason=None, counter="01", cancel=None)
        assert len(harness.rreqs_received(ares)) == 3, harness.ds.received
    finally:
        await stop()


# -- 9. bad CReqs ------------------------------------------------------------------------------


def _creq_for(**fields: str) -> str:
    message = {"messageType": "CReq", "messageVersion": "2.2.0", **fields}
    return b64url(json.dumps(message).encode())


BAD_CREQS = {
    # name: (creq form value, errorCode, errorDetail)
    "garbage": ("not*a~creq!!", "101", "creq: not base64url-encoded JSON"),
    "not-an-object": (b64url(b"[1, 2]"), "101", "creq: not a JSON object"),
    "missing-fields": (
        _creq_for(threeDSServerTransID=str(uuid.uuid4())),
        "201",
        "acsTransID,challengeWindowSize",
    ),
    "unknown-transaction": (
        _creq_for(
            threeDSServerTransID=str(uuid.uuid4()),
            acsTransID=str(uuid.uuid4()),
            challengeWindowSize="02",
        ),
        "301",
        "acsTransID: no such transaction at this ACS",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CREQS))
async def test_bad_creq_gives_an_error_page(page: Page, harness: Harness, case: str) -> None:
    creq, code, detail = BAD_CREQS[case]
    url = harness.merchant.checkout_url(harness.acs_url, creq, "c2Vzc2lvbg", "02")
    notified, rreqs = len(harness.merchant.notifications), len(harness.ds.received)

    fields = await post_creq_expecting_error(page, harness, url)

    assert fields["errorCode"] == code, fields
    assert fields["errorDetail"] == detail, fields
    async with harness.http.get(f"{harness.acs}/healthz") as resp:
        assert resp.status == 200  # still serving
    assert len(harness.merchant.notifications) == notified, "no CRes for a refused CReq"
    assert len(harness.ds.received) == rreqs, "no RReq for a CReq that names no live challenge"


async def test_malformed_creq_ends_a_live_challenge(page: Page, harness: Harness) -> None:
    """A CReq that names a live transaction but breaks the format ends it: U, cancel 06."""
    ares = await harness.areq()
    url = harness.merchant.checkout_url(
        harness.acs_url, harness.creq(ares, "06"), "c2Vzc2lvbg", "02"
    )

    fields = await post_creq_expecting_error(page, harness, url)

    assert fields["errorCode"] == "203", fields
    assert fields["errorDetail"] == "challengeWindowSize: invalid format", fields
    rreq = await harness.rreq(ares)
    check_rreq(rreq, ares, status="U", reason="22", counter="00", cancel="06")
    assert not harness.notifications(ares)


# -- layout defects found by these tests -------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    ["01", "02", "03", "04", "05"],
)
async def test_fact_labels_are_not_broken_mid_word(page: Page, harness: Harness, size: str) -> None:
    ares = await harness.areq()
    url, _ = harness.checkout(ares, size)
    await open_challenge(page, url)
    frame = await challenge_frame(page)

    labels = await frame.evaluate(LABEL_LINES_JS)

    assert labels, "no facts labels on the OTP page"
    broken = [(text, lines) for text, lines in labels if lines > len(text.split())]
    assert not broken, f"{size}: labels broken mid-word: {broken}"


@pytest.mark.parametrize(
    "size",
    ["01", "02", "03", "04", "05"],
)
async def test_creq_error_page_fits_the_window(page: Page, harness: Harness, size: str) -> None:
    ares = await harness.areq("2.3.1")
    url, _ = harness.checkout(ares, size)
    await open_challenge(page, url)
    fields = await post_creq_expecting_error(page, harness, url)  # a second CReq: 314
    assert fields["errorCode"] == "314", fields
    frame = await challenge_frame(page)

    body_class = await frame.evaluate("() => document.body.className")
    metrics = await frame.evaluate(SCROLL_JS)

    assert f"size-{size}" in body_class.split(), f"error page laid out as {body_class!r}"
    assert metrics["sh"] <= metrics["ch"] and metrics["sw"] <= metrics["cw"], metrics
