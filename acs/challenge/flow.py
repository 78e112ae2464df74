"""The challenge state machine, independent of HTTP: first CReq, submit, resend, cancel,
timeouts and completion (``start.py`` opens a challenge after the ARes). The browser handlers
(``acs/flows/browser.py``) turn its results into pages; the timer worker calls ``on_timer``.

Side effects (sending a code, the RReq) happen after the session change that allows them is
saved, so a retried compare-and-set never sends twice. Each cardholder action consumes the page it
came from (its nonce) in the same compare-and-set that counts it and re-checks its limit, so the
same form sent 50 times at once counts once, and limits hold whatever the concurrency.
"""

from __future__ import annotations

import hmac
import math
import time
from dataclasses import dataclass
from typing import Any

import structlog

from acs.challenge import tokens
from acs.challenge.deps import ChallengeDeps
from acs.challenge.magic import MAGIC_CODES
from acs.challenge.methods import choose, history
from acs.challenge.methods.base import Entry, Method, MethodContext, Verdict
from acs.challenge.methods.oob import Push
from acs.challenge.methods.registry import CHOOSE, current, method_for
from acs.challenge.methods.states import OobState
from acs.challenge.methods.wire import WIRE
from acs.challenge.session import Phase, Result, Session, Stale
from acs.challenge.timers import TimerKind
from acs.challenge.view import InputKind, View
from acs.crypto import authvalue
from acs.crypto.authvalue import AuthContext
from acs.issuer.models import CATEGORY, ChallengeMethod, ChallengeSettings, Factor
from acs.protocol.codes import (
    ChallengeCancel,
    DeviceChannel,
    ErrorCode,
    MessageVersion,
    TransStatus,
    TransStatusReason,
)
from acs.protocol.errors import ProtocolError, TransactionIds
from acs.protocol.messages import CReq
from acs.protocol.schemes import Scheme
from acs.risk.conform import technical_reason
from acs.risk.sca import sca_succeeded

log = structlog.get_logger("acs.challenge")


@dataclass(slots=True)
class Step:
    """What the cardholder sees next."""

    session: Session
    message: str | None = None  # for the method's view: sent, resent, wrong, pending ...
    error: ProtocolError | None = None
    finished: bool = False  # this call fixed the result: the caller owes the DS its RReq
    stale: bool = False  # the action's page (or counter) was not the current one: nothing done


def _context(deps: ChallengeDeps, session: Session) -> MethodContext:
    card_range = deps.directory.range_by_id(session.card_range_id)
    return MethodContext(
        deps,
        card_range.challenge if card_range else ChallengeSettings(),
        deps.texts.for_browser(session.browser_language),
        card_range.issuer if card_range else None,
    )


def _method(deps: ChallengeDeps, session: Session) -> tuple[Method, MethodContext]:
    return current(session), _context(deps, session)


def view(deps: ChallengeDeps, step: Step) -> View:
    """What the cardholder sees for a step of a challenge in progress."""
    method, ctx = _method(deps, step.session)
    return method.view(ctx, step.session, step.message)


def erro(code: ErrorCode, detail: str, session: Session) -> ProtocolError:
    """An error about a CReq for this session: the Erro echoes the session's IDs and version."""
    return ProtocolError(
        code,
        detail,
        message_type="CReq",
        message_version=session.message_version,
        ids=TransactionIds(
            threeDSServerTransID=session.three_ds_server_trans_id,
            acsTransID=session.acs_trans_id,
            dsTransID=session.ds_trans_id,
            sdkTransID=session.sdk_trans_id,
        ),
    )


# -- the first CReq ------------------------------------------------------------------------------


