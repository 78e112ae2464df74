"""Out-of-band approval as HTTP-free verbs: the simulated banking app's inbox page for one push
(``show_inbox``, ``answer_inbox``) and the issuer API (``issuer_decision``). A decision that
ends the challenge sends the RReq before it answers, like every other completion."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from acs.challenge import flow
from acs.challenge.methods.oob import INBOX_PATH, read_inbox_token
from acs.challenge.methods.states import OobState
from acs.challenge.render import Page
from acs.challenge.session import Phase, Session
from acs.flows.browser import branding_of, purchase_of
from acs.flows.rreq import send_rreq
from acs.services import Services


class Decision(StrEnum):
    APPROVE = "approve"
    DENY = "deny"


class UnknownLink(Exception):
    """The link is not one this ACS made, or its approval window has closed."""


@dataclass(frozen=True, slots=True)
class Decided:
    """The issuer API's answer: the challenge's state after the decision."""

    acs_trans_id: str
    accepted: bool  # False: the challenge was not waiting for an approval (or another won)
    phase: str
    trans_status: str | None


async def show_inbox(services: Services, token_text: str) -> Page:
    session, nonce = await _linked(services, token_text)
    return _page(services, session, token_text if _waiting(session, nonce) else None)


async def answer_inbox(services: Services, token_text: str, decision: Decision) -> Page:
    session, nonce = await _linked(services, token_text)
    step = await _decide(services, session.acs_trans_id, decision, "in the banking app", nonce)
    if not step.finished:  # another decision (or the timer) got there first
        return _page(services, step.session, None)
    outcome = "approved" if decision is Decision.APPROVE else "denied"
    return _page(services, step.session, None, outcome)


async def issuer_decision(services: Services, acs_trans_id: str, decision: Decision) -> Decided:
    """``KeyError`` when there is no such challenge."""
    step = await _decide(services, acs_trans_id, decision, "through the issuer API")
    result = step.session.result
    return Decided(
        acs_trans_id,
        accepted=step.finished,
        phase=step.session.phase.value,
        trans_status=result.trans_status if result else None,
    )


async def _decide(
    services: Services,
    acs_trans_id: str,
    decision: Decision,
    by: str,
    nonce: str | None = None,
) -> flow.Step:
    step = await flow.decide(
        services.challenge, acs_trans_id, decision is Decision.APPROVE, by=by, nonce=nonce
    )
    if step.finished:
        step.session = await send_rreq(services, acs_trans_id, session=step.session) or step.session
    return step


async def _linked(services: Services, token_text: str) -> tuple[Session, str]:
    token = read_inbox_token(services.challenge, token_text)
    session = await services.challenge.sessions.get(token.acs_trans_id) if token else None
    if token is None or session is None:
        raise UnknownLink(token_text)
    return session, token.nonce


def _waiting(session: Session, nonce: str) -> bool:
    state = session.state
    return (
        session.phase is Phase.IN_PROGRESS and isinstance(state, OobState) and state.nonce == nonce
    )


def _page(
    services: Services, session: Session, token: str | None, outcome: str | None = None
) -> Page:
    return services.renderer.inbox_page(
        language=session.browser_language,
        branding=branding_of(services, session),
        purchase=purchase_of(session),
        pan_masked=session.pan_masked,
        form_action=services.settings.public_url + INBOX_PATH + token if token else None,
        outcome=outcome,
        return_url=session.app.requestor_app_url if session.app and outcome else None,
    )
