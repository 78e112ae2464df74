"""The decision pipeline, one copy for the live ACS and for the offline tools.

``handle_areq`` (live), ``acs rules explain/test/backtest`` (offline, ``flows/offline.py``) and
shadow mode (``flows/shadow.py``) run the same steps, so what the tools say is what the server
does: validate the AReq (with its card range's profile) -> card range and version -> decide
(facts, rules, exemption claim) -> the issuer's say (live only) -> conform the decision to what
the AReq admits -> plan the challenge (methods the cardholder has and the channel can show),
falling back to D or U when none can run.

What differs between callers is passed in: where card ranges and counters come from, whether
the issuer is consulted, and what an app challenge prepares (the live path makes the secure
channel; the tools only check the SDK's key, which is what can turn the answer into an Erro).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from acs.challenge.start import Plan, plan_challenge
from acs.flows.app import app_can_show
from acs.issuer.models import (
    AppUi,
    CardholderRecord,
    CardRange,
    ChallengeMethod,
    ChallengeProfile,
)
from acs.logs import mask_pan
from acs.protocol.codes import DeviceChannel, ErrorCode, TransStatus
from acs.protocol.errors import ProtocolError
from acs.protocol.messages import AReq
from acs.protocol.profiles import ValidationProfile
from acs.protocol.validate import ParsedAReq, ProfileDependentError, read_areq
from acs.risk.conform import conform, technical_reason
from acs.risk.decision import Decision, DecisionContext, DecisionEngine

App = TypeVar("App")

# The issuer's say on the rules' decision (flows/consult.py); returns its calls, for the record.
Consult = Callable[[Decision], Awaitable[list[dict[str, Any]]]]
# What an app challenge needs before the ARes (the live secure channel); may raise ProtocolError.
PrepareApp = Callable[[Plan, AppUi | None], App]

_OTHER = {
    ValidationProfile.STRICT: ValidationProfile.LENIENT,
    ValidationProfile.LENIENT: ValidationProfile.STRICT,
}


async def validated(
    body: bytes,
    default: ValidationProfile,
    profile_of: Callable[[str], Awaitable[ValidationProfile]],
) -> ParsedAReq:
    """The AReq validated with the profile of its card range (``validation``; absent: the
    global ``default``). The one place that picks the profile.

    The card range needs the PAN, known only once the AReq is parsed; and the profiles differ
    only on elements that another message version defines (see validate.py). So: validate with
    the global profile - the typed path answers the same in both, and the common AReq, with no
    such element, pays nothing more. Only when the answer depends on the profile (a lenient
    AReq had elements dropped; an error would differ: ``ProfileDependentError``) look up the
    card range of acctNumber, and if its profile is the other one, validate again with it.
    """
    try:
        parsed = read_areq(body, default)
    except ProfileDependentError as err:
        if err.acct_number is None or await profile_of(err.acct_number) is default:
            raise
        return read_areq(body, _OTHER[default])
    if parsed.dropped and await profile_of(parsed.areq.acctNumber or "") is not default:
        return read_areq(body, _OTHER[default])  # strict: raises the 203 for what was dropped
    return parsed


def served_range(areq: AReq, card_range: CardRange | None) -> CardRange:
    """The card range of the AReq's PAN, when it serves the AReq's version; else the Erro."""
    if card_range is None:
        raise ProtocolError(
            ErrorCode.TRANSACTION_DATA_INVALID,
            f"acctNumber: {mask_pan(areq.acctNumber or '')} is outside every card range of "
            "this ACS",
        )
    if areq.version not in card_range.versions:
        supported = ", ".join(v.value for v in card_range.versions)
        raise ProtocolError(
            ErrorCode.VERSION_NOT_SUPPORTED,
            f"messageVersion {areq.messageVersion} is not enabled for card range "
            f"{card_range.id}; supported: {supported}",
        )
    return card_range


@dataclass(slots=True)
class Decided(Generic[App]):
    """The decision as the ARes will carry it, and how it got there."""

    decision: Decision
    adjustments: list[str]  # every change conform and planning made, and why
    plan: Plan | None = None  # the challenge, for a C
    app: App | None = None  # what ``prepare_app`` made, for an app C
    issuer_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def decoupled(self) -> bool:
        return self.decision.status is TransStatus.DECOUPLED


async def decide(
    ctx: DecisionContext,
    engine: DecisionEngine,
    profiles: Mapping[str, ChallengeProfile],
    *,
    now: dt.datetime,
    dropped: tuple[str, ...] = (),
    consult: Consult | None = None,
    prepare_app: PrepareApp[App] | None = None,
    trace: bool = True,
    explain: bool = False,
) -> Decided[App]:
    """The rules' decision fitted to the AReq, the cardholder and the channel."""
    areq, cardholder = ctx.areq, ctx.cardholder
    decision = await engine.decide(ctx, now=now, trace=trace, explain=explain)
    issuer_calls = await consult(decision) if consult is not None else []
    adjustments = conform(decision, areq)
    if dropped:  # recorded with the decision (and logged with it)
        adjustments.insert(
            0,
            f"validation lenient: dropped {', '.join(dropped)} "
            f"(defined only in another message version than {areq.messageVersion})",
        )
    decided: Decided[App] = Decided(decision, adjustments, issuer_calls=issuer_calls)
    if decision.status is TransStatus.CHALLENGE:
        plan = _plan(areq, decision, cardholder, ctx.card_range, profiles, adjustments)
        if plan is None and areq.decoupled_fallback and _decouples(cardholder):
            adjustments.append(
                "C -> D: no challenge this channel can run; the requestor accepts decoupled "
                f"(threeDSRequestorDecReqInd {areq.threeDSRequestorDecReqInd})"
            )
            decision.status = TransStatus.DECOUPLED
        elif plan is None:
            decision.status, decision.reason = TransStatus.UNABLE, technical_reason(areq.version)
        else:
            decided.plan = plan
            if areq.channel is DeviceChannel.APP and prepare_app is not None:
                decided.app = prepare_app(plan, decision.app_ui)
    if decision.status is TransStatus.DECOUPLED and not _decouples(cardholder):
        adjustments.append("D -> U: the cardholder has no banking app enrolled for decoupled")
        decision.status, decision.reason = TransStatus.UNABLE, technical_reason(areq.version)
    return decided