async def on_creq(deps: ChallengeDeps, creq: CReq, session_data: str | None) -> Step:
    """Check the CReq against its session and start the challenge (or explain why not)."""
    acs_trans_id = str(creq.acsTransID)
    session = await deps.sessions.get(acs_trans_id)
    if session is None:
        record = await deps.store.get_txn(acs_trans_id)
        error_code = (
            ErrorCode.TRANSACTION_DATA_INVALID if record else ErrorCode.TRANSACTION_ID_UNKNOWN
        )
        detail = (
            "acsTransID: this transaction did not ask for a browser challenge"
            if record
            else "acsTransID: no such transaction at this ACS"
        )
        raise ProtocolError(
            error_code,
            detail,
            message_type="CReq",
            message_version=creq.messageVersion,
            ids=TransactionIds(acsTransID=acs_trans_id),
        )
    if session.device_channel != DeviceChannel.BROWSER:
        raise erro(
            ErrorCode.TRANSACTION_DATA_INVALID, "acsTransID: not a browser transaction", session
        )
    if creq.threeDSServerTransID != session.three_ds_server_trans_id:
        raise erro(
            ErrorCode.TRANSACTION_ID_UNKNOWN,
            "threeDSServerTransID: does not match the AReq",
            session,
        )
    if creq.messageVersion != session.message_version:
        done = await complete(
            deps,
            acs_trans_id,
            TransStatus.UNABLE,
            technical_reason(MessageVersion(session.message_version)),
            ChallengeCancel.TRANSACTION_ERROR,
            note="CReq messageVersion differs from the AReq",
        )
        done.error = erro(
            ErrorCode.FORMAT_INVALID,
            f"messageVersion: {creq.messageVersion} differs from the AReq "
            f"({session.message_version})",
            session,
        )
        return done
    if session.phase is Phase.COMPLETED:
        if session.result and session.result.reason == TransStatusReason.TIMED_OUT:
            raise erro(ErrorCode.TIMED_OUT, "CReq arrived after the challenge timed out", session)
        raise erro(ErrorCode.CREQ_AFTER_RREQ, "CReq received after the RReq was sent", session)
    if session.phase is Phase.IN_PROGRESS:
        return _repeated_creq(session)
    step = await start(
        deps, session, token=None, window_size=creq.challengeWindowSize, session_data=session_data
    )
    return _repeated_creq(step.session) if step.stale else step


async def start(
    deps: ChallengeDeps,
    session: Session,
    *,
    token: str | None,
    window_size: str | None = None,
    session_data: str | None = None,
    app_url: str | None = None,
) -> Step:
    """The first CReq starts the challenge: the method's first step (a code sent) and the page
    timer. ``token``: on the app channel, the CReq's sdkCounterStoA, which must be the one the
    session expects. A CReq that lost to a parallel one gets ``stale``; one after the 30-second
    limit ends the challenge (N/14) and carries Erro 402."""
    acs_trans_id = session.acs_trans_id
    if time.time() > session.creq_deadline:
        done = await on_timer(deps, TimerKind.FIRST_CREQ, acs_trans_id) or Step(session)
        done.error = erro(
            ErrorCode.TIMED_OUT, "the first CReq arrived after the 30-second limit", session
        )
        return done
    method, ctx = _method(deps, session)
    prepared = await method.prepare(ctx, session)
    page_deadline = time.time() + deps.protocol_timers.challenge_page_seconds

    async def begin(s: Session) -> object:
        if s.phase is not Phase.AWAITING_CREQ or (token is not None and s.page_token != token):
            raise Stale  # a parallel CReq started the challenge first
        s.phase = Phase.IN_PROGRESS
        if s.browser is not None:
            s.browser.window_size, s.browser.session_data = window_size, session_data
        if s.app is not None:
            s.app.requestor_app_url = app_url
        s.page_token, s.page_deadline = _next_token(s), page_deadline
        s.log("creq", window_size=window_size)
        return method.start(ctx, s, prepared)

    # the page timer first: set before the challenge starts, it cannot be lost to a crash
    await deps.timers.schedule(TimerKind.PAGE, acs_trans_id, page_deadline)
    try:
        session, outbound = await deps.sessions.update(acs_trans_id, begin, current=session)
    except Stale:
        return Step(await _latest(deps, session), stale=True)
    await deps.timers.cancel(TimerKind.FIRST_CREQ, acs_trans_id)
    if session.page_deadline and session.page_deadline < page_deadline:
        # the method's window is shorter than a page's (an out-of-band approval)
        await deps.timers.schedule(TimerKind.PAGE, acs_trans_id, session.page_deadline)
    return await _send(deps, method, ctx, session, outbound)


