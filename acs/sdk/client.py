"""The built-in SDK over HTTP: send the app AReq (as the 3DS Server and DS would), check the
ARes, then exchange JWE CReqs and CRes with the acsURL, one cardholder action at a time.

``answer`` reads a cardholder's answer the way a person would give it for the screen showing:
the code or passcode for a text UI (01), option names for a select (02, comma-separated for a
multi select, 03), ``continue`` for an out-of-band screen (04), and for the HTML UI (05) the
same, typed into or ticked on its form. ``cancel`` and ``resend`` work on any screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from acs.sdk.errors import SdkCheckError
from acs.sdk.htmlform import parse_forms, parse_page
from acs.sdk.jose import b64url_decode
from acs.sdk.session import CHALLENGE_URL, SdkSession

AREQ_PATH = "/3ds/areq"
JOSE = "application/jose; charset=UTF-8"
TIMEOUT = aiohttp.ClientTimeout(total=30)


class TransportError(Exception):
    """The ACS could not be reached, or answered something that is no EMV message."""


async def post_json(
    http: aiohttp.ClientSession, url: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """POST a JSON message; the JSON object that comes back (an ARes or an Erro)."""
    try:
        async with http.post(url, json=body, timeout=TIMEOUT) as resp:
            text = await resp.text()
            try:
                answer = await resp.json(content_type=None)
            except ValueError:
                answer = None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise TransportError(f"POST {url}: {type(exc).__name__} {exc}".strip()) from exc
    if not isinstance(answer, dict):
        raise TransportError(f"POST {url}: HTTP {resp.status}, not a JSON object: {text[:200]!r}")
    return answer


@dataclass(slots=True)
class AppChallenge:
    """One app challenge: the SDK's state plus the transport; ``screens`` every CRes received."""

    http: aiohttp.ClientSession
    sdk: SdkSession
    screens: list[dict[str, Any]] = field(default_factory=list)

    @property
    def screen(self) -> dict[str, Any] | None:
        """The interim CRes on screen; None before the first and after the final CRes."""
        return self.sdk.ui

    @property
    def final(self) -> dict[str, Any] | None:
        return self.sdk.final

    async def send(self, creq: bytes) -> dict[str, Any]:
        """POST a JWE CReq to the acsURL and check the CRes (an Erro raises ErroReceived)."""
        url = self.sdk.acs_url
        if url is None:
            raise RuntimeError("no ARes accepted yet")
        try:
            async with self.http.post(
                url, data=creq, headers={"Content-Type": JOSE}, timeout=TIMEOUT
            ) as resp:
                body = await resp.read()
                content_type = resp.headers.get("Content-Type")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransportError(f"POST {url}: {type(exc).__name__} {exc}".strip()) from exc
        cres = self.sdk.cres(body, content_type)
        self.screens.append(cres)
        return cres

    async def start(self) -> dict[str, Any]:
        return await self.send(self.sdk.start())

    async def answer(self, value: str) -> dict[str, Any]:
        """The cardholder's answer to the screen showing (see the module docstring)."""
        ui = self._ui()
        kind = ui["acsUiType"]
        if value == "cancel":
            return await self.send(self.sdk.cancel())
        if value == "resend":
            return await self.send(self.sdk.resend())
        if kind == "01":
            return await self.send(self.sdk.enter_text(value))
        if kind in ("02", "03"):
            chosen = [v.strip() for v in value.split(",") if v.strip()]
            return await self.send(self.sdk.choose(chosen))
        if kind == "04":
            if value != "continue":
                raise ValueError(
                    f"the out-of-band screen (acsUiType 04) takes 'continue', not {value!r}"
                )
            return await self.send(self.sdk.oob_continue())
        return await self.send(self._html_answer(value))

    async def cancel(self) -> dict[str, Any]:
        self._ui()
        return await self.send(self.sdk.cancel())

    async def resend(self) -> dict[str, Any]:
        self._ui()
        return await self.send(self.sdk.resend())

    def _ui(self) -> dict[str, Any]:
        if self.sdk.ui is None:
            raise ValueError("no challenge screen is showing (the challenge has ended)")
        return self.sdk.ui

    def _html_answer(self, value: str) -> bytes:
        """The HTML UI's form: a text field gets ``value``, checkables are ticked by value,
        and an out-of-band page's 'continue' presses its button."""
        forms = [
            f
            for f in parse_forms(self.sdk.html or "")
            if f.action.lower().startswith(CHALLENGE_URL)
        ]
        if not forms:
            raise SdkCheckError(f"acsHTML has no form whose action is {CHALLENGE_URL}")
        form = forms[0]
        if form.text_inputs:
            return self.sdk.html_submit({form.text_inputs[0]: value})
        if form.checkables:
            return self.sdk.html_submit(tick=[v.strip() for v in value.split(",") if v.strip()])
        return self.sdk.html_submit(button=value)


def describe(cres: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A CRes screen as (label, text) lines for a person: what it shows and what it asks."""
    if cres.get("challengeCompletionInd") == "Y":
        return [("transStatus", str(cres.get("transStatus")))]
    lines = [("acsUiType", str(cres.get("acsUiType")))]
    for name in (
        "challengeInfoHeader",
        "challengeInfoText",
        "challengeInfoLabel",
        "submitAuthenticationLabel",
        "oobContinueLabel",
        "resendInformationLabel",
    ):
        if cres.get(name):
            lines.append((name, str(cres[name])))
    for option in cres.get("challengeSelectInfo") or []:
        for name, label in option.items():
            lines.append(("option", f"{name}: {label}"))
    if cres.get("acsHTML"):
        try:
            page = b64url_decode(str(cres["acsHTML"])).decode("utf-8")
        except ValueError:
            page = ""
        lines.append(("acsHTML", " ".join(parse_page(page).text) or "(no text)"))
        forms = parse_forms(page)
        for value, label in (forms[0].labels if forms else {}).items():
            lines.append(("option", f"{value}: {label}"))
    return lines
