"""The URL rules (acs.protocol.urls) and the places that apply them: one rule, where a URL enters
and where a page uses it, so nothing accepted on the way in fails on a cardholder's page."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acs.challenge.render import Branding, Renderer, _origin
from acs.protocol import urls, validate
from acs.protocol.codes import ErrorCode
from acs.protocol.errors import ProtocolError
from tests.protocol import samples

ORIGINS = {
    "https://merchant.example/notify": "https://merchant.example",
    "http://127.0.0.1:9/n": "http://127.0.0.1:9",
    "https://3ds.example:8443/notify?a=1&b=%22#x": "https://3ds.example:8443",
    "HTTPS://Shop-1.Example.COM/n": "https://shop-1.example.com",
    "https://[::1]:8443/n": "https://[::1]:8443",
    "https://xn--bcher-kva.example/n": "https://xn--bcher-kva.example",
    "https://localhost": "https://localhost",
    "https://a.example/caf\u00e9": "https://a.example",
    "https://a.example?q": "https://a.example",
}
WEB_URLS = list(ORIGINS)
NOT_WEB_URLS = [
    "https://a_b.example/n",  # the CSP host grammar has no underscore
    "https://shop_example.com/notify",
    "https://a..b.example/n",
    "https://a.example./n",
    "https://.a.example/n",
    "https://user@a.example/n",
    "https://a.example:/n",
    "https://a.example:65536/n",
    "https://1.2.3/n",  # a browser reads 1.2.0.3
    "https://0x7f.1/n",
    "https://[0:0::1]/n",  # the browser writes [::1]
    "https://[::1/n",
    "https://[fe80::1%25eth0]/n",
    "https://a.example/n b",
    "https://a.example/\tn",
    "https://a.example\\@evil.example/",
    "https://evil.example; script-src *",
    "https://evil.example 'unsafe-inline'",
    "ftp://merchant.example/n",
    "javascript:alert(1)",
    "data:text/html,x",
    "//evil.example/n",
    "https:/a.example/n",
    "https://",
    "/n",  # a path is a form target of ours, not a URL from outside
    "",
    "https://a.example/" + "x" * 2048,
]


@pytest.mark.parametrize("url", WEB_URLS)
def test_web_urls(url: str) -> None:
    assert urls.is_web_url(url)
    assert urls.web_origin(url) == ORIGINS[url]


@pytest.mark.parametrize("url", NOT_WEB_URLS)
def test_not_web_urls(url: str) -> None:
    assert not urls.is_web_url(url)


def test_image_sources() -> None:
    assert urls.is_image_source("https://bank.example/logo.svg")
    assert urls.is_image_source("/3ds/static/logo.png")
    for bad in ("http://bank.example/l.png", "//bank.example/l.png", "javascript:x", "/a b",
                "https://bank_1.example/l.png", "data:image/png;base64,AA", "/a\\b"):  # fmt: skip
        assert not urls.is_image_source(bad), bad


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


url_texts = st.one_of(
    st.sampled_from(WEB_URLS + NOT_WEB_URLS),
    st.builds(
        "{}{}{}{}".format,
        st.sampled_from(["https://", "http://", "HTTP://", "ftp://", "", "/", "//"]),
        st.text(st.sampled_from("ab-_.:[]1@%\\ \t/?#0x"), max_size=12),
        st.sampled_from(["", ":443", ":0", ":99999", ":"]),
        st.text(max_size=8),
    ),
    st.text(max_size=30),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url_texts)
def test_the_renderer_accepts_exactly_what_the_rule_accepts(url: str) -> None:
    """What the pages refuse is what the entry points refuse: the same function decides."""
    try:
        _origin(url, "notification_url")
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert accepted == urls.is_form_target(url)
    try:
        Branding("Bank", "Visa", issuer_logo=url)
    except ValueError:
        logo_ok = False
    else:
        logo_ok = True
    assert logo_ok == urls.is_image_source(url)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url_texts)
def test_an_accepted_notification_url_renders_the_final_page(renderer: Renderer, url: str) -> None:
    if not urls.is_web_url(url):
        return
    page = renderer.final_page(
        window_size="02", language="en", notification_url=url, cres="x", session_data=None
    )
    assert urls.web_origin(url) in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("version", ["2.1.0", "2.2.0", "2.3.1"])
@pytest.mark.parametrize("url", ["https://shop_example.com/notify", "https://1.2.3/n"])
def test_an_areq_notification_url_a_page_could_not_post_to_is_erro_203(
    version: str, url: str
) -> None:
    body = json.dumps(samples.areq(version, "02", "01", notificationURL=url)).encode()
    assert validate._parse_typed(body) is None  # the typed path applies the same format check
    with pytest.raises(ProtocolError) as err:
        validate.parse_areq(body)
    assert err.value.code is ErrorCode.FORMAT_INVALID
    assert "notificationURL" in err.value.detail


def test_a_good_notification_url_still_takes_the_typed_path() -> None:
    body = samples.areq_bytes("2.2.0", "02", "01", notificationURL="https://shop-1.example/n")
    assert validate._parse_typed(body) is not None