async def _send(
    deps: ChallengeDeps, method: Method, ctx: MethodContext, session: Session, outbound: object
) -> Step:
    """What the method does once its change is saved (send a code), and the note it keeps."""
    if outbound is None:
        return Step(session)
    sent = await method.send(ctx, session, outbound)
    if sent.change is not None:
        change = sent.change

        async def note(s: Session) -> None:
            change(s)

        session, _ = await deps.sessions.update(session.acs_trans_id, note, current=session)
    if sent.verdict is not None:  # the issuer answered at once
        return await decide(deps, session.acs_trans_id, sent.verdict, by="by the issuer")
    if sent.fallback:
        return await fall_back(deps, session)
    return Step(session, sent.message)


async def fall_back(deps: ChallengeDeps, session: Session) -> Step:
    """The method cannot go on (the issuer did not answer the biometric check in time): the card
    range's fallback method, else U."""
    card_range = deps.directory.range_by_id(session.card_range_id)
    issuer = card_range.issuer if card_range else None
    fallback = issuer.biometric_fallback if issuer else None
    if fallback is not None and fallback is not session.method:
        return await _begin(deps, session, Factor([fallback]), passed=False)
    return await complete(
        deps,
        session.acs_trans_id,
        TransStatus.UNABLE,
        technical_reason(MessageVersion(session.message_version)),
        None,
        note="the issuer's biometric check did not answer in time; no fallback method",
        current=session,
    )


def _repeated_creq(session: Session) -> Step:
    """A CReq for a challenge already under way: Erro 314 in 2.3, else the current page again
    (2.1/2.2, a refresh)."""
    if MessageVersion(session.message_version).is_2_3:
        raise erro(
            ErrorCode.MULTIPLE_CREQ, "a CReq was already received for this transaction", session
        )
    return Step(session)


async def _latest(deps: ChallengeDeps, session: Session) -> Session:
    """The session as it stands now (after a parallel request changed it)."""
    return await deps.sessions.get(session.acs_trans_id) or session


def _take_page(s: Session, nonce: str, deadline: float) -> None:
    """Consume the page the action came from and issue the next; Stale for any other page."""
    if s.phase is not Phase.IN_PROGRESS or s.page_token != nonce:
        raise Stale
    # a method with a window of its own (an out-of-band approval) keeps it
    window = getattr(s.state, "deadline", deadline)
    s.page_token, s.page_deadline = _next_token(s), min(deadline, window)


def _next_token(s: Session) -> str:
    """What the next action must carry: a fresh page nonce in the browser, the next
    sdkCounterStoA on the app channel (one CReq per CRes, counted from "000")."""
    if s.app is None:
        return tokens.new_nonce()
    return f"{int(s.page_token or '0') + 1:03d}"


# -- cardholder actions --------------------------------------------------------------------------