def _plan(
    areq: AReq,
    decision: Decision,
    cardholder: CardholderRecord | None,
    card_range: CardRange,
    profiles: Mapping[str, ChallengeProfile],
    adjustments: list[str],
) -> Plan | None:
    """The challenge for a C, fitted to the channel; why not, in ``adjustments``, when none."""
    on_app = areq.channel is DeviceChannel.APP
    profile = _profile(decision, card_range, profiles)
    if on_app:
        plan = plan_challenge(
            decision, cardholder, app_can_show(areq, decision.app_ui), profile=profile
        )
    else:
        plan = plan_challenge(decision, cardholder, profile=profile)
    if plan is not None and plan.skipped:
        adjustments.append(
            f"profile {profile.id if profile else ''}: factors {plan.skipped} skipped "
            "(the cardholder has none of their methods, or the channel cannot show them)"
        )
    if plan is None:
        why = "the cardholder has no challenge method this channel can run"
        if on_app and plan_challenge(decision, cardholder, profile=profile) is not None:
            why = "deviceRenderOptions offer no UI the challenge method can use"
        adjustments.append(f"C -> {'D or U' if areq.decoupled_fallback else 'U'}: {why}")
    return plan


def _decouples(cardholder: CardholderRecord | None) -> bool:
    """A decoupled approval needs the banking app: enrolled, and a device (mobile) on file."""
    return (
        cardholder is not None
        and ChallengeMethod.DECOUPLED in cardholder.methods
        and bool(cardholder.mobile)
    )


def _profile(
    decision: Decision, card_range: CardRange, profiles: Mapping[str, ChallengeProfile]
) -> ChallengeProfile | None:
    """The rule's profile, else (when the rule names no methods) the card range's."""
    name = decision.challenge_profile
    if name is None and not decision.challenge_methods:
        name = card_range.challenge.profile
    profile = profiles.get(name) if name else None
    if name and profile is None:
        decision.note("profile-unknown", profile=name)
    return profile
