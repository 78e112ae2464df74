"""The app channel's HTML UI (acsUiType 05) in real headless Chromium at phone sizes: it fits with
no horizontal scrolling, loads nothing from the network, and its form navigates to
https://emv3ds/challenge with the query string an SDK sends back as challengeHTMLDataEntry."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from acs.challenge.methods.otp import otp_view
from acs.challenge.render import Branding, Purchase, Renderer
from tests.ui.conftest import LONG_MERCHANT
from tests.ui.test_browser import LAYOUT_JS, browser  # noqa: F401 - the fixture

PHONES = [(360, 640), (320, 568)]  # a common Android size and the smallest iPhone


def app_html(renderer: Renderer, language: str) -> str:
    view = otp_view(
        renderer.texts[language],
        channel="sms",
        destination_masked="+44*******123",
        attempts_left=2,
        resends_left=1,
        message="wrong",
        code_length=6,
    )
    return renderer.app_html(
        view,
        language=language,
        branding=Branding(issuer_name="Demo Bank", scheme_name="Visa", primary_color="#1a4d8f"),
        purchase=Purchase(LONG_MERCHANT, "1234599", "978", 2),
        pan_masked="401600******0111",
    )


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(("width", "height"), PHONES)
def test_html_ui_fits_a_phone_and_posts_what_an_sdk_expects(
    renderer: Renderer,
    browser: Any,  # noqa: F811 - the fixture imported above
    language: str,
    width: int,
    height: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    requests: list[str] = []
    navigations: list[str] = []

    def intercept(route: Any) -> None:
        navigations.append(route.request.url)
        route.fulfill(status=204, body="")

    page.route("https://emv3ds/**", intercept)
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.set_content(app_html(renderer, language), wait_until="load")
        metrics = page.evaluate(LAYOUT_JS)
        assert metrics["sw"] <= metrics["cw"], f"horizontal scrolling at {width}px: {metrics}"
        assert [u for u in requests if not u.startswith(("about:", "data:"))] == []
        page.fill("#otp", "123456")
        page.click("button[value=submit]")
        page.wait_for_load_state()
        assert navigations, "the form did not navigate"
        url = urlsplit(navigations[0])
        assert (url.scheme, url.netloc.lower(), url.path.lower()) == (
            "https",
            "emv3ds",
            "/challenge",
        )
        assert parse_qs(url.query) == {"otp": ["123456"], "action": ["submit"]}
    finally:
        context.close()