async def submit(deps: ChallengeDeps, session: Session, nonce: str, entry: Entry) -> Step:
    """The answer from the page ``nonce``: counted first (the limit re-checked in the same atomic
    change), then checked; a check the method can make itself runs inside that change. A right
    answer ends the challenge, or starts the method it led to (a choice's pick)."""
    method, ctx = _method(deps, session)
    magic = MAGIC_CODES.get(entry.text.strip()) if session.scenario_codes else None
    deadline = time.time() + deps.protocol_timers.challenge_page_seconds
    max_attempts = ctx.settings.max_attempts

    async def attempt(s: Session) -> Verdict | None:
        _take_page(s, nonce, deadline)
        if s.attempts >= max_attempts:
            raise Stale
        if magic:
            verdict = None
        elif entry.oob_continue and method.kind is not InputKind.OOB:
            verdict = Verdict.PENDING  # a continue for a screen it no longer shows (a fallback)
        else:
            verdict = method.check(ctx, s, entry)
        if verdict is not Verdict.PENDING:  # coming back before an approval is not an attempt
            s.attempts += 1
            s.interaction_counter += 1
        s.log(
            "submit",
            attempt=s.attempts,
            verdict=verdict.value if verdict else None,
            magic=magic is not None or None,
        )
        return verdict

    try:
        session, verdict = await deps.sessions.update(
            session.acs_trans_id, attempt, current=session
        )
    except Stale:
        return Step(await _latest(deps, session), stale=True)
    if magic is not None:
        return await complete(
            deps,
            session.acs_trans_id,
            magic.status,
            magic.reason,
            None,
            note=f"magic code: {magic.description}",
            current=session,
        )
    assert verdict is not None  # (None only for a magic code)
    if verdict is Verdict.ASK:  # the method asks someone else (a PIN provider, the issuer)
        verdict = Verdict.RIGHT if await method.verify(ctx, session, entry) else Verdict.WRONG
        if ctx.calls:
            session = await _note_calls(deps, session, ctx.calls)
    if verdict is Verdict.RIGHT:
        following = method.next_method(session)
        if following is not None:  # the cardholder's pick
            rest = [m for m in session.methods if m is not following]
            return await _begin(deps, session, Factor([following, *rest]), passed=False)
        if session.chain:  # the next factor
            return await _begin(deps, session, session.chain[0], passed=True)
        return await complete(
            deps, session.acs_trans_id, TransStatus.AUTHENTICATED, None, None, current=session
        )
    if verdict is Verdict.PENDING:
        return Step(session, "pending" if method.kind is InputKind.OOB else None)
    if verdict is Verdict.EXPIRED:
        return await _timed_out(deps, session.acs_trans_id, "no approval in time")
    if verdict is Verdict.REFUSED or session.attempts >= max_attempts:
        reason = TransStatusReason(ctx.settings.on_max_attempts)
        if verdict is Verdict.REFUSED or not reason.allowed_in(
            MessageVersion(session.message_version)
        ):
            reason = TransStatusReason.AUTHENTICATION_FAILED
        return await complete(
            deps,
            session.acs_trans_id,
            TransStatus.NOT_AUTHENTICATED,
            reason,
            None,
            note="refused" if verdict is Verdict.REFUSED else f"{max_attempts} wrong answers",
            current=session,
        )
    return Step(session, "expired" if _expired(session) else "wrong")


async def _note_calls(
    deps: ChallengeDeps, session: Session, calls: list[dict[str, Any]]
) -> Session:
    """Keep the calls a check made to the issuer's systems with the challenge's steps."""

    async def note(s: Session) -> None:
        for call in calls:
            s.log("issuer", **call)

    session, _ = await deps.sessions.update(session.acs_trans_id, note, current=session)
    return session


async def _begin(deps: ChallengeDeps, session: Session, factor: Factor, *, passed: bool) -> Step:
    """Start what a right answer led to, with fresh limits: the method the cardholder picked, or
    (``passed``: the current method was a factor, now passed) the next factor of the chain,
    itself a choice when it offers one."""
    ctx = _context(deps, session)
    choice = None
    if factor.choose:
        holder = await deps.directory.get_cardholder(session.cardholder_id or "")
        choice = choose.options(factor.methods, holder) if holder else None
    method = CHOOSE if choice else method_for(factor.methods[0])
    prepared = choice or await method.prepare(ctx, session)
    token = session.page_token

    async def switch(s: Session) -> object:
        if s.phase is not Phase.IN_PROGRESS or s.page_token != token:
            raise Stale
        if passed:
            s.passed.append(s.method)
            s.chain = s.chain[1:]
        s.methods = list(factor.methods)
        s.attempts = s.resends = 0
        s.log("factor" if passed else "method", methods=[m.value for m in s.methods])
        outbound = method.start(ctx, s, prepared)
        s.page_deadline = min(s.page_deadline or 0.0, getattr(s.state, "deadline", math.inf))
        return outbound

    try:
        session, outbound = await deps.sessions.update(
            session.acs_trans_id, switch, current=session
        )
    except Stale:  # the cardholder moved on in parallel: show what is current
        return Step(await _latest(deps, session))
    await deps.timers.schedule(TimerKind.PAGE, session.acs_trans_id, session.page_deadline or 0.0)
    return await _send(deps, method, ctx, session, outbound)


