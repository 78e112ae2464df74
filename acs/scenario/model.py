"""The scenario file: YAML validated with msgspec into a ``Scenario`` whose steps are ready to
run, or a ``ScenarioError`` naming the file, the step and what to write instead.

    name: challenge-otp-sms-browser          # default: the file name
    card: challenge-otp-sms                  # a catalog entry (GET /qa/test-cards), or
    # acctNumber: "4016000000000111"         #   any PAN, or
    # cardholder: otp-sms                    #   a cardholder id of config/cardholders.yaml
    channel: browser                         # or app (the built-in SDK)
    messageVersion: "2.2.0"
    areq: {purchaseAmount: "4999"}           # AReq fields over the card's own (null drops one)
    timers: {challenge_page_seconds: 1}      # in-process runs: shorter protocol timers
    steps:
      - areq: {}                             # send the AReq ...
        expect: {transStatus: C}             # ... and check the ARes
      - challenge                            # open the browser challenge / start the SDK's
      - enter: outbox                        # the code the ACS sent (or a literal code)
      - final: {transStatus: "Y"}            # the final CRes
      - rreq: {transStatus: "Y", authenticationType: "02"}
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import msgspec
import yaml

from acs.issuer.config_files import explain, msgspec_path, yaml_problem
from acs.protocol.codes import ChallengeCancel, ChallengeWindowSize, MessageVersion
from acs.protocol.messages import ARes, CRes, Erro, RReq
from acs.scenario.expect import Check, ExpectError, compile_expect
from acs.transactions import TransactionRecord

Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
_OUTBOX_ENTRY: dict[str, Any] = {
    name: Any
    for name in (
        "acsTransID", "channel", "adapter", "destination", "text", "code", "link", "status",
        "provider_ref", "error", "sent_at",
    )
}  # fmt: skip
# the transaction record (GET /qa/transactions/{acsTransID}) with its challenge view
_RECORD: list[Any] = [TransactionRecord, {"challenge": Any}]


class ScenarioError(ValueError):
    """A scenario file that cannot run as written."""

    def __init__(self, file: Path | str, where: str, reason: str) -> None:
        self.file, self.where, self.reason = str(file), where, reason
        super().__init__(f"{file}: {where}: {reason}" if where else f"{file}: {reason}")


class Channel(StrEnum):
    BROWSER = "browser"
    APP = "app"


class Decision(StrEnum):
    APPROVE = "approve"
    DENY = "deny"


class UiType(StrEnum):
    TEXT = "01"
    SINGLE_SELECT = "02"
    MULTI_SELECT = "03"
    OOB = "04"
    HTML = "05"


class SdkInterface(StrEnum):
    NATIVE = "01"
    HTML = "02"
    BOTH = "03"


class Enc(StrEnum):
    CBC_HS256 = "A128CBC-HS256"
    GCM = "A128GCM"


class _Opts(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    pass


class Timers(_Opts):
    """Protocol timers for an in-process run (``acs.config.ProtocolTimers`` names)."""

    first_creq_seconds: Seconds | None = None
    challenge_page_seconds: Seconds | None = None
    decoupled_max_seconds: Seconds | None = None
    ds_ares_seconds: Seconds | None = None  # the DS ARes timeout the ares-timeout fault passes


class Sdk(_Opts):
    """What the built-in SDK offers on the app channel."""

    enc: Enc = Enc.CBC_HS256
    sdkInterface: SdkInterface = SdkInterface.BOTH
    sdkUiType: list[UiType] = msgspec.field(default_factory=lambda: list(UiType))


class Empty(_Opts):
    pass


class Open(_Opts):
    windowSize: ChallengeWindowSize = (
        ChallengeWindowSize.FULL_SCREEN
    )  # challengeWindowSize (browser)
    sessionData: str | None = None  # threeDSSessionData, which the final page must echo


class Labels(_Opts):
    labels: list[str]  # tick the options whose label holds any of these (any case)


class Continue(_Opts):
    within: Seconds | None = None  # press again until the screen changes, for this long


class Cancel(_Opts):
    reason: ChallengeCancel = ChallengeCancel.CARDHOLDER_CANCELLED


class Wait(_Opts):
    within: Seconds = 30.0  # how long the runner waits for the ACS's timer


class Step(_Opts):
    areq: dict[str, Any] | None = None  # more AReq fields for this AReq
    method: Empty | None = None  # the 3DS Method, before the AReq (browser)
    challenge: Open | None = None
    enter: str | None = None  # a code; outbox, issuer-otp or totp:SECRET fetch or make one
    answer: dict[str, str] | None = None  # security question: {keyword in it: answer}
    select: str | list[str] | Labels | None = None  # option names, or {labels: [...]}
    oob: Decision | None = None  # the banking app's approval (POST /issuer/oob/{acsTransID})
    # finish it by the QA API: {transStatus: "Y"}, {transStatus: "N", transStatusReason: "01"},
    # {action: cancel} or {action: timeout} (POST /qa/transactions/{acsTransID}/complete)
    complete: dict[str, Any] | None = None
    continue_: Continue | None = msgspec.field(default=None, name="continue")
    resend: Empty | None = None
    cancel: Cancel | None = None
    timeout: Wait | None = None  # let the ACS's timer end it; expect reads the RReq
    reset: Empty | None = None  # DELETE /qa/cards/{acctNumber}/state
    outbox: dict[str, Any] | None = None  # expectations on the newest outbox entry
    final: dict[str, Any] | None = None  # expectations on the final CRes
    rreq: dict[str, Any] | None = None  # expectations on the RReq
    record: dict[str, Any] | None = None  # expectations on GET /qa/transactions/{acsTransID}
    expect: dict[str, Any] | None = None  # expectations on what the action answered
    # the step must fail, with a message holding this text (a fault card: the SDK refuses the
    # ARes, a 500, no RReq...)
    fails: Annotated[str, msgspec.Meta(min_length=1)] | None = None


_NOT_ACTIONS = frozenset({"expect", "fails"})
ACTIONS = tuple(f.encode_name for f in msgspec.structs.fields(Step) if f.name not in _NOT_ACTIONS)
_BARE = frozenset({"method", "challenge", "resend", "cancel", "timeout", "reset", "continue"})
_CHECK_ONLY: dict[str, list[Any]] = {
    "outbox": [_OUTBOX_ENTRY],
    "final": [CRes],
    "rreq": [RReq],
    "record": _RECORD,
}
# what an action's ``expect`` reads: the ARes, or the screen (CRes) that follows
_SCREEN: list[Any] = [CRes, Erro]
_ANSWERS: dict[str, list[Any]] = {
    "areq": [ARes, Erro],
    "timeout": [RReq],
    **dict.fromkeys(
        ("challenge", "enter", "answer", "select", "continue", "resend", "cancel"), _SCREEN
    ),
}


class ScenarioFile(_Opts):
    steps: list[Any]
    name: str | None = None
    description: str = ""
    card: str | None = None
    acctNumber: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{13,19}$")] | None = None
    cardholder: str | None = None
    channel: Channel = Channel.BROWSER
    messageVersion: MessageVersion = MessageVersion.V2_2_0
    areq: dict[str, Any] = msgspec.field(default_factory=dict)
    timers: Timers = msgspec.field(default_factory=Timers)
    sdk: Sdk = msgspec.field(default_factory=Sdk)
    reset: bool = True  # forget the card's counters first, so the scenario runs the same always


@dataclass(frozen=True, slots=True)
class CatalogCard:
    acct_number: str
    areq: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScenarioStep:
    number: int  # 1-based, as people count
    action: str
    step: Step
    checks: list[Check]

    @property
    def label(self) -> str:
        return f"step {self.number} ({self.action})"


@dataclass(frozen=True, slots=True)
class Scenario:
    file: Path
    name: str
    spec: ScenarioFile
    acct_number: str
    areq: dict[str, Any]  # the card's and the scenario's overrides, in that order
    steps: list[ScenarioStep]

    @property
    def catalog_card(self) -> str | None:
        return self.spec.card


def _step(file: Path, index: int, raw: Any) -> ScenarioStep:
    where = f"step {index + 1}"
    if isinstance(raw, str) and raw in _BARE:
        raw = {raw: {}}
    if not isinstance(raw, dict) or not raw:
        raise ScenarioError(
            file, where, f"a step is a mapping such as `- enter: outbox`, not {raw!r}; "
            f"actions: {', '.join(ACTIONS)}"
        )  # fmt: skip
    for key in raw:
        if key not in (*ACTIONS, *_NOT_ACTIONS):
            near = difflib.get_close_matches(str(key), ACTIONS, n=1, cutoff=0.5)
            hint = f"did you mean `{near[0]}`?" if near else f"actions: {', '.join(ACTIONS)}"
            raise ScenarioError(file, where, f"unknown action `{key}` ({hint})")
    raw = {k: ({} if v is None and k in _BARE else v) for k, v in raw.items()}
    try:
        step = msgspec.convert(raw, Step, strict=False)
    except msgspec.ValidationError as exc:
        at, reason = msgspec_path(exc)
        raise ScenarioError(file, f"{where}.{at}", explain(Step, at, reason)) from exc
    actions = [name for name in ACTIONS if name in raw]
    if len(actions) != 1:
        raise ScenarioError(
            file, where, f"one action per step, not {' and '.join(actions)}: split it in two"
        )
    action = actions[0]
    label = f"{where} ({action})"
    try:
        if action in _CHECK_ONLY:
            if step.expect is not None:
                raise ExpectError(f"write {action}'s expectations as its value: {action}: {{...}}")
            checks = compile_expect(raw[action] or {}, _CHECK_ONLY[action])
        elif step.expect is not None:
            if action not in _ANSWERS:
                raise ExpectError(f"{action} answers nothing to expect: add a step that reads it")
            checks = compile_expect(step.expect, _ANSWERS[action])
        else:
            checks = []
    except ExpectError as exc:
        raise ScenarioError(file, f"{label}.expect", str(exc)) from exc
    return ScenarioStep(index + 1, action, step, checks)


def _card(
    file: Path,
    spec: ScenarioFile,
    catalog: Mapping[str, CatalogCard],
    cardholders: Mapping[str, str],
) -> tuple[str, dict[str, Any]]:
    given = [n for n in ("card", "acctNumber", "cardholder") if getattr(spec, n) is not None]
    if len(given) != 1:
        raise ScenarioError(
            file, "", "name the card once: card (a catalog entry), acctNumber or cardholder"
            + (f", not {' and '.join(given)}" if given else "")
        )  # fmt: skip
    if spec.card is not None:
        if spec.card not in catalog:
            near = difflib.get_close_matches(spec.card, list(catalog), n=1, cutoff=0.5)
            hint = f"did you mean {near[0]}?" if near else "see GET /qa/test-cards"
            raise ScenarioError(file, "card", f"no catalog card {spec.card!r} ({hint})")
        card = catalog[spec.card]
        return card.acct_number, dict(card.areq)
    if spec.cardholder is not None:
        if spec.cardholder not in cardholders:
            near = difflib.get_close_matches(spec.cardholder, list(cardholders), n=1, cutoff=0.5)
            hint = f"did you mean {near[0]}?" if near else "see config/cardholders.yaml"
            raise ScenarioError(file, "cardholder", f"no cardholder {spec.cardholder!r} ({hint})")
        return cardholders[spec.cardholder], {}
    assert spec.acctNumber is not None
    return spec.acctNumber, {}


def load(
    file: Path, catalog: Mapping[str, CatalogCard], cardholders: Mapping[str, str]
) -> Scenario:
    """Read and check one scenario file against the ACS's catalog and cardholders."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(file, "", exc.strerror or str(exc)) from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(file, "", yaml_problem(exc)) from exc
    if not isinstance(data, dict):
        raise ScenarioError(file, "", "a scenario is a YAML mapping with card: and steps:")
    try:
        spec = msgspec.convert(data, ScenarioFile, strict=False)
    except msgspec.ValidationError as exc:
        at, reason = msgspec_path(exc)
        raise ScenarioError(file, at, explain(ScenarioFile, at, reason)) from exc
    if not spec.steps:
        raise ScenarioError(file, "steps", "no steps: start with `- areq: {}`")
    acct_number, areq = _card(file, spec, catalog, cardholders)
    steps = [_step(file, i, raw) for i, raw in enumerate(spec.steps)]
    return Scenario(
        file=file,
        name=spec.name or file.stem,
        spec=spec,
        acct_number=acct_number,
        areq=areq | spec.areq,
        steps=steps,
    )


def scenario_files(paths: list[Path]) -> list[Path]:
    """The YAML files named, and those under the folders named, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return list(dict.fromkeys(files))
