"""Run one scenario's steps against a target: the AReq, the 3DS Method, the browser challenge
(``browser.py``) or the app challenge (the built-in SDK, ``acs.sdk``), the QA and issuer APIs,
and the expectations after each step. A step that fails ends its scenario with a message
naming the step and what differed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pyotp

from acs.scenario.browser import BrowserChallenge, BrowserError, run_method
from acs.scenario.expect import failures
from acs.scenario.model import Channel, Labels, Scenario, ScenarioStep
from acs.scenario.target import Target, TargetError
from acs.sdk.areq import APP, BROWSER, NOTIFICATION_URL, purchase_areq
from acs.sdk.client import AREQ_PATH, AppChallenge, TransportError, post_json
from acs.sdk.errors import ErroReceived, SdkCheckError
from acs.sdk.htmlform import parse_forms, parse_page
from acs.sdk.jose import b64url_decode
from acs.sdk.session import SdkSession

METHOD_PATH = "/3ds/method"
TOTP_STEP_SECONDS = 30
RREQ_WAIT_SECONDS = 15.0  # how long an rreq step waits for the RReq to arrive
_POLL = 0.1


class StepFailed(Exception):
    """A step did not do what the scenario says; the message says what happened instead."""


@dataclass(slots=True)
class Result:
    name: str
    file: str
    channel: str
    status: str  # passed | failed | invalid (the file cannot run)
    seconds: float = 0.0
    step: str | None = None  # the step that failed
    message: str | None = None
    acs_trans_id: str | None = None
    log: list[str] = field(default_factory=list)  # one line per step run

    @property
    def ok(self) -> bool:
        return self.status == "passed"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "channel": self.channel,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "step": self.step,
            "message": self.message,
            "acsTransID": self.acs_trans_id,
            "log": self.log,
        }


def _override(message: dict[str, Any], fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        if value is None:
            message.pop(name, None)
        else:
            message[name] = value


def _is_erro(message: Mapping[str, Any] | None) -> bool:
    return bool(message) and message.get("messageType") == "Erro"  # type: ignore[union-attr]


def _expects_erro(step: ScenarioStep) -> bool:
    return any(c.path in ("messageType", "errorCode") for c in step.checks)


class Run:
    """One scenario's state as its steps go."""

    def __init__(self, target: Target, scenario: Scenario) -> None:
        self.target, self.scenario = target, scenario
        spec = scenario.spec
        channel = APP if spec.channel is Channel.APP else BROWSER
        self.areq = purchase_areq(
            scenario.acct_number,
            version=spec.messageVersion.value,
            channel=channel,
            ds_url=target.ds_url,
        )
        self.sdk: SdkSession | None = None
        if spec.channel is Channel.APP:
            self.sdk = SdkSession(
                message_version=spec.messageVersion.value,
                enc=spec.sdk.enc.value,
                sdk_interface=spec.sdk.sdkInterface.value,
                sdk_ui_types=[t.value for t in spec.sdk.sdkUiType],
            )
            self.areq = self.sdk.areq(self.areq)
        _override(self.areq, scenario.areq)
        self.ares: dict[str, Any] | None = None
        self.browser: BrowserChallenge | None = None
        self.app: AppChallenge | None = None
        self.screen: dict[str, Any] | None = None
        self.rreq: dict[str, Any] | None = None

    @property
    def acs_trans_id(self) -> str:
        if not self.ares or not isinstance(self.ares.get("acsTransID"), str):
            raise StepFailed("no acsTransID yet: send the AReq first (`- areq: {}`)")
        return str(self.ares["acsTransID"])

    @property
    def final(self) -> dict[str, Any] | None:
        if self.browser is not None:
            return self.browser.final
        return self.app.final if self.app is not None else None

    # -- steps ------------------------------------------------------------------------------

    async def step(self, s: ScenarioStep) -> str:
        """Run one step; returns what it read, for the log line."""
        handler = getattr(self, f"do_{s.action}")
        answer: dict[str, Any] | None = await handler(s)
        if answer is not None:
            if _is_erro(answer) and not _expects_erro(s):
                raise StepFailed(
                    f"the ACS answered Erro {answer.get('errorCode')}: "
                    f"{answer.get('errorDetail') or answer.get('errorDescription')}"
                )
            if problems := failures(s.checks, answer):
                raise StepFailed("; ".join(problems))
        return _summary(answer)

    async def do_areq(self, s: ScenarioStep) -> dict[str, Any]:
        _override(self.areq, s.step.areq or {})
        if self.sdk is not None:  # the SDK checks the ARes against what was sent
            self.sdk.message_version = self.areq.get("messageVersion", self.sdk.message_version)
            self.sdk.three_ds_server_trans_id = self.areq.get("threeDSServerTransID")
        self.ares = await post_json(self.target.http, self.target.base_url + AREQ_PATH, self.areq)
        if self.sdk is not None and self.ares.get("transStatus") == "C":
            if self.target.root_pem is None:
                raise StepFailed("app scenarios need the ACS's root certificate: pass --root")
            self.sdk.accept_ares(self.ares, self.target.root_pem)
        return self.ares

    async def do_method(self, s: ScenarioStep) -> None:
        if self.ares is not None:
            raise StepFailed("the 3DS Method runs before the AReq: move this step up")
        await run_method(
            self.target.http, self.target.base_url + METHOD_PATH, self.areq["threeDSServerTransID"]
        )
        self.areq["threeDSCompInd"] = "Y"

    def _challenge_ares(self) -> dict[str, Any]:
        if self.ares is None or self.ares.get("transStatus") != "C":
            status = self.ares.get("transStatus") if self.ares else "no ARes yet"
            raise StepFailed(f"no challenge to open (ARes transStatus {status}): expect C first")
        return self.ares

    async def do_challenge(self, s: ScenarioStep) -> dict[str, Any]:
        ares = self._challenge_ares()
        opts = s.step.challenge
        assert opts is not None
        if self.sdk is not None:
            self.app = AppChallenge(self.target.http, self.sdk)
            return await self._app(self.app.start())
        self.browser = BrowserChallenge(
            self.target.http,
            ares,
            notification_url=str(self.areq.get("notificationURL", NOTIFICATION_URL)),
            window_size=opts.windowSize.value,
            session_data=opts.sessionData,
        )
        self.screen = await self.browser.open()
        return self.screen

    async def _app(self, pending: Any) -> dict[str, Any]:
        try:
            self.screen = await pending
        except ErroReceived as exc:
            self.screen = exc.erro
        return self.screen

    def _open(self) -> BrowserChallenge | AppChallenge:
        if self.browser is None and self.app is None:
            raise StepFailed("no challenge is open: add `- challenge` after the areq step")
        if self.final is not None:
            raise StepFailed(
                f"the challenge has ended (transStatus {self.final.get('transStatus')})"
            )
        if _is_erro(self.screen):
            raise StepFailed("the challenge ended with an Erro; nothing to answer")
        return self.browser or self.app  # type: ignore[return-value]

    async def _text(self, value: str) -> dict[str, Any]:
        ui = self._open()
        if isinstance(ui, AppChallenge):
            return await self._app(ui.answer(value))
        self.screen = await ui.act(text=value)
        return self.screen

    async def do_enter(self, s: ScenarioStep) -> dict[str, Any]:
        assert s.step.enter is not None
        return await self._text(await self._resolve(s.step.enter))

    async def _resolve(self, value: str) -> str:
        """A literal code, or outbox / issuer-otp / totp:SECRET."""
        if value == "outbox":
            entries = await self.target.get(f"/qa/outbox?acsTransID={self.acs_trans_id}")
            codes = [e["code"] for e in entries if isinstance(e, dict) and e.get("code")]
            if not codes:
                raise StepFailed("the outbox holds no code for this transaction")
            return str(codes[-1])
        if value == "issuer-otp":
            status, data = await self.target.request("GET", f"/issuer-sim/otp/{self.acs_trans_id}")
            if status != 200 or not isinstance(data, dict):
                raise StepFailed(f"GET /issuer-sim/otp/{self.acs_trans_id}: HTTP {status}: {data}")
            return str(data["code"])
        if value.startswith("totp:"):
            return await self._totp(value.removeprefix("totp:"))
        return value

    async def _totp(self, secret: str) -> str:
        """This time step's code, or the next or the last one (the ACS allows a step of clock
        drift) when an earlier scenario spent it: each step's code is good once. All three
        spent, it waits for the next step."""
        totp = pyotp.TOTP(secret)
        while True:
            now = int(time.time()) // TOTP_STEP_SECONDS
            for step in (now, now + 1, now - 1):
                if (secret, step) not in self.target.spent_totp:
                    self.target.spent_totp.add((secret, step))
                    return str(totp.at(step * TOTP_STEP_SECONDS))
            await asyncio.sleep((now + 1) * TOTP_STEP_SECONDS - time.time() + 0.1)

    def _screen_text(self) -> str:
        screen = self.screen or {}
        parts = [str(screen.get(n) or "") for n in ("challengeInfoHeader", "challengeInfoLabel",
                                                    "challengeInfoText")]  # fmt: skip
        if screen.get("acsHTML"):
            html = b64url_decode(str(screen["acsHTML"])).decode("utf-8", "replace")
            parts += parse_page(html).text
        return " ".join(parts).casefold()

    async def do_answer(self, s: ScenarioStep) -> dict[str, Any]:
        assert s.step.answer is not None
        self._open()
        text = self._screen_text()
        chosen = [answer for key, answer in s.step.answer.items() if key.casefold() in text]
        if len(chosen) != 1:
            keys = ", ".join(s.step.answer)
            raise StepFailed(
                f"the question on screen matches {len(chosen)} of {keys}: {text!r:.200}"
            )
        return await self._text(chosen[0])

    def _options(self) -> dict[str, str]:
        screen = self.screen or {}
        if isinstance(self._open(), BrowserChallenge) or not screen.get("acsHTML"):
            return {k: v for o in screen.get("challengeSelectInfo") or [] for k, v in o.items()}
        html = b64url_decode(str(screen["acsHTML"])).decode("utf-8", "replace")
        forms = parse_forms(html)
        return dict(forms[0].labels) if forms else {}

    async def do_select(self, s: ScenarioStep) -> dict[str, Any]:
        wanted = s.step.select
        options = self._options()
        if isinstance(wanted, Labels):
            words = [w.casefold() for w in wanted.labels]
            values = [
                v for v, label in options.items() if any(w in label.casefold() for w in words)
            ]
            if not values:
                raise StepFailed(f"no option's label holds any of {wanted.labels}: {options}")
        else:
            values = [wanted] if isinstance(wanted, str) else list(wanted or [])
            if unknown := [v for v in values if v not in options]:
                raise StepFailed(f"options {unknown} are not on screen; it offers {options}")
        ui = self._open()
        if isinstance(ui, AppChallenge):
            return await self._app(ui.answer(",".join(values)))
        self.screen = await ui.act(tick=values)
        return self.screen

    async def do_oob(self, s: ScenarioStep) -> None:
        assert s.step.oob is not None
        path = f"/issuer/oob/{self.acs_trans_id}"
        status, data = await self.target.request("POST", path, {"decision": s.step.oob.value})
        if status != 200:
            raise StepFailed(f"POST {path}: HTTP {status}: {data}")

    async def do_complete(self, s: ScenarioStep) -> None:
        path = f"/qa/transactions/{self.acs_trans_id}/complete"
        status, data = await self.target.request("POST", path, s.step.complete or {})
        if status != 200:
            raise StepFailed(f"POST {path}: HTTP {status}: {data}")

    async def do_continue(self, s: ScenarioStep) -> dict[str, Any]:
        opts = s.step.continue_
        deadline = time.monotonic() + (opts.within if opts and opts.within else 0)
        before = self.screen
        while True:
            ui = self._open()
            if isinstance(ui, AppChallenge):  # oobContinue, else a CReq with no entry
                kind = (self.screen or {}).get("acsUiType")
                creq = ui.sdk.creq(challengeNoEntry="Y") if kind != "04" else None
                screen = await self._app(ui.answer("continue") if creq is None else ui.send(creq))
            elif ui.has_button("continue"):
                screen = self.screen = await ui.act(button="continue")
            else:  # a page that reloads itself, else its form sent as it is
                screen = self.screen = await (ui.wait() if ui.refreshes else ui.act())
            changed = _shape(screen) != _shape(before)
            if changed or time.monotonic() >= deadline or self.final is not None:
                return screen
            await asyncio.sleep(0.2)

    async def do_resend(self, s: ScenarioStep) -> dict[str, Any]:
        ui = self._open()
        if isinstance(ui, AppChallenge):
            return await self._app(ui.resend())
        self.screen = await ui.act(button="resend")
        return self.screen

    async def do_cancel(self, s: ScenarioStep) -> dict[str, Any]:
        ui = self._open()
        if isinstance(ui, AppChallenge):
            reason = s.step.cancel.reason.value if s.step.cancel else "01"
            return await self._app(ui.send(ui.sdk.cancel(reason)))
        self.screen = await ui.act(button="cancel")
        return self.screen

    async def do_timeout(self, s: ScenarioStep) -> dict[str, Any]:
        assert s.step.timeout is not None
        return await self._wait_rreq(s.step.timeout.within)

    async def do_reset(self, s: ScenarioStep) -> None:
        await reset_card(self.target, self.scenario.acct_number)

    async def do_outbox(self, s: ScenarioStep) -> dict[str, Any]:
        entries = await self.target.get(f"/qa/outbox?acsTransID={self.acs_trans_id}")
        if not entries:
            raise StepFailed("the outbox holds nothing for this transaction")
        entry: dict[str, Any] = entries[-1]
        return entry

    async def do_final(self, s: ScenarioStep) -> dict[str, Any]:
        if self.final is None:
            shown = (self.screen or {}).get("acsUiType", "none")
            raise StepFailed(f"no final CRes: the challenge still shows acsUiType {shown}")
        return self.final

    async def do_rreq(self, s: ScenarioStep) -> dict[str, Any]:
        return await self._wait_rreq(RREQ_WAIT_SECONDS)

    async def do_record(self, s: ScenarioStep) -> dict[str, Any]:
        record: dict[str, Any] = await self.target.get(f"/qa/transactions/{self.acs_trans_id}")
        return record

    async def _wait_rreq(self, seconds: float) -> dict[str, Any]:
        """The RReq as the stub DS received it, else as the transaction record keeps it (an
        ACS that cannot reach the stub still records what it sent)."""
        if self.rreq is not None:
            return self.rreq
        acs_trans_id = self.acs_trans_id
        deadline = time.monotonic() + seconds
        while True:
            got = await self.target.ds.wait(acs_trans_id, min(1.0, seconds))
            if got is None:
                record = await self.target.get(f"/qa/transactions/{acs_trans_id}")
                got = ((record.get("challenge") or {}).get("rreq") or {}).get("sent")
            if got is not None:
                self.rreq = got
                return got
            if time.monotonic() >= deadline:
                raise StepFailed(f"no RReq within {seconds:g} s")
            await asyncio.sleep(_POLL)


