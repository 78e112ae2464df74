"""handle_browser_creq and handle_browser_step: the acsURL the merchant's iframe posts ``creq``
to, and the pages after it, as HTTP-free verbs (``acs/web/challenge.py`` is the HTTP side).

Each verb answers a page, or raises ``ProtocolError`` carrying the window size and language its
error page should have; the state lives in the store and in the signed form token, never in a
cookie, because the iframe is cross-site. A step that fixed the result sends the RReq first.
"""

from __future__ import annotations

from time import perf_counter
from urllib.parse import urlencode

import msgspec

from acs.challenge import flow, tokens
from acs.challenge.methods.base import Entry
from acs.challenge.render import Branding, Page, Purchase
from acs.challenge.session import Phase, Session
from acs.challenge.view import InputKind
from acs.flows.faults import cres_body, latency_floor
from acs.flows.rreq import send_rreq
from acs.protocol.codes import ChallengeCancel, ErrorCode, MessageType, MessageVersion, TransStatus
from acs.protocol.creq import MAX_SESSION_DATA_CHARS, b64url_encode, parse_browser_creq
from acs.protocol.errors import ProtocolError
from acs.protocol.messages import CRes
from acs.risk.conform import technical_reason
from acs.services import Services

ACS_URL_PATH = "/3ds/challenge"
_MAX_POLLS = 1000
_MAX_POLL_SECONDS = 10  # a page waiting for an approval reloads after 2, 3, 4 ... 10 seconds
STEP_PATH = "/3ds/challenge/step"
_CONTENT_ERRORS = frozenset(
    {ErrorCode.REQUIRED_MISSING, ErrorCode.FORMAT_INVALID, ErrorCode.CRITICAL_EXTENSION_UNKNOWN}
)
_encode = msgspec.json.Encoder().encode


async def handle_browser_creq(services: Services, creq_field: object, session_data: object) -> Page:
    """The first CReq (form fields ``creq`` and ``threeDSSessionData``, as posted)."""
    started = perf_counter()
    creq = None
    try:
        if session_data is not None and (
            not isinstance(session_data, str) or len(session_data) > MAX_SESSION_DATA_CHARS
        ):
            raise ProtocolError(
                ErrorCode.FORMAT_INVALID,
                f"threeDSSessionData: longer than {MAX_SESSION_DATA_CHARS} characters",
                message_type="CReq",
            )
        creq = parse_browser_creq(creq_field if isinstance(creq_field, str) else None)
        step = await flow.on_creq(services.challenge, creq, session_data)
    except ProtocolError as err:
        session = await _fail_identified(services, err)
        err.window_size = (creq.challengeWindowSize if creq else None) or (
            _window(session) if session else None
        )
        err.language = session.browser_language if session else None
        raise
    return await _answer(services, step, started)


async def _fail_identified(services: Services, err: ProtocolError) -> Session | None:
    """A malformed CReq for a live challenge ends it: U with challengeCancel 06, and an RReq.

    Returns the session the CReq named, if any, so the error page can fit its window and language.
    """
    acs_trans_id = err.ids.acsTransID
    session = await services.challenge.sessions.get(acs_trans_id) if acs_trans_id else None
    if session is None or err.code not in _CONTENT_ERRORS or session.phase is Phase.COMPLETED:
        return session
    done = await flow.complete(
        services.challenge,
        session.acs_trans_id,
        TransStatus.UNABLE,
        technical_reason(MessageVersion(session.message_version)),
        ChallengeCancel.TRANSACTION_ERROR,
        note=f"malformed CReq: {err}",
    )
    if done.finished:
        await send_rreq(services, session.acs_trans_id, session=done.session)
    return session


async def handle_browser_step(
    services: Services, token_text: str, action: str, entry: Entry
) -> Page:
    """A form post from a challenge page: ``submit`` (the answer), ``resend`` or ``cancel``."""
    started = perf_counter()
    session, nonce = await _page_session(services, token_text)
    if session.phase is not Phase.IN_PROGRESS or nonce != session.page_token:
        return render_step(services, flow.Step(session))  # an old page: show the current one
    deps = services.challenge
    if action == "cancel":
        step = await flow.cancel(deps, session, nonce)
    elif action == "resend":
        step = await flow.resend(deps, session, nonce)
    else:
        step = await flow.submit(deps, session, nonce, entry)
    return await _answer(services, step, started)


async def handle_browser_poll(services: Services, token_text: str, polls: int) -> Page:
    """A page that waits (for an out-of-band approval) reloads itself: the page as it stands,
    or the final page once the approval ended the challenge. Changes nothing."""
    session, _ = await _page_session(services, token_text)
    return render_step(services, flow.Step(session), polls=polls + 1)


