"""The challenge pages in a real headless Chromium, framed cross-origin like a merchant does.

Per EMV challengeWindowSize the OTP and error pages must fit their iframe without scrollbars,
be keyboard-operable, and keep WCAG AA contrast; the auto-submitting pages must reach their
targets; and the browser must report no CSP violation. Screenshots go to artifacts/ui/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acs.challenge.render import METHOD_SIGNALS, Renderer
from tests.ui.conftest import LONG_MERCHANT, ROOT, UI_ROOT
from tests.ui.servers import Servers

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
ARTIFACTS = ROOT / "artifacts" / "ui"

# (id, challengeWindowSize, iframe width, iframe height); 05 is "full screen": desktop and phone.
WINDOWS = [
    ("01", "01", 250, 400),
    ("02", "02", 390, 400),
    ("03", "03", 500, 600),
    ("04", "04", 600, 400),
    ("05", "05", 1280, 800),
    ("05-phone", "05", 360, 640),
]

# Reports CSP violations in every frame (init scripts are not subject to the page's CSP).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""

# Page metrics: scroll extents and any element that pokes out of the viewport.
LAYOUT_JS = """
() => {
  const d = document.documentElement;
  const outside = [...document.body.querySelectorAll("*")].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.left < -0.5 || r.top < -0.5
      || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5);
  }).map((e) => e.tagName.toLowerCase() + "." + e.className);
  return {sh: d.scrollHeight, ch: d.clientHeight, sw: d.scrollWidth, cw: d.clientWidth, outside};
}
"""

# WCAG 2 contrast of every element that has its own text against its effective background.
CONTRAST_JS = """
() => {
  const rgba = (s) => {
    const p = s.match(/rgba?\\(([^)]+)\\)/)[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = ([r, g, b]) => {
    const f = (c) => (c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  };
  const failures = [];
  for (const el of document.body.querySelectorAll("*")) {
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!ownText || !el.getClientRects().length) continue;
    const cs = getComputedStyle(el);
    const [a, b] = [lum(rgba(cs.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${el.tagName}.${el.className} ${ratio}`);
  }
  return failures;
}
"""

# What keyboard focus is on, described in a stable way.
FOCUS_JS = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const cs = getComputedStyle(e);
  return {id: e.name === "action" ? e.value : e.name || e.id, outline: cs.outlineStyle,
          width: parseFloat(cs.outlineWidth)};
}
"""


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    running = Servers(Renderer(UI_ROOT), UI_ROOT / "static")
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"real-browser UI tests need Chromium in CI: {reason}")
        pytest.skip(f"real-browser UI tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Tab:
    """A page plus everything the browser complained about while it was open."""

    def __init__(self, browser: Any, *, javascript: bool = True) -> None:
        self.context = browser.new_context(
            viewport={"width": 1400, "height": 900}, java_script_enabled=javascript
        )
        self.context.add_init_script(CSP_LISTENER)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status} for {response.url}")

    def open(self, url: str) -> Any:
        """Loads the parent page and returns the ACS iframe's frame."""
        self.page.goto(url, wait_until="load")
        frame = self.page.query_selector("#acs").content_frame()
        frame.wait_for_load_state("load")
        return frame

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    opened = Tab(browser)
    yield opened
    opened.close()


def assert_fits(frame: Any, width: int, height: int) -> None:
    m = frame.evaluate(LAYOUT_JS)
    assert (m["cw"], m["ch"]) == (width, height), "the iframe is not the size under test"
    assert m["sh"] <= m["ch"], f"vertical scrollbar: content {m['sh']}px in {m['ch']}px"
    assert m["sw"] <= m["cw"], f"horizontal scrollbar: content {m['sw']}px in {m['cw']}px"
    assert m["outside"] == [], "elements outside the viewport"


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize(("label", "size", "width", "height"), WINDOWS, ids=[w[0] for w in WINDOWS])
def test_otp_page_fits_and_works_by_keyboard(
    servers: Servers, tab: Tab, label: str, size: str, width: int, height: int, lang: str
) -> None:
    frame = tab.open(servers.parent_url("/otp", width, height, size=size, lang=lang))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.page.locator("#acs").screenshot(path=str(ARTIFACTS / f"otp-{label}-{lang}.png"))

    assert_fits(frame, width, height)
    assert frame.evaluate(CONTRAST_JS) == []
    assert LONG_MERCHANT in frame.inner_text("main")
    # the nonce'd brand <style> applied: the header has the brand colour (#eb001b)
    header = frame.eval_on_selector(".brand", "e => getComputedStyle(e).backgroundColor")
    assert header == "rgb(235, 0, 27)"

    label_text = {"en": "One-time code", "de": "Einmalcode"}[lang]
    textbox = frame.get_by_role("textbox", name=label_text, exact=True)
    assert textbox.get_attribute("name") == "otp"

    # Tab from the merchant page goes into the frame and walks the controls in order.
    stops = []
    for _ in range(4):
        tab.page.keyboard.press("Tab")
        stops.append(frame.evaluate(FOCUS_JS))
    assert [s and s["id"] for s in stops] == ["otp", "submit", "resend", "cancel"]
    for stop in stops:
        assert stop["outline"] != "none" and stop["width"] >= 2, f"no visible focus: {stop}"
    assert tab.problems == []


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize(("label", "size", "width", "height"), WINDOWS, ids=[w[0] for w in WINDOWS])
def test_error_page_fits(
    servers: Servers, tab: Tab, label: str, size: str, width: int, height: int, lang: str
) -> None:
    frame = tab.open(servers.parent_url("/error", width, height, size=size, lang=lang))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.page.locator("#acs").screenshot(path=str(ARTIFACTS / f"error-{label}-{lang}.png"))
    assert_fits(frame, width, height)
    assert frame.evaluate(CONTRAST_JS) == []
    assert "errorDetail" in frame.inner_text("main")
    assert tab.problems == []


def test_otp_form_posts_code_and_lets_resend_skip_validation(servers: Servers, tab: Tab) -> None:
    frame = tab.open(servers.parent_url("/otp", 390, 400, size="02", lang="en"))
    frame.fill("#otp", "123456")
    frame.press("#otp", "Enter")  # Enter submits with the first button: "submit"
    posted = servers.wait_for_post("otp")
    assert posted == {"token": "tx-0001.nonce.1700000000.sig", "otp": "123456", "action": "submit"}

    frame = tab.open(servers.parent_url("/otp", 390, 400, size="02", lang="en"))
    frame.click("button[value=resend]")  # empty, "required" input: formnovalidate lets it go
    posted = servers.wait_for_post("otp")
    assert posted == {"token": "tx-0001.nonce.1700000000.sig", "otp": "", "action": "resend"}
    assert tab.problems == []


@pytest.mark.parametrize("session", ["c2Vzc2lvbi1kYXRh", None])
def test_final_page_auto_submits_to_the_notification_url(
    servers: Servers, tab: Tab, session: str | None
) -> None:
    query = {"cres": "eyJ0cmFuc1N0YXR1cyI6IlkifQ", "size": "01", "lang": "de"}
    if session is not None:
        query["session"] = session
    tab.page.goto(servers.parent_url("/final", 250, 400, **query))
    posted = servers.wait_for_post("notify")
    expected = {"cres": "eyJ0cmFuc1N0YXR1cyI6IlkifQ"}
    if session is not None:
        expected["threeDSSessionData"] = session
    assert posted == expected
    tab.page.locator("#acs").content_frame.locator("#notify").wait_for()
    assert tab.problems == []


def test_method_page_collects_signals_and_notifies(servers: Servers, tab: Tab) -> None:
    tab.page.goto(servers.parent_url("/method", 1, 1))
    collected = servers.wait_for_post("collect")
    assert collected["threeDSMethodData"] == "bWV0aG9k"
    assert set(collected) == {"threeDSMethodData", *METHOD_SIGNALS}
    assert collected["javascript"] == "true"
    for name in ("screenWidth", "screenHeight", "colorDepth"):
        assert collected[name].isdigit() and int(collected[name]) > 0, name
    assert collected["tzOffset"].lstrip("-").isdigit()
    assert collected["language"]
    assert servers.wait_for_post("method-notify") == {"threeDSMethodData": "ZG9uZQ"}
    assert tab.problems == []


def test_without_javascript_the_noscript_buttons_post(servers: Servers, browser: Any) -> None:
    tab = Tab(browser, javascript=False)
    try:
        frame = tab.open(servers.parent_url("/final", 390, 400, cres="Y3Jlcw", session="c2Vz"))
        assert servers.posts["notify"] == []  # nothing happens by itself
        frame.get_by_role("button", name="Continue").click()
        assert servers.wait_for_post("notify") == {"cres": "Y3Jlcw", "threeDSSessionData": "c2Vz"}

        frame = tab.open(servers.parent_url("/method", 390, 400))
        frame.get_by_role("button", name="Continue").click()
        assert servers.wait_for_post("collect") == {"threeDSMethodData": "bWV0aG9k"}
        assert tab.problems == []
    finally:
        tab.close()


def test_csp_violations_are_detected(servers: Servers, tab: Tab) -> None:
    """The canary breaks the CSP on purpose: if this sees nothing, the other checks are blind."""
    frame = tab.open(servers.parent_url("/canary", 390, 400))
    frame.wait_for_load_state("load")
    tab.page.wait_for_timeout(50)
    assert frame.title() != "unsafe"  # the un-nonced script did not run
    assert any("CSP violation: script-src" in p for p in tab.problems), tab.problems
