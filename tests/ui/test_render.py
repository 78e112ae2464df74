"""Challenge page rendering without a browser: locale, amounts, escaping, security headers."""

from __future__ import annotations

import re
import shutil
import statistics
import time
from pathlib import Path

import pytest

from acs.challenge import render
from acs.challenge.methods.otp import MESSAGES
from acs.challenge.render import (
    METHOD_SIGNALS,
    Branding,
    Page,
    Purchase,
    Renderer,
    contrast,
    format_amount,
    negotiate_locale,
)
from tests.ui.conftest import UI_ROOT, otp_kwargs

NBSP = "\xa0"


def csp(page: Page) -> dict[str, str]:
    """The CSP as {directive: sources}."""
    policy = page.headers["Content-Security-Policy"]
    return dict((part.strip() + " ").split(" ", 1) for part in policy.split(";"))


def nonce_of(page: Page, directive: str) -> str:
    match = re.search(r"'nonce-([^']+)'", csp(page)[directive])
    assert match, csp(page)
    return match.group(1)


# -- locale -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("de-DE", "de"),
        ("de", "de"),
        ("DE-at", "de"),
        ("de_CH", "de"),
        ("en-US", "en"),
        ("en", "en"),
        ("fr-FR", "en"),
        ("fr-FR,de;q=0.8", "de"),  # an Accept-Language list: the first supported language
        ("", "en"),
        (None, "en"),
        ("deu", "en"),
    ],
)
def test_negotiate_locale(value: str | None, expected: str) -> None:
    assert negotiate_locale(value) == expected


# -- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "exponent", "locale", "expected"),
    [
        ("4999", "978", 2, "en", "€49.99"),
        ("4999", "978", 2, "de", "49,99 €"),
        ("123456", "978", 2, "de", "1.234,56 €"),
        ("1000", "392", 0, "en", "¥1,000"),  # JPY has no minor unit
        ("1000", "392", 0, "de", "1.000 ¥"),
        ("12345", "048", 3, "en", "BHD12.345"),  # BHD has three
        ("12345", "048", 3, "de", "12,345 BHD"),
        ("49999", "978", 3, "en", "€49.999"),  # the AReq's exponent wins: no digit rounded away
        ("4999", "978", 2, "de-CH", "EUR 49.99"),  # regional formats when babel knows them
        ("5000", "978", 2, "xx-unknown", "€50.00"),
    ],
)
def test_format_amount(
    minor: str, currency: str, exponent: int, locale: str, expected: str
) -> None:
    assert format_amount(minor, currency, exponent, locale).replace(NBSP, " ") == expected


@pytest.mark.parametrize(
    ("minor", "currency", "exponent"),
    [
        ("4999", "000", 2),  # not a currency
        ("4999", "999", 2),  # XXX: "no currency involved"
        ("4999", "963", 2),  # XTS: testing
        ("4999", "97", 2),
        ("4999", "EUR", 2),
        ("49.99", "978", 2),
        ("-100", "978", 2),
        ("4999", "978", -1),
        (None, "978", 2),
        ("4999", None, 2),
        ("4999", "978", None),
    ],
)
def test_format_amount_unknown_is_none(
    minor: str | None, currency: str | None, exponent: int | None
) -> None:
    assert format_amount(minor, currency, exponent, "en") is None


def test_otp_page_without_a_showable_amount_leaves_the_row_out(renderer: Renderer) -> None:
    page = renderer.otp_page(**otp_kwargs(purchase=Purchase("Shop", "4999", "000", 2)))
    assert "Betrag" not in page.html
    assert "Shop" in page.html


def test_otp_page_formats_the_amount_for_the_language(renderer: Renderer) -> None:
    de = renderer.otp_page(**otp_kwargs(language="de-DE"))
    en = renderer.otp_page(**otp_kwargs(language="en-GB"))
    assert f"12.345,99{NBSP}€" in de.html
    assert "€12,345.99" in en.html


# -- escaping and secrets ---------------------------------------------------------------------


def test_autoescape_in_text_and_attributes(renderer: Renderer) -> None:
    page = renderer.otp_page(
        **otp_kwargs(
            purchase=Purchase("<script>alert(1)</script>", "100", "978", 2),
            token='"><script>alert(2)</script>',
            destination_masked="<b>x</b>",
        )
    )
    assert "<script" not in page.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
    assert 'value="&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in page.html
    assert "&lt;b&gt;x&lt;/b&gt;" in page.html