async def _page_session(services: Services, token_text: str) -> tuple[Session, str]:
    token = tokens.verify(_token_key(services), token_text)
    if token is None:
        raise ProtocolError(
            ErrorCode.TRANSACTION_DATA_INVALID,
            "token: missing, altered or expired; start the challenge again",
            message_type="CReq",
        )
    session = await services.challenge.sessions.get(token.acs_trans_id)
    if session is None:
        raise ProtocolError(
            ErrorCode.TRANSACTION_ID_UNKNOWN, "the challenge has expired", message_type="CReq"
        )
    return session, token.nonce


async def _answer(services: Services, step: flow.Step, started: float) -> Page:
    """The RReq first if this step fixed the result (the final page follows it), then the page
    (no sooner than the transaction's latency floor after ``started``, a fault)."""
    if step.finished:
        sent = await send_rreq(services, step.session.acs_trans_id, session=step.session)
        step.session = sent or step.session
    if step.session.faults is not None:
        await latency_floor(step.session.faults, started)
    if step.error:
        step.error.window_size = _window(step.session)
        step.error.language = step.session.browser_language
        raise step.error
    return render_step(services, step)


def _token_key(services: Services) -> bytes:
    return services.vault.derived_key("form token")


def render_step(services: Services, result: flow.Step, polls: int = 0) -> Page:
    """The page for the session as it stands; the form carries the page nonce the flow issued
    (rendering changes nothing, so a page shown again is the same page). A page that waits
    for an out-of-band approval reloads itself, less often the longer it waits (``polls``)."""
    session = result.session
    if session.phase is Phase.COMPLETED:
        return final_page(services, session)
    assert session.page_token is not None and session.page_deadline is not None
    token = tokens.sign(
        _token_key(services),
        tokens.FormToken(session.acs_trans_id, session.page_token, int(session.page_deadline)),
    )
    view = flow.view(services.challenge, result)
    refresh = None
    if view.kind is InputKind.OOB:
        polls = min(max(polls, 0), _MAX_POLLS)
        url = f"{services.settings.public_url}{STEP_PATH}?{urlencode({'token': token, 'n': polls})}"
        refresh = (min(2 + polls, _MAX_POLL_SECONDS), url)
    return services.renderer.step_page(
        view,
        window_size=_window(session) or "05",
        language=session.browser_language,
        branding=branding_of(services, session),
        purchase=purchase_of(session),
        pan_masked=session.pan_masked,
        form_action=services.settings.public_url + STEP_PATH,
        token=token,
        refresh=refresh,
    )


def branding_of(services: Services, session: Session) -> Branding:
    """The card range's look, for a page or the app's HTML UI."""
    card_range = services.directory.range_by_id(session.card_range_id)
    return Branding(
        issuer_name=card_range.issuer_name if card_range else "Issuer",
        scheme_name=card_range.scheme.display_name if card_range else session.scheme,
        primary_color=card_range.branding.primary_color if card_range else "#1a4d8f",
        issuer_logo=card_range.branding.issuer_logo if card_range else None,
    )


def purchase_of(session: Session) -> Purchase:
    return Purchase(
        merchant_name=session.merchant_name or "",
        amount_minor=session.purchase_amount,
        currency_numeric=session.purchase_currency,
        exponent=int(session.purchase_exponent) if session.purchase_exponent else None,
    )


def final_cres(session: Session) -> CRes:
    """The browser's final CRes: Y or N only (reference section 4.1); U and the rest become N."""
    assert session.result is not None
    status = session.result.trans_status
    return CRes(
        threeDSServerTransID=session.three_ds_server_trans_id,
        acsTransID=session.acs_trans_id,
        messageType=MessageType.CRES.value,
        messageVersion=session.message_version,
        transStatus=status
        if status == TransStatus.AUTHENTICATED
        else TransStatus.NOT_AUTHENTICATED.value,
    )


def final_page(services: Services, session: Session) -> Page:
    cres = final_cres(session)
    body = _encode(cres) if session.faults is None else cres_body(cres, session.faults)
    return services.renderer.final_page(
        window_size=_window(session) or "05",
        language=session.browser_language,
        notification_url=session.browser.notification_url if session.browser else "",
        cres=b64url_encode(body),
        session_data=session.browser.session_data if session.browser else None,
    )


def _window(session: Session) -> str | None:
    return session.browser.window_size if session.browser else None