async def decide(
    deps: ChallengeDeps, acs_trans_id: str, approve: bool, *, by: str, nonce: str | None = None
) -> Step:
    """An out-of-band approval or denial, from the banking app (``nonce``: its link's push) or
    the issuer API: it ends the challenge at once; the cardholder's next page shows the result.
    ``stale`` when the challenge is not waiting for one (ended, or that push was replaced)."""
    session = await deps.sessions.get(acs_trans_id)
    if session is None:
        raise KeyError(acs_trans_id)
    state = session.state
    if (
        session.phase is not Phase.IN_PROGRESS
        or not isinstance(state, OobState)
        or (nonce is not None and not hmac.compare_digest(state.nonce, nonce))
    ):
        return Step(session, stale=True)
    if time.time() >= state.deadline:
        return await _timed_out(deps, acs_trans_id, "no approval in time")
    return await complete(
        deps,
        acs_trans_id,
        TransStatus.AUTHENTICATED if approve else TransStatus.NOT_AUTHENTICATED,
        None if approve else TransStatusReason.AUTHENTICATION_FAILED,
        None,
        note=f"{'approved' if approve else 'denied'} {by}",
        current=session,
        outside=True,
    )


async def take_result(deps: ChallengeDeps, session: Session, token: str) -> Step:
    """The cardholder's next action after an out-of-band decision ended the challenge: it gets
    the result, once (its token is spent like a page's; ``stale`` for a repeat)."""

    async def take(s: Session) -> None:
        if s.phase is not Phase.COMPLETED or s.page_token != token:
            raise Stale
        s.page_token = _next_token(s)

    try:
        session, _ = await deps.sessions.update(session.acs_trans_id, take, current=session)
    except Stale:
        return Step(await _latest(deps, session), stale=True)
    return Step(session)


async def send_push(deps: ChallengeDeps, session: Session) -> Step:
    """The first push of a decoupled authentication, once its session is kept."""
    method, ctx = method_for(session.method), _context(deps, session)
    return await _send(deps, method, ctx, session, Push(resend=False))


async def _timed_out(deps: ChallengeDeps, acs_trans_id: str, note: str) -> Step:
    return await complete(
        deps,
        acs_trans_id,
        TransStatus.NOT_AUTHENTICATED,
        TransStatusReason.TIMED_OUT,
        ChallengeCancel.TIMED_OUT_OTHER,
        note=note,
    )


def _expired(session: Session) -> bool:
    expires_at = getattr(session.state, "expires_at", None)
    return expires_at is not None and time.time() > expires_at


async def resend(deps: ChallengeDeps, session: Session, nonce: str) -> Step:
    method, ctx = _method(deps, session)
    deadline = time.time() + deps.protocol_timers.challenge_page_seconds

    async def renew(s: Session) -> object:
        _take_page(s, nonce, deadline)
        if s.resends >= ctx.settings.max_resends:
            raise Stale
        outbound = method.renew(ctx, s)
        if outbound is None:
            raise Stale  # nothing to resend for this method
        s.resends += 1  # not an authentication cycle, so interactionCounter stays
        s.log("resend", resends=s.resends)
        return outbound

    try:
        session, outbound = await deps.sessions.update(session.acs_trans_id, renew, current=session)
    except Stale:
        return Step(await _latest(deps, session), stale=True)
    return await _send(deps, method, ctx, session, outbound)