def _shape(screen: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """What makes a screen another one: its kind, completion and text."""
    s = screen or {}
    return (s.get("acsUiType"), s.get("challengeCompletionInd"), s.get("messageType"))


def _summary(answer: Mapping[str, Any] | None) -> str:
    if not answer:
        return "done"
    for name in ("transStatus", "acsUiType", "errorCode", "code", "status"):
        if name in answer:
            return f"{name} {answer[name]}"
    return "done"


async def reset_card(target: Target, acct_number: str) -> None:
    """Forget the card's counters and remembered payments (DELETE /qa/cards/{acctNumber}/state)."""
    path = f"/qa/cards/{quote(acct_number)}/state"
    status, data = await target.request("DELETE", path)
    if status in (401, 403):
        raise StepFailed(f"DELETE {path}: HTTP {status}: set ACS_QA_TOKEN (or reset: false)")
    if status not in (200, 404, 405):  # an ACS without the route has nothing to reset
        raise StepFailed(f"DELETE {path}: HTTP {status}: {data}")


_FAILURES = (StepFailed, SdkCheckError, BrowserError, TransportError, ErroReceived, ValueError)


async def _failing(run: Run, s: ScenarioStep) -> str:
    """A step that must fail (``fails: text``): it passes when it fails saying ``text``."""
    wanted = s.step.fails or ""
    try:
        read = await run.step(s)
    except _FAILURES as exc:
        if wanted.casefold() not in str(exc).casefold():
            raise StepFailed(f"failed, but not with {wanted!r}: {exc}") from exc
        return f"failed as expected: {str(exc)[:120]}"
    raise StepFailed(f"expected it to fail with {wanted!r}; it did not ({read})")


async def run_scenario(target: Target, scenario: Scenario) -> Result:
    result = Result(scenario.name, str(scenario.file), scenario.spec.channel.value, "passed")
    start = time.monotonic()
    with target.timers(scenario.spec.timers):
        run = Run(target, scenario)
        current = "start"
        try:
            if scenario.spec.reset:
                await reset_card(target, scenario.acct_number)
            for s in scenario.steps:
                current = s.label
                t0 = time.monotonic()
                read = await _failing(run, s) if s.step.fails else await run.step(s)
                result.log.append(f"{s.label}: {read} ({time.monotonic() - t0:.2f} s)")
        except StepFailed as exc:
            result.status, result.step, result.message = "failed", current, str(exc)
        except (SdkCheckError, BrowserError, TransportError, TargetError, ValueError) as exc:
            kind = "the SDK's check failed: " if isinstance(exc, SdkCheckError) else ""
            result.status, result.step, result.message = "failed", current, f"{kind}{exc}"
        except ErroReceived as exc:
            result.status, result.step, result.message = "failed", current, str(exc)
        if run.ares and isinstance(run.ares.get("acsTransID"), str):
            result.acs_trans_id = run.ares["acsTransID"]
    result.seconds = time.monotonic() - start
    return result