def test_final_page_escapes_its_fields(renderer: Renderer) -> None:
    page = renderer.final_page(
        window_size="01",
        language="en",
        notification_url='https://merchant.example/n?a=1&b="2"',
        cres='"><script>',
        session_data="<x>",
    )
    assert page.html.count("<script") == 1  # only the nonce'd one
    assert 'action="https://merchant.example/n?a=1&amp;b=&#34;2&#34;"' in page.html
    assert 'value="&#34;&gt;&lt;script&gt;"' in page.html


def test_otp_page_never_shows_the_code(renderer: Renderer) -> None:
    code = "493817"  # what the cardholder received; the renderer has no way to learn it
    for message in (None, *MESSAGES):
        page = renderer.otp_page(**otp_kwargs(message=message, token="tx.n.1700000000.c2ln"))
        html = page.html.replace(nonce_of(page, "style-src"), "")
        assert code not in html
        assert not re.search(r"(?<![\w-])\d{6}(?![\w-])", html), "no six-digit number at all"
        otp_input = re.search(r'<input id="otp"[^>]*>', html)
        assert otp_input and "value=" not in otp_input.group(0)  # never pre-filled


# -- security headers and nonces --------------------------------------------------------------


def script_nonces(html: str) -> list[str]:
    return re.findall(r"<script(?: nonce=\"([^\"]*)\")?", html)


@pytest.mark.parametrize("kind", ["final", "method", "method_done"])
def test_script_pages_carry_a_matching_nonce(renderer: Renderer, kind: str) -> None:
    page = {
        "final": lambda: renderer.final_page(
            window_size="03",
            language="de",
            notification_url="https://3ds.example:8443/notify",
            cres="eyJ0",
            session_data="c2Vzcw",
        ),
        "method": lambda: renderer.method_page(
            collect_url="https://acs.example/3ds/method/collect", method_data="eyJt"
        ),
        "method_done": lambda: renderer.method_done_page(
            notification_url="https://3ds.example:8443/method", method_data="eyJt"
        ),
    }[kind]()
    nonce = nonce_of(page, "script-src")
    assert len(nonce) >= 20
    assert script_nonces(page.html) == [nonce]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    target = "https://acs.example" if kind == "method" else "https://3ds.example:8443"
    assert csp(page)["form-action"].split() == ["'self'", target]


def test_otp_and_error_pages_have_no_script(renderer: Renderer) -> None:
    otp = renderer.otp_page(**otp_kwargs())
    error = renderer.error_page(
        window_size="01", language="en", error_code="203", description="d", detail="x"
    )
    for page in (otp, error):
        assert "<script" not in page.html
        assert "script-src" not in csp(page)  # falls back to default-src 'none'
        assert csp(page)["default-src"].strip() == "'none'"
        assert " style=" not in page.html  # the CSP forbids style attributes
    # the brand colours are the one nonce'd <style>
    style_nonce = nonce_of(otp, "style-src")
    assert re.findall(r"<style nonce=\"([^\"]+)\">", otp.html) == [style_nonce]
    assert csp(error)["style-src"].strip() == "'self'"


def test_security_headers(renderer: Renderer) -> None:
    pages = [
        renderer.otp_page(**otp_kwargs()),
        renderer.final_page(
            window_size="02", language=None, notification_url="/n", cres="x", session_data=None
        ),
        renderer.error_page(
            window_size=None, language=None, error_code="1", description="", detail=""
        ),
        renderer.method_page(collect_url="/c", method_data="m"),
        renderer.method_done_page(notification_url="http://127.0.0.1:9/n", method_data="m"),
    ]
    for page in pages:
        headers = {k.lower(): v for k, v in page.headers.items()}
        assert "x-frame-options" not in headers  # merchants frame these pages cross-site
        policy = csp(page)
        assert policy["frame-ancestors"].strip() == "*"
        assert policy["base-uri"].strip() == "'none'"
        assert policy["img-src"].split() == ["'self'", "https:", "data:"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert "set-cookie" not in headers


def test_each_page_gets_a_fresh_nonce(renderer: Renderer) -> None:
    def final() -> Page:
        return renderer.final_page(
            window_size="02", language="en", notification_url="/n", cres="x", session_data=None
        )

    assert nonce_of(final(), "script-src") != nonce_of(final(), "script-src")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "//evil.example/n",
        "https://evil.example; script-src *",
        "https://evil.example 'unsafe-inline'",
        "ftp://merchant.example/n",
    ],
)
def test_unusable_form_targets_are_refused(renderer: Renderer, url: str) -> None:
    with pytest.raises(ValueError, match="notification_url"):
        renderer.final_page(
            window_size="02", language="en", notification_url=url, cres="x", session_data=None
        )