async def cancel(
    deps: ChallengeDeps,
    session: Session,
    nonce: str | None,
    challenge_cancel: ChallengeCancel = ChallengeCancel.CARDHOLDER_CANCELLED,
    *,
    outside: bool = False,
) -> Step:
    """The cardholder cancelled on the page ``nonce`` (None: whichever is shown; ``outside``: not
    on a challenge screen, see ``complete``)."""
    version = MessageVersion(session.message_version)
    reason = (
        TransStatusReason.ATTEMPTED_NOT_PERFORMED
        if version.at_least_2_2
        else TransStatusReason.AUTHENTICATION_FAILED
    )
    done = await complete(
        deps,
        session.acs_trans_id,
        TransStatus.NOT_AUTHENTICATED,
        reason,
        challenge_cancel,
        note="cardholder cancelled",
        current=session,
        page=nonce,
        outside=outside,
    )
    return done


# -- timers --------------------------------------------------------------------------------------


async def on_timer(deps: ChallengeDeps, kind: TimerKind, acs_trans_id: str) -> Step | None:
    """A protocol timer fell due (the RReq timer is the flow's): ends the challenge if its
    deadline has passed, else sets the timer again for the deadline as it now stands."""
    session = await deps.sessions.get(acs_trans_id)
    if session is None or session.phase is Phase.COMPLETED:
        return None
    now = time.time()
    if (
        kind is TimerKind.FIRST_CREQ
        and session.phase is Phase.AWAITING_CREQ
        and now >= session.creq_deadline
    ):
        return await _no_first_creq(deps, acs_trans_id)
    if kind is TimerKind.DECOUPLED and session.phase is Phase.IN_PROGRESS:
        deadline = getattr(session.state, "deadline", now)
        if now >= deadline:
            return await _no_decoupled_answer(deps, acs_trans_id)
        await deps.timers.schedule(TimerKind.DECOUPLED, acs_trans_id, deadline)
    if kind is TimerKind.PAGE and session.phase is Phase.IN_PROGRESS:
        if session.method is ChallengeMethod.BIOMETRIC and now >= getattr(
            session.state, "deadline", math.inf
        ):
            return await fall_back(deps, session)
        if session.page_deadline and now >= session.page_deadline:
            return await _timed_out(deps, acs_trans_id, "challenge page timed out")
        # the deadline moved (a later page): check again then
        await deps.timers.schedule(TimerKind.PAGE, acs_trans_id, session.page_deadline or now)
    return None


async def expire(deps: ChallengeDeps, session: Session, *, by: str) -> Step:
    """End the challenge now as its running timer would when it falls due (the QA API's
    timeout, ``by`` says who): no first CReq (challengeCancel 05), no decoupled approval (03),
    or a page left unanswered (04); all N / 14."""
    if session.phase is Phase.AWAITING_CREQ:
        return await _no_first_creq(deps, session.acs_trans_id, f" ({by})")
    if session.method is ChallengeMethod.DECOUPLED:
        return await _no_decoupled_answer(deps, session.acs_trans_id, f" ({by})")
    return await _timed_out(deps, session.acs_trans_id, f"challenge page timed out ({by})")


async def _no_first_creq(deps: ChallengeDeps, acs_trans_id: str, by: str = "") -> Step:
    return await complete(
        deps,
        acs_trans_id,
        TransStatus.NOT_AUTHENTICATED,
        TransStatusReason.TIMED_OUT,
        ChallengeCancel.TIMED_OUT_FIRST_CREQ,
        note="no CReq within the first-CReq limit" + by,
    )


async def _no_decoupled_answer(deps: ChallengeDeps, acs_trans_id: str, by: str = "") -> Step:
    return await complete(
        deps,
        acs_trans_id,
        TransStatus.NOT_AUTHENTICATED,
        TransStatusReason.TIMED_OUT,
        ChallengeCancel.ABANDONED_OR_DECOUPLED_TIMEOUT,
        note="no decoupled approval within threeDSRequestorDecMaxTime" + by,
    )


# -- completion ----------------------------------------------------------------------------------


