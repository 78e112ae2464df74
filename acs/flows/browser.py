"""handle_browser_creq: the acsURL the merchant's iframe posts ``creq`` to, and the pages after it.

Every answer is a page, errors included (an Erro shown to the integrator); the state lives in
the store and in the signed form token, never in a cookie, because the iframe is cross-site.
"""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from aiohttp import web

from acs.challenge import flow, tokens
from acs.challenge.render import Branding, Page, Purchase
from acs.challenge.session import Phase, Session
from acs.protocol.codes import ChallengeCancel, ErrorCode, MessageType, MessageVersion, TransStatus
from acs.protocol.creq import MAX_SESSION_DATA_CHARS, b64url_encode, parse_browser_creq
from acs.protocol.errors import ProtocolError
from acs.risk.conform import technical_reason
from acs.services import Services
from acs.web.appkeys import SERVICES
from acs.web.forms import read_form

log = structlog.get_logger("acs.browser")

STEP_PATH = "/3ds/challenge/step"
_CONTENT_ERRORS = frozenset(
    {ErrorCode.REQUIRED_MISSING, ErrorCode.FORMAT_INVALID, ErrorCode.CRITICAL_EXTENSION_UNKNOWN}
)


def _respond(page: Page, status: int = 200) -> web.Response:
    return web.Response(
        text=page.html, status=status, headers=page.headers
    )  # headers carry the type


def error_page(
    services: Services, err: ProtocolError, window_size: str | None, language: str | None
) -> web.Response:
    page = services.renderer.error_page(
        window_size=window_size,
        language=language,
        error_code=err.code.value,
        description=err.code.description,
        detail=err.detail,
    )
    log.info(
        "browser.erro",
        errorCode=err.code.value,
        errorDetail=err.detail,
        acsTransID=err.ids.acsTransID,
    )
    return _respond(page, status=400)


async def acs_url(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    creq = None
    try:
        form = await read_form(request)
        creq_field, session_data = form.get("creq"), form.get("threeDSSessionData")
        if session_data is not None and (
            not isinstance(session_data, str) or len(session_data) > MAX_SESSION_DATA_CHARS
        ):
            raise ProtocolError(
                ErrorCode.FORMAT_INVALID,
                f"threeDSSessionData: longer than {MAX_SESSION_DATA_CHARS} characters",
                message_type="CReq",
            )
        creq = parse_browser_creq(creq_field if isinstance(creq_field, str) else None)
        step = await flow.on_creq(
            services, creq, session_data if isinstance(session_data, str) else None
        )
    except ProtocolError as err:
        session = await _fail_identified(services, err)
        size = (creq.challengeWindowSize if creq else None) or (
            session.window_size if session else None
        )
        return error_page(services, err, size, session.browser_language if session else None)
    return render_step(services, step)


async def _fail_identified(services: Services, err: ProtocolError) -> Session | None:
    """A malformed CReq for a live challenge ends it: U with challengeCancel 06, and an RReq.

    Returns the session the CReq named, if any, so the error page can fit its window and language.
    """
    acs_trans_id = err.ids.acsTransID
    session = await services.sessions.get(acs_trans_id) if acs_trans_id else None
    if session is None or err.code not in _CONTENT_ERRORS:
        return session
    if session.phase is not Phase.COMPLETED:
        await flow.complete(
            services,
            session.acs_trans_id,
            TransStatus.UNABLE,
            technical_reason(MessageVersion(session.message_version)),
            ChallengeCancel.TRANSACTION_ERROR,
            note=f"malformed CReq: {err}",
        )
    return session


async def step(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        form = await read_form(request)
    except ProtocolError as err:
        return error_page(services, err, None, None)
    token = tokens.verify(_token_key(services), str(form.get("token", "")))
    if token is None:
        bad_token = ProtocolError(
            ErrorCode.TRANSACTION_DATA_INVALID,
            "token: missing, altered or expired; start the challenge again",
            message_type="CReq",
        )
        return error_page(services, bad_token, None, None)
    session = await services.sessions.get(token.acs_trans_id)
    if session is None:
        expired = ProtocolError(
            ErrorCode.TRANSACTION_ID_UNKNOWN, "the challenge has expired", message_type="CReq"
        )
        return error_page(services, expired, None, None)
    if session.phase is not Phase.IN_PROGRESS or token.nonce != session.page_token:
        return render_step(services, flow.Step(session))  # an old page: show the current one
    action = str(form.get("action", "submit"))
    if action == "cancel":
        result = await flow.cancel(services, session, token.nonce)
    elif action == "resend":
        result = await flow.resend(services, session, token.nonce)
    else:
        result = await flow.submit(services, session, token.nonce, str(form.get("otp", ""))[:32])
    return render_step(services, result)


def _token_key(services: Services) -> bytes:
    return services.vault.derived_key("form token")


def render_step(services: Services, result: flow.Step) -> web.Response:
    """The page for the session as it stands; the form carries the page nonce the flow issued
    (rendering changes nothing, so a page shown again is the same page)."""
    session = result.session
    if session.phase is Phase.COMPLETED:
        return _respond(final_page(services, session))
    if result.error:
        return error_page(services, result.error, session.window_size, session.browser_language)
    assert session.page_token is not None and session.page_deadline is not None
    token = tokens.sign(
        _token_key(services),
        tokens.FormToken(session.acs_trans_id, session.page_token, int(session.page_deadline)),
    )
    settings = flow.settings_for(services, session)
    card_range = services.directory.range_by_id(session.card_range_id)
    assert session.otp is not None
    page = services.renderer.otp_page(
        window_size=session.window_size or "05",
        language=session.browser_language,
        branding=Branding(
            issuer_name=card_range.issuer_name if card_range else "Issuer",
            scheme_name=card_range.scheme.display_name if card_range else session.scheme,
            primary_color=card_range.branding.primary_color if card_range else "#1a4d8f",
            issuer_logo=card_range.branding.issuer_logo if card_range else None,
        ),
        purchase=Purchase(
            merchant_name=session.merchant_name or "",
            amount_minor=session.purchase_amount,
            currency_numeric=session.purchase_currency,
            exponent=int(session.purchase_exponent) if session.purchase_exponent else None,
        ),
        pan_masked=session.pan_masked,
        channel=session.otp.channel,
        destination_masked=session.otp.destination_masked,
        attempts_left=max(settings.max_attempts - session.attempts, 0),
        resends_left=max(settings.max_resends - session.resends, 0),
        message=result.message,
        form_action=services.settings.public_url + STEP_PATH,
        token=token,
        code_length=settings.otp_length,
    )
    return _respond(page)


def final_cres(session: Session) -> dict[str, Any]:
    """The browser's final CRes: Y or N only (reference section 4.1); U and the rest become N."""
    assert session.result is not None
    status = session.result.trans_status
    return {
        "threeDSServerTransID": session.three_ds_server_trans_id,
        "acsTransID": session.acs_trans_id,
        "messageType": MessageType.CRES.value,
        "messageVersion": session.message_version,
        "transStatus": status
        if status == TransStatus.AUTHENTICATED
        else TransStatus.NOT_AUTHENTICATED.value,
    }


def final_page(services: Services, session: Session) -> Page:
    cres = b64url_encode(msgspec.json.encode(final_cres(session)))
    return services.renderer.final_page(
        window_size=session.window_size or "05",
        language=session.browser_language,
        notification_url=session.notification_url or "",  # required in a browser AReq
        cres=cres,
        session_data=session.session_data,
    )


def routes() -> list[web.RouteDef]:
    return [web.post("/3ds/challenge", acs_url), web.post(STEP_PATH, step)]