def test_static_prefix_on_another_origin_is_allowed_for_styles(tmp_path: Path) -> None:
    cdn = Renderer(UI_ROOT, static_prefix="https://cdn.example/acs/")
    page = cdn.otp_page(**otp_kwargs())
    assert 'href="https://cdn.example/acs/acs.css"' in page.html
    assert "https://cdn.example" in csp(page)["style-src"]


# -- page contents ----------------------------------------------------------------------------


def test_final_page_sends_session_data_only_when_given(renderer: Renderer) -> None:
    kwargs = {"window_size": "02", "language": "en", "notification_url": "/n", "cres": "Y3Jlcw"}
    with_session = renderer.final_page(**kwargs, session_data="c2Vzcw")
    without = renderer.final_page(**kwargs, session_data=None)
    assert 'name="cres" value="Y3Jlcw"' in with_session.html
    assert 'name="threeDSSessionData" value="c2Vzcw"' in with_session.html
    assert "threeDSSessionData" not in without.html
    assert "<noscript>" in without.html and "Continue" in without.html
    assert 'method="post"' in without.html


def test_method_pages(renderer: Renderer) -> None:
    page = renderer.method_page(collect_url="/3ds/method/collect", method_data="eyJ0aHJlZURT")
    assert 'action="/3ds/method/collect"' in page.html
    assert 'name="threeDSMethodData" value="eyJ0aHJlZURT"' in page.html
    assert set(re.findall(r'put\("(\w+)"', page.html)) == set(METHOD_SIGNALS)
    done = renderer.method_done_page(notification_url="https://3ds.example/m", method_data="eyJ")
    assert 'action="https://3ds.example/m"' in done.html
    assert 'name="threeDSMethodData" value="eyJ"' in done.html


def test_otp_page_contents(renderer: Renderer) -> None:
    html = renderer.otp_page(**otp_kwargs(window_size="03", language="en")).html
    assert '<html lang="en">' in html
    assert 'class="size-03 page-otp"' in html
    for text in (
        "Demo Bank",
        "Mastercard",
        "5105 •••• •••• 0011",
        "by email to c***@cardholder-mail.example.com",
        "Wrong code. 2 attempts left.",
        'role="alert"',
        'aria-live="assertive"',
        '<label for="otp">One-time code</label>',
        'inputmode="numeric"',
        'autocomplete="one-time-code"',
        'pattern="[0-9]{6}"',
        'name="token" value="tx-0001.nonce.1700000000.sig"',
        'action="/3ds/challenge"',
        'method="post"',
        'name="action" value="submit"',
        'name="action" value="resend" formnovalidate',
        'name="action" value="cancel" formnovalidate',
        'src="/3ds/static/demo-bank.svg"',
        'href="/3ds/static/acs.css"',
    ):
        assert text in html, text
    assert "<a " not in html  # state changes are POST buttons, never GET links


@pytest.mark.parametrize(
    ("message", "resends_left", "en_text", "alert"),
    [
        (None, 1, None, False),
        ("sent", 1, "Code sent.", False),
        ("resent", 1, "New code sent. Earlier codes no longer work.", False),
        ("wrong", 1, "Wrong code. 2 attempts left.", True),
        ("delivery_failed", 1, "We couldn't send the code. Please request a new one.", True),
        ("delivery_failed", 0, "We couldn't send the code.<", True),
        ("expired", 0, "The code has expired.<", True),
    ],
)
def test_status_messages(
    renderer: Renderer, message: str | None, resends_left: int, en_text: str | None, alert: bool
) -> None:
    html = renderer.otp_page(
        **otp_kwargs(language="en", message=message, resends_left=resends_left)
    ).html.replace("&#39;", "'")
    if en_text:
        assert en_text in html
    assert ('role="alert"' in html) is alert
    assert ('value="resend"' in html) is (resends_left > 0)
    # the attempts hint repeats what "wrong" already says, so only the other messages get it
    assert ("2 attempts left<" in html) is (message != "wrong")