async def complete(
    deps: ChallengeDeps,
    acs_trans_id: str,
    status: TransStatus,
    reason: TransStatusReason | None,
    challenge_cancel: ChallengeCancel | None,
    *,
    note: str = "",
    current: Session | None = None,
    page: str | None = None,
    outside: bool = False,
) -> Step:
    """Fix the result once: the first caller wins and gets ``finished``, which makes it owe the
    DS the RReq (the flow sends it; its timer is already held, see below).

    ``current``: the caller's copy of the session, to save a read (see ``Sessions.update``).
    ``page``: the nonce of the page a cardholder action came from; it must still be current.
    ``outside``: decided away from the challenge screens (out of band): the next CReq, with the
    counter the session expects, gets the final CRes.
    """
    session = current or await deps.sessions.get(acs_trans_id)
    if session is None:
        raise KeyError(acs_trans_id)
    if session.phase is Phase.COMPLETED:
        return Step(session)
    if (
        status is TransStatus.UNABLE
        and reason
        and not reason.allowed_in(MessageVersion(session.message_version))
    ):
        reason = TransStatusReason.INVALID_TRANSACTION
    auth = None
    card_range = await deps.directory.fetch_range(session.card_range_id)
    if status is TransStatus.AUTHENTICATED and card_range is None:
        # the range (and its keys) was deleted mid-challenge: no value can be issued
        status = TransStatus.UNABLE
        reason = technical_reason(MessageVersion(session.message_version))
        note = f"{note}; card range {session.card_range_id} removed".lstrip("; ")
    if status is TransStatus.AUTHENTICATED and card_range is not None:
        auth = authvalue.generate(
            card_range.keys,
            AuthContext(
                scheme=Scheme(session.scheme),
                pan=deps.vault.decrypt_pan(session.pan_enc),
                status=status,
                method=WIRE[session.method][1],
                ds_trans_id=session.ds_trans_id,
                merchant_name=session.merchant_name or "",
                purchase_amount=session.purchase_amount or "",
                purchase_currency=session.purchase_currency or "",
            ),
        )

    async def finish(s: Session) -> None:
        if s.phase is Phase.COMPLETED or (page is not None and s.page_token != page):
            raise Stale  # another request ended it, or the action's page is an old one
        s.phase = Phase.COMPLETED
        factors = [*s.passed, s.method] if status is TransStatus.AUTHENTICATED else s.passed
        s.result = Result(
            trans_status=status.value,
            reason=reason.value if reason else None,
            challenge_cancel=challenge_cancel.value if challenge_cancel else None,
            authentication_value=auth.value if auth else None,
            eci=auth.eci if auth else None,
            evidence=auth.evidence if auth else None,
            completed_at=time.time(),
            outside=outside,
            factors=[m.value for m in factors],
            categories=sorted({CATEGORY[m].value for m in factors}),
        )
        if outside:  # the cardholder answered in the banking app: one authentication cycle
            s.interaction_counter += 1
        s.log(
            "complete",
            transStatus=status.value,
            reason=s.result.reason,
            challengeCancel=s.result.challenge_cancel,
            note=note,
        )

    # The RReq is owed from the moment the result is saved: its timer is held first, so that if
    # this node dies before the first attempt is recorded, another node makes it.
    await deps.timers.lease(TimerKind.RREQ, acs_trans_id)
    try:
        session, _ = await deps.sessions.update(acs_trans_id, finish, current=session)
    except Stale:
        return Step(await _latest(deps, session), stale=page is not None)
    await deps.timers.cancel(TimerKind.PAGE, acs_trans_id, TimerKind.FIRST_CREQ)
    log.info(
        "challenge.completed",
        acsTransID=acs_trans_id,
        transStatus=status.value,
        reason=reason.value if reason else None,
        note=note,
    )
    if status is TransStatus.AUTHENTICATED:
        paid = history.remember(
            session.merchant_name,
            session.purchase_amount,
            session.purchase_currency,
            session.purchase_exponent,
        )
        if paid is not None:
            await deps.store.remember_payment(session.pan_hash, paid)
        await sca_succeeded(
            counters=deps.counters,
            directory=deps.directory,
            pan_hash=session.pan_hash,
            cardholder_id=session.cardholder_id,
            trust_requested=session.trust_requested,
            merchant=session.merchant_name,
        )
    return Step(session, finished=True)
