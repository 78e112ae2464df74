"""HTML for the browser challenge: the pages the ACS serves inside the merchant's iframe.

Templates live in ``challenge_ui/templates`` (Jinja2, autoescaped), the stylesheet in
``challenge_ui/static/acs.css`` (the caller serves that folder at ``static_prefix``) and the
texts in ``challenge_ui/i18n/<lang>.yaml``. Every page comes with its own security headers: a
strict CSP with a fresh nonce, and no X-Frame-Options because merchants frame these pages
cross-site (``frame-ancestors *`` instead).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from acs.challenge.methods.otp import otp_view
from acs.challenge.texts import Texts, format_amount, format_locale, negotiate_locale
from acs.challenge.view import InputKind, View
from acs.protocol import urls

WINDOW_SIZES = ("01", "02", "03", "04", "05")  # EMV challengeWindowSize
# Form fields the 3DS Method page posts to collect_url besides threeDSMethodData (none without JS).
METHOD_SIGNALS = (
    "screenWidth",
    "screenHeight",
    "colorDepth",
    "tzOffset",
    "language",
    "platform",
    "javascript",
)
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


# the page template for each kind of answer (the app's HTML UI has one template for all)
_TEMPLATE = {
    InputKind.TEXT: "otp",
    InputKind.SINGLE_SELECT: "select",
    InputKind.MULTI_SELECT: "select",
    InputKind.OOB: "oob",
}


@dataclass(frozen=True, slots=True)
class Branding:
    issuer_name: str
    scheme_name: str
    primary_color: str = "#1a4d8f"
    issuer_logo: str | None = None  # https:// or a same-origin path; the CSP allows no other

    def __post_init__(self) -> None:
        # A bad colour would be CSS injection and an http: logo is blocked by the CSP. The card
        # range refuses both where it is written (issuer.models); this is the last line.
        if not _HEX_COLOR.fullmatch(self.primary_color):
            raise ValueError(f"primary_color must be #rgb or #rrggbb, got {self.primary_color!r}")
        logo = self.issuer_logo
        if logo is not None and not urls.is_image_source(logo):
            raise ValueError(f"issuer_logo must be {urls.IMAGE_SOURCE_RULE}, got {logo!r}")


@dataclass(frozen=True, slots=True)
class Purchase:
    merchant_name: str
    amount_minor: str | None  # purchaseAmount: minor units, digits only
    currency_numeric: str | None  # purchaseCurrency: ISO 4217 numeric, e.g. "978"
    exponent: int | None  # purchaseExponent


@dataclass(frozen=True, slots=True)
class Page:
    html: str
    headers: dict[str, str]  # security headers plus Content-Type; pass both to the response


# -- colours ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Palette:
    brand: str  # header band and primary button background
    ink: str  # text on the brand colour (white or black, whichever contrasts more)
    text: str  # the brand colour as text/focus ring on white, darkened to reach 4.5:1


def _rgb(color: str) -> tuple[int, int, int]:
    digits = color[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rgb/#rrggbb colours (1.0-21.0)."""
    la, lb = sorted((_luminance(_rgb(a)), _luminance(_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@lru_cache(maxsize=64)
def _palette(color: str) -> _Palette:
    brand = "#" + "".join(f"{c:02x}" for c in _rgb(color))
    ink = "#ffffff" if contrast(brand, "#ffffff") >= contrast(brand, "#000000") else "#000000"
    r, g, b = _rgb(brand)
    text = brand
    for step in range(21):  # mix towards black until the colour reads as text on white (AA)
        f = 1 - step / 20
        text = f"#{round(r * f):02x}{round(g * f):02x}{round(b * f):02x}"
        if contrast(text, "#ffffff") >= 4.5:
            break
    return _Palette(brand=brand, ink=ink, text=text)


# -- security headers -------------------------------------------------------------------------


def _origin(url: str, what: str) -> str | None:
    """The origin to allow for a form target: None for same-origin paths, else scheme://host.

    Every URL from outside reaches here checked by the same rule (``acs.protocol.urls``)."""
    if urls.is_local_path(url):
        return None
    origin = urls.web_origin(url)
    if origin is None:
        raise ValueError(f"{what} must be {urls.WEB_URL_RULE} or a /path, got {url!r}")
    return origin


def _headers(
    nonce: str, *, script: bool, style: bool, static: str | None, forms: Iterable[str | None]
) -> dict[str, str]:
    styles = " ".join(filter(None, ("'self'", static, f"'nonce-{nonce}'" if style else None)))
    images = " ".join(filter(None, ("'self'", static, "https: data:")))
    targets = " ".join(dict.fromkeys(filter(None, ("'self'", *forms))))
    policy = [
        "default-src 'none'",
        f"style-src {styles}",
        f"img-src {images}",
        *([f"script-src 'nonce-{nonce}'"] if script else []),  # no script-src: none may run
        # Chrome also applies form-action to redirects: a notification URL that redirects to
        # another origin is blocked (the browser then reports the original URL as violating).
        f"form-action {targets}",
        "base-uri 'none'",
        "frame-ancestors *",  # merchants frame the challenge cross-site
    ]
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "; ".join(policy),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


# -- the renderer -----------------------------------------------------------------------------


class Renderer:
    """Renders challenge pages; templates and texts are loaded once, at construction."""

    def __init__(
        self, root: Path = Path("challenge_ui"), static_prefix: str = "/3ds/static"
    ) -> None:
        if not root.is_absolute() and not root.exists():
            root = _PROJECT_ROOT / root  # so the default works from any working directory
        self.static_prefix = static_prefix.rstrip("/")
        self._static_origin = (
            _origin(self.static_prefix, "static_prefix") if self.static_prefix else None
        )
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(root / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self._templates = {
            kind: env.get_template(f"{kind}.html")
            for kind in (
                *("otp", "select", "oob", "app", "final", "error"),
                *("method", "method_done", "inbox"),
            )
        }
        self._css = (root / "static" / "acs.css").read_text("utf-8")  # inlined in app HTML
        self.texts = Texts(root / "i18n")

    def step_page(
        self,
        view: View,
        *,
        window_size: str,
        language: str | None,
        branding: Branding,
        purchase: Purchase,
        pan_masked: str,
        form_action: str,
        token: str,
        refresh: tuple[int, str] | None = None,
    ) -> Page:
        """A challenge step as a page: the purchase, the card and the view's question.
        ``refresh``: (seconds, URL) for a page that reloads itself while it waits."""
        size = _size(window_size)
        nonce = secrets.token_urlsafe(16)
        html = self._templates[_TEMPLATE[view.kind]].render(
            **self._step(view, language, branding, purchase, pan_masked),
            size=size,
            nonce=nonce,
            static_prefix=self.static_prefix,
            logo=branding.issuer_logo if size != "01" else None,  # no room at 250x400
            form_action=form_action,
            token=token,
            refresh=refresh,
        )
        headers = _headers(
            nonce,
            script=False,
            style=True,
            static=self._static_origin,
            forms=[_origin(form_action, "form_action")],
        )
        return Page(html, headers)

    def app_html(
        self,
        view: View,
        *,
        language: str | None,
        branding: Branding,
        purchase: Purchase,
        pan_masked: str,
    ) -> str:
        """A challenge step as the app channel's HTML UI (acsHTML); see templates/app.html.
        No logo: the SDK's web view loads nothing from the network."""
        return self._templates["app"].render(
            **self._step(view, language, branding, purchase, pan_masked), css=self._css, logo=None
        )

    def _step(
        self,
        view: View,
        language: str | None,
        branding: Branding,
        purchase: Purchase,
        pan_masked: str,
    ) -> dict[str, Any]:
        """What every rendering of a step shows: the view, the brand and the purchase."""
        lang = negotiate_locale(language)
        return {
            "lang": lang,
            "t": self.texts[lang],
            "view": view,
            "colors": _palette(branding.primary_color),
            "branding": branding,
            "merchant_name": purchase.merchant_name,
            "amount": format_amount(
                purchase.amount_minor,
                purchase.currency_numeric,
                purchase.exponent,
                format_locale(language, lang),
            ),
            "pan_masked": pan_masked,
        }

    def otp_page(
        self,
        *,
        channel: str,
        destination_masked: str,
        attempts_left: int,
        resends_left: int,
        message: str | None,
        code_length: int,
        **page: Any,
    ) -> Page:
        """The code-entry page from the OTP method's figures (see ``step_page``)."""
        view = otp_view(
            self.texts[negotiate_locale(page.get("language"))],
            channel=channel,
            destination_masked=destination_masked,
            attempts_left=attempts_left,
            resends_left=resends_left,
            message=message,
            code_length=code_length,
        )
        return self.step_page(view, **page)

    def final_page(
        self,
        *,
        window_size: str,
        language: str | None,
        notification_url: str,
        cres: str,
        session_data: str | None,
    ) -> Page:
        lang = negotiate_locale(language)
        target = _origin(notification_url, "notification_url")
        nonce = secrets.token_urlsafe(16)
        html = self._templates["final"].render(
            lang=lang,
            t=self.texts[lang],
            size=_size(window_size),
            nonce=nonce,
            static_prefix=self.static_prefix,
            notification_url=notification_url,
            cres=cres,
            session_data=session_data,
        )
        headers = _headers(
            nonce, script=True, style=False, static=self._static_origin, forms=[target]
        )
        return Page(html, headers)

    def error_page(
        self,
        *,
        window_size: str | None,
        language: str | None,
        error_code: str,
        description: str,
        detail: str,
    ) -> Page:
        lang = negotiate_locale(language)
        t = self.texts[lang]
        explain_key = f"error.explain_{error_code}"
        html = self._templates["error"].render(
            lang=lang,
            t=t,
            size=_size(window_size),
            static_prefix=self.static_prefix,
            explanation=t(explain_key if explain_key in t else "error.explain"),
            error_code=error_code,
            description=description,
            detail=detail,
        )
        headers = _headers("", script=False, style=False, static=self._static_origin, forms=[])
        return Page(html, headers)

    def inbox_page(
        self,
        *,
        language: str | None,
        branding: Branding,
        purchase: Purchase,
        pan_masked: str,
        form_action: str | None,
        outcome: str | None = None,
        return_url: str | None = None,
    ) -> Page:
        """The simulated banking app's approval screen for one push (``form_action`` None: the
        request no longer waits; ``outcome``: approved or denied, just now)."""
        t = self.texts[negotiate_locale(language)]
        waiting = form_action is not None and outcome is None
        view = View(
            kind=InputKind.OOB,
            header=t("oob.inbox.title"),
            info=t("oob.inbox.question") if waiting else "",
            label="",
            submit_label=t("oob.inbox.approve"),
            cancel_label=t("oob.inbox.deny"),
        )
        nonce = secrets.token_urlsafe(16)
        html = self._templates["inbox"].render(
            **self._step(view, language, branding, purchase, pan_masked),
            size="05",
            nonce=nonce,
            static_prefix=self.static_prefix,
            logo=branding.issuer_logo,
            form_action=form_action,
            outcome=outcome,
            return_url=return_url,
        )
        forms = [_origin(form_action, "form_action")] if form_action else []
        headers = _headers(nonce, script=False, style=True, static=self._static_origin, forms=forms)
        return Page(html, headers)

    def method_page(self, *, collect_url: str, method_data: str) -> Page:
        target = _origin(collect_url, "collect_url")
        nonce = secrets.token_urlsafe(16)
        html = self._templates["method"].render(
            nonce=nonce, collect_url=collect_url, method_data=method_data
        )
        return Page(html, _headers(nonce, script=True, style=False, static=None, forms=[target]))

    def method_done_page(self, *, notification_url: str, method_data: str) -> Page:
        target = _origin(notification_url, "notification_url")
        nonce = secrets.token_urlsafe(16)
        html = self._templates["method_done"].render(
            nonce=nonce, notification_url=notification_url, method_data=method_data
        )
        return Page(html, _headers(nonce, script=True, style=False, static=None, forms=[target]))


def _size(window_size: str | None) -> str:
    """The layout class; an unknown or missing size gets the fluid full-screen layout."""
    return window_size if window_size in WINDOW_SIZES else "05"