def test_unknown_message_is_a_bug(renderer: Renderer) -> None:
    with pytest.raises(ValueError, match="unknown OTP message"):
        renderer.otp_page(**otp_kwargs(message="oops"))


def test_plurals_and_german(renderer: Renderer) -> None:
    one = renderer.otp_page(**otp_kwargs(language="de", attempts_left=1)).html
    assert "Falscher Code. Noch 1 Versuch." in one
    many = renderer.otp_page(**otp_kwargs(language="de", attempts_left=3, message=None)).html
    assert "Noch 3 Versuche" in many
    en = renderer.otp_page(**otp_kwargs(language="en", attempts_left=1, message="sent")).html
    assert "1 attempt left" in en


def test_unknown_channel_is_named(renderer: Renderer) -> None:
    html = renderer.otp_page(**otp_kwargs(language="en", channel="push")).html
    assert "(push)" in html


def test_window_sizes(renderer: Renderer) -> None:
    small = renderer.otp_page(**otp_kwargs(window_size="01")).html
    assert 'class="size-01 page-otp"' in small
    assert "demo-bank.svg" not in small  # no room for a logo at 250x400
    odd = renderer.otp_page(**otp_kwargs(window_size="07")).html
    assert 'class="size-05 page-otp"' in odd
    error = renderer.error_page(
        window_size=None, language="de", error_code="402", description="d", detail="x"
    ).html
    assert 'class="size-05 page-error"' in error
    assert "Diese Sitzung ist abgelaufen" in error


def test_error_page_shows_the_erro_fields(renderer: Renderer) -> None:
    html = renderer.error_page(
        window_size="02",
        language="de",
        error_code="203",
        description="Format of one or more Data Elements is Invalid according to the Specification",
        detail="challengeWindowSize",
    ).html
    assert '<html lang="de">' in html
    assert "Ihr Kauf konnte nicht bestätigt werden" in html
    for text in ("errorCode", "203", "errorDescription", "Format of one", "errorDetail"):
        assert text in html
    assert "<code>challengeWindowSize</code>" in html


# -- branding and colours ---------------------------------------------------------------------


@pytest.mark.parametrize("color", ["#1a4d8f", "#eb001b", "#ffcc00", "#777777", "#fff", "#000000"])
def test_brand_palette_keeps_aa_contrast(color: str) -> None:
    palette = render._palette(color)
    assert contrast(palette.brand, palette.ink) >= 4.5  # button and header text
    assert contrast(palette.text, "#ffffff") >= 4.5  # links and focus ring on white


def test_branding_is_validated() -> None:
    with pytest.raises(ValueError, match="primary_color"):
        Branding("Bank", "Visa", primary_color="red;}body{display:none")
    with pytest.raises(ValueError, match="issuer_logo"):
        Branding("Bank", "Visa", issuer_logo="http://bank.example/logo.png")
    with pytest.raises(ValueError, match="issuer_logo"):
        Branding("Bank", "Visa", issuer_logo="javascript:alert(1)")
    Branding("Bank", "Visa", primary_color="#ABC", issuer_logo="https://bank.example/l.svg")


def test_palette_lands_in_the_style_element(renderer: Renderer) -> None:
    branding = Branding("Bank", "Visa", primary_color="#FFCC00")
    html = renderer.otp_page(**otp_kwargs(branding=branding)).html
    palette = render._palette("#FFCC00")
    assert f"--brand:#ffcc00;--brand-ink:#000000;--brand-text:{palette.text}" in html


# -- catalogs and setup -----------------------------------------------------------------------


def test_catalogs_must_have_the_same_keys(tmp_path: Path) -> None:
    shutil.copytree(UI_ROOT, tmp_path / "ui")
    de = tmp_path / "ui" / "i18n" / "de.yaml"
    de.write_text(de.read_text("utf-8").replace("  cancel: Abbrechen\n", ""), "utf-8")
    with pytest.raises(ValueError, match=r"otp\.cancel"):
        Renderer(tmp_path / "ui")


def test_default_root_works_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert "<html" in Renderer().otp_page(**otp_kwargs()).html


def test_otp_page_renders_in_under_a_millisecond(renderer: Renderer) -> None:
    kwargs = otp_kwargs()
    renderer.otp_page(**kwargs)
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        renderer.otp_page(**kwargs)
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.001
