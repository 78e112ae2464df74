"""The browser challenge over plain HTTP, as the cardholder's browser drives it (no Chromium):
post the ``creq`` form to the acsURL, read each page's form, fill it in and submit it, follow a
waiting page's refresh, until the final page that posts ``cres`` to the notificationURL.

Each page is read as the CRes an app would have had, so one scenario's expectations fit both
channels: a code entry is acsUiType 01, a single select 02, a multi select 03 (options in
challengeSelectInfo), an out-of-band wait 04; challengeInfoText holds the page's visible text.
The final page gives the final CRes itself; an error page gives its Erro fields.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from acs.sdk.htmlform import Form, FormParser, parse_page, submission

TIMEOUT = aiohttp.ClientTimeout(total=30)
_REFRESH = re.compile(
    r'<meta\s+http-equiv="refresh"\s+content="(\d+);\s*url=([^"]+)"', re.IGNORECASE
)
_ERRO_FIELDS = ("errorCode", "errorDescription", "errorDetail")


class BrowserError(Exception):
    """The page the ACS answered cannot be used as a browser would; the message says why."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


@dataclass(slots=True)
class BrowserChallenge:
    http: aiohttp.ClientSession
    ares: Mapping[str, Any]
    notification_url: str
    window_size: str = "05"
    session_data: str | None = None
    screen: dict[str, Any] = field(default_factory=dict)  # the page on show, as a CRes
    final: dict[str, Any] | None = None  # the final CRes, once the final page came
    page: str = ""
    _form: Form | None = None
    _refresh: str | None = None

    @property
    def text(self) -> str:
        return str(self.screen.get("challengeInfoText", ""))

    async def open(self) -> dict[str, Any]:
        """The CReq form post to the acsURL."""
        acs_url = self.ares.get("acsURL")
        if not isinstance(acs_url, str):
            raise BrowserError("the ARes has no acsURL to post the CReq to")
        creq = {
            "threeDSServerTransID": self.ares.get("threeDSServerTransID"),
            "acsTransID": self.ares.get("acsTransID"),
            "messageType": "CReq",
            "messageVersion": self.ares.get("messageVersion"),
            "challengeWindowSize": self.window_size,
        }
        data = {"creq": b64url(json.dumps(creq).encode())}
        if self.session_data is not None:
            data["threeDSSessionData"] = self.session_data
        return await self._load("POST", acs_url, data)

    async def act(
        self, *, text: str | None = None, tick: Sequence[str] = (), button: str = "submit"
    ) -> dict[str, Any]:
        """Fill in the page's form (``text`` into its entry field, ``tick`` its options) and
        press ``button`` (submit, resend, cancel or continue)."""
        form = self.form()
        data = None
        if text is not None:
            if not form.text_inputs:
                raise BrowserError(
                    f"this page (acsUiType {self.screen.get('acsUiType')}) has no field to type in"
                )
            data = {form.text_inputs[0]: text}
        try:
            pairs = submission(form, data, tick=tick, button=button)
        except ValueError as exc:
            raise BrowserError(str(exc)) from exc
        return await self._load("POST", form.action, pairs)

    async def wait(self) -> dict[str, Any]:
        """A waiting page's reload (its meta refresh), at once."""
        if self._refresh is None:
            raise BrowserError("this page does not reload itself (no meta refresh)")
        return await self._load("GET", self._refresh, None)

    @property
    def refreshes(self) -> bool:
        return self._refresh is not None

    def has_button(self, value: str) -> bool:
        return any(v == value for _, v in self.form().buttons)

    def options(self) -> dict[str, str]:
        """The select page's options: value -> label."""
        return dict(self.form().labels)

    def form(self) -> Form:
        """The challenge form on show; BrowserError when there is none."""
        if self.final is not None:
            raise BrowserError("the challenge has ended: the final page is showing")
        if self._form is None:
            raise BrowserError(f"no challenge form on this page: {self.text[:200]!r}")
        return self._form

    async def _load(self, method: str, url: str, data: Any) -> dict[str, Any]:
        try:
            async with self.http.request(method, url, data=data, timeout=TIMEOUT) as resp:
                self.page = await resp.text()
                content_type = resp.headers.get("Content-Type", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BrowserError(f"{method} {url}: {type(exc).__name__} {exc}".strip()) from exc
        if "html" not in content_type:
            raise BrowserError(f"{method} {url} answered {content_type!r}, not a page")
        self.screen = self._read(parse_page(self.page))
        return self.screen

    def _read(self, page: FormParser) -> dict[str, Any]:
        ids = {
            name: self.ares.get(name)
            for name in ("messageVersion", "threeDSServerTransID", "acsTransID")
        }
        text = " ".join(page.text)
        m = _REFRESH.search(self.page)
        self._refresh = html.unescape(m.group(2)) if m else None
        self._form = None
        for form in page.forms:
            fields = dict((name, value) for name, value in form.fields)
            if "cres" in fields:
                self.final = self._final(form, fields)
                return self.final
            if "token" in fields:
                self._form = form
        if self._form is None:
            if all(name in page.text for name in _ERRO_FIELDS):
                after = {page.text[i]: page.text[i + 1] for i in range(len(page.text) - 1)}
                return {"messageType": "Erro", **ids, **{n: after[n] for n in _ERRO_FIELDS}}
            raise BrowserError(f"a page with neither a challenge form nor a CRes: {text[:200]!r}")
        form = self._form
        screen: dict[str, Any] = {
            "messageType": "CRes",
            **ids,
            "challengeCompletionInd": "N",
            "challengeInfoText": text,
        }
        if form.text_inputs:
            screen["acsUiType"] = "01"
        elif form.checkables:
            screen["acsUiType"] = "03" if form.multiple else "02"
            screen["challengeSelectInfo"] = [{v: label} for v, label in form.labels.items()]
        else:
            screen["acsUiType"] = "04"
        if any(value == "resend" for _, value in form.buttons):
            screen["resendInformationLabel"] = "resend"
        return screen

    def _final(self, form: Form, fields: Mapping[str, str]) -> dict[str, Any]:
        """The final CRes, after the checks a 3DS Server's notification endpoint makes."""
        if form.action != self.notification_url:
            raise BrowserError(
                f"the final page posts to {form.action!r}, not the AReq's notificationURL "
                f"{self.notification_url!r}"
            )
        if fields.get("threeDSSessionData") != self.session_data:
            raise BrowserError(
                f"threeDSSessionData came back as {fields.get('threeDSSessionData')!r}, "
                f"not {self.session_data!r} as posted"
            )
        try:
            cres = b64url_json(fields["cres"])
        except ValueError as exc:
            raise BrowserError(f"cres is not base64url JSON: {fields['cres'][:80]!r}") from exc
        if not isinstance(cres, dict):
            raise BrowserError("cres is not a JSON object")
        return cres


async def run_method(
    http: aiohttp.ClientSession, method_url: str, three_ds_server_trans_id: str
) -> dict[str, Any]:
    """The 3DS Method in the requestor's hidden iframe: post threeDSMethodData, let the page
    post its signals (what its script would add), and read what the last page posts back to
    threeDSMethodNotificationURL; it must name the same threeDSServerTransID."""
    notify = "https://shop.example.com/3ds/method-notify"
    data = {
        "threeDSServerTransID": three_ds_server_trans_id,
        "threeDSMethodNotificationURL": notify,
    }
    signals = {"javascript": "true", "screenWidth": "1920", "screenHeight": "1080",
               "colorDepth": "24", "tzOffset": "0", "language": "en-GB"}  # fmt: skip
    page = ""
    try:
        async with http.post(
            method_url, data={"threeDSMethodData": b64url(json.dumps(data).encode())}
        ) as resp:
            page = await resp.text()
            forms = parse_page(page).forms
            if resp.status != 200 or not forms:
                raise BrowserError(f"the method URL answered HTTP {resp.status}: {page[:200]!r}")
        async with http.post(forms[0].action, data=[*submission(forms[0]), *signals.items()]) as r:
            page = await r.text()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise BrowserError(f"3DS Method: {type(exc).__name__} {exc}") from exc
    forms = parse_page(page).forms
    done = [f for f in forms if f.action == notify]
    if not done:
        raise BrowserError(f"the method's last page does not post to {notify}: {page[:200]!r}")
    answer = b64url_json(dict((n, v) for n, v in done[0].fields).get("threeDSMethodData", ""))
    if (
        not isinstance(answer, dict)
        or answer.get("threeDSServerTransID") != three_ds_server_trans_id
    ):
        raise BrowserError(f"the method notification names another transaction: {answer!r}")
    return answer
