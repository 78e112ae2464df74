"""Opening a browser challenge after a C decision: choose the method, keep the session, start
the first-CReq timer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from acs.challenge import tokens
from acs.challenge.deps import ChallengeDeps
from acs.challenge.methods import choose
from acs.challenge.methods.registry import CHOOSE, READY, method_for
from acs.challenge.methods.states import ChooseState, OobState
from acs.challenge.session import AppChannel, BrowserChannel, Phase, Session
from acs.challenge.timers import TimerKind
from acs.challenge.view import InputKind
from acs.faults import Faults
from acs.issuer.models import (
    CardholderRecord,
    CardRange,
    ChallengeMethod,
    ChallengeProfile,
    Factor,
)
from acs.protocol.codes import ChallengeInd
from acs.protocol.messages import AReq
from acs.risk.decision import Decision
from acs.store import keys
from acs.transactions import TransactionRecord, encode


@dataclass(frozen=True, slots=True)
class Plan:
    """How a challenge will run: the first factor's methods (the first runs; the rest are its
    fallbacks) or the cardholder's choice among them, then the factors that follow (``chain``).
    ``skipped``: profile factors none of whose methods the cardholder has or the channel shows."""

    methods: list[ChallengeMethod]
    choice: ChooseState | None = None
    chain: list[Factor] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)

    @property
    def first_kind(self) -> InputKind:
        """How the cardholder answers the first screen (the UI an app must show first)."""
        return (CHOOSE if self.choice else method_for(self.methods[0])).kind


def plan_challenge(
    decision: Decision,
    cardholder: CardholderRecord | None,
    can_show: Callable[[InputKind], bool] = lambda _kind: True,
    profile: ChallengeProfile | None = None,
) -> Plan | None:
    """The challenge for a C: the profile's factors (the rule's, else the card range's), or the
    rule's methods as one factor. Each factor keeps the methods the cardholder is enrolled in and
    the channel can show (``can_show``: an app's 3DS SDK offers only some UIs); a single factor
    with none of them falls back to any such method. None when nothing is left."""
    if cardholder is None:
        return None
    usable = [
        m
        for m in READY
        if m in cardholder.methods
        and can_show(method_for(m).kind)
        and (m is not ChallengeMethod.HISTORY or cardholder.history)
    ]
    if profile is None:
        preferred = [m for m in decision.challenge_methods if m in usable]
        factors = [Factor(preferred or usable, decision.challenge_choice)] if usable else []
    else:
        factors = [
            Factor([m for m in f.methods if m in usable], f.choose and can_show(CHOOSE.kind))
            for f in profile.factors
        ]
    planned = [f for f in factors if f.methods]
    if not planned:
        return None
    first, chain = planned[0], planned[1:]
    skipped = [i for i, f in enumerate(factors) if not f.methods]
    if first.choose and can_show(CHOOSE.kind):
        choice = choose.options(first.methods, cardholder)
        if choice is not None:
            return Plan(list(choice.options), choice, chain, skipped)
    return Plan(first.methods, None, chain, skipped)


FIRST_SDK_COUNTER = "000"  # sdkCounterStoA of the first CReq


@dataclass(frozen=True, slots=True)
class Opening:
    """What every authentication that goes on after the ARes starts from."""

    areq: AReq
    acs_trans_id: str
    card_range: CardRange
    cardholder: CardholderRecord | None
    pan: str
    pan_hash: str
    record: TransactionRecord
    faults: Faults | None = None  # what the later steps must play (acs/faults.py)


def _session(deps: ChallengeDeps, o: Opening, methods: list[ChallengeMethod]) -> Session:
    areq, created = o.areq, time.time()
    return Session(
        acs_trans_id=o.acs_trans_id,
        three_ds_server_trans_id=areq.threeDSServerTransID or "",
        ds_trans_id=areq.dsTransID or "",
        message_version=areq.messageVersion or "",
        device_channel=areq.deviceChannel or "",
        message_category=areq.messageCategory or "",
        card_range_id=o.card_range.id,
        scheme=o.card_range.scheme.value,
        pan_hash=o.pan_hash,
        # only these need the PAN again (for the authentication value): encrypted here
        pan_enc=deps.vault.encrypt_pan(o.pan),
        pan_masked=o.record.pan_masked,
        methods=methods,
        created_at=created,
        creq_deadline=created + deps.protocol_timers.first_creq_seconds,
        sdk_trans_id=areq.sdkTransID,
        ds_url=areq.dsURL,
        cardholder_id=o.cardholder.id if o.cardholder else None,
        merchant_name=areq.merchantName,
        purchase_amount=areq.purchaseAmount,
        purchase_currency=areq.purchaseCurrency,
        purchase_exponent=areq.purchaseExponent,
        browser_language=areq.browserLanguage,
        challenge_indicators=[c.value for c in areq.challenge_indicators],
        scenario_codes=o.pan_hash in deps.catalog_hashes,  # a catalog card: magic codes work
        trust_requested=ChallengeInd.CHALLENGE_TRUST_LIST_PROMPT in areq.challenge_indicators,
        faults=o.faults,
    )


async def open_challenge(
    deps: ChallengeDeps, o: Opening, plan: Plan, app: AppChannel | None = None
) -> None:
    """Keep the challenge session in the store and start the first-CReq timer."""
    session = _session(deps, o, plan.methods)
    session.state, session.chain, session.app = plan.choice, plan.chain, app
    if app is None:
        session.browser = BrowserChannel(notification_url=o.areq.notificationURL or "")
    else:
        session.page_token = FIRST_SDK_COUNTER  # what the app's first CReq carries
    session.log("ares", methods=[m.value for m in plan.methods], choice=plan.choice is not None)
    # the timer first: if this node dies before the session is written, the timer finds nothing
    await deps.timers.schedule(TimerKind.FIRST_CREQ, o.acs_trans_id, session.creq_deadline)
    await deps.sessions.create(
        session, keys.txn(o.acs_trans_id), encode(o.record), deps.retention_seconds
    )


def decoupled_deadline(deps: ChallengeDeps, areq: AReq) -> float:
    """Now plus the requestor's threeDSRequestorDecMaxTime (minutes), at most this ACS's limit."""
    limit = deps.protocol_timers.decoupled_max_seconds
    minutes = areq.threeDSRequestorDecMaxTime
    wanted = int(minutes) * 60 if minutes and minutes.isdigit() else limit
    return time.time() + min(wanted, limit)


async def open_decoupled(deps: ChallengeDeps, o: Opening, deadline: float) -> Session:
    """A decoupled authentication (transStatus D): no challenge screens; a push asks the
    cardholder to approve in the banking app before ``deadline``, when the RReq says N/14. The
    session starts in progress; the caller sends the push (``send_push``)."""
    session = _session(deps, o, [ChallengeMethod.DECOUPLED])
    session.phase = Phase.IN_PROGRESS
    session.state = OobState(nonce=tokens.new_nonce(), deadline=deadline)
    session.log("ares", methods=[ChallengeMethod.DECOUPLED.value], deadline=round(deadline, 3))
    await deps.timers.schedule(TimerKind.DECOUPLED, o.acs_trans_id, deadline)
    await deps.sessions.create(
        session, keys.txn(o.acs_trans_id), encode(o.record), deps.retention_seconds
    )
    return session
