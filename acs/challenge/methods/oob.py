"""Out-of-band approval: a push to the issuer's banking app, simulated by an inbox page per
challenge (``/oob/<token>``, its link in the push) and by the issuer API. The approval, from
either, ends the challenge at once (``flow.decide``), so the RReq does not wait for the
cardholder to come back; the page (or the app's ``oobContinue``) then shows the result. A
continue before any decision is not an attempt. No decision within ``oob_ttl_seconds`` ends the
challenge N/14.

The link carries the acsTransID, the push's nonce and the deadline under an HMAC (like the
challenge form token): it is the one secret the banking app would hold, so no store key maps
links to transactions, and a resend makes earlier links worthless.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from acs.challenge import tokens
from acs.challenge.deps import ChallengeDeps
from acs.challenge.methods.base import Entry, MethodContext, Sent, Verdict
from acs.challenge.methods.states import OobState
from acs.challenge.session import Session
from acs.challenge.texts import format_amount, negotiate_locale
from acs.challenge.view import InputKind, View, expand, why
from acs.delivery.base import Channel, OtpMessage

INBOX_PATH = "/oob/"  # + the link token: the simulated banking app's page for one push


def _key(deps: ChallengeDeps) -> bytes:
    return deps.vault.derived_key("oob inbox")


def inbox_token(deps: ChallengeDeps, acs_trans_id: str, state: OobState) -> str:
    return tokens.sign(_key(deps), tokens.FormToken(acs_trans_id, state.nonce, int(state.deadline)))


def read_inbox_token(deps: ChallengeDeps, text: str) -> tokens.FormToken | None:
    """The link's transaction and nonce, if the link is genuine and not past its deadline."""
    return tokens.verify(_key(deps), text)


@dataclass(frozen=True, slots=True)
class Push:
    resend: bool


def _state(session: Session) -> OobState:
    assert isinstance(session.state, OobState), session.state
    return session.state


class Oob:
    kind = InputKind.OOB

    async def prepare(self, ctx: MethodContext, session: Session) -> None:
        return None

    def start(self, ctx: MethodContext, session: Session, prepared: None) -> Push:
        session.state = OobState(
            nonce=tokens.new_nonce(), deadline=time.time() + ctx.settings.oob_ttl_seconds
        )
        # the approval window is shorter than a page's: the page timer ends it
        session.page_deadline = min(session.page_deadline or 0.0, session.state.deadline)
        return Push(resend=False)

    def check(self, ctx: MethodContext, session: Session, entry: Entry) -> Verdict:
        # an approval or a denial ends the challenge where it is given (flow.decide): here the
        # cardholder came back before either
        if time.time() >= _state(session).deadline:
            return Verdict.EXPIRED
        return Verdict.PENDING

    async def verify(self, ctx: MethodContext, session: Session, entry: Entry) -> bool:
        raise AssertionError("an approval is given through the banking app, not verified here")

    def next_method(self, session: Session) -> None:
        return None

    def renew(self, ctx: MethodContext, session: Session) -> Push:
        _state(session).nonce = tokens.new_nonce()  # the earlier push's link stops working
        return Push(resend=True)

    async def send(self, ctx: MethodContext, session: Session, outbound: Push) -> Sent:
        deps, t, state = ctx.deps, ctx.t, _state(session)
        holder = await deps.directory.get_cardholder(session.cardholder_id or "")
        card_range = deps.directory.range_by_id(session.card_range_id)
        exponent = int(session.purchase_exponent) if session.purchase_exponent else None
        amount = format_amount(session.purchase_amount, session.purchase_currency, exponent, t.lang)
        link = deps.public_url + INBOX_PATH + inbox_token(deps, session.acs_trans_id, state)
        receipt = await deps.delivery.send(
            OtpMessage(
                acs_trans_id=session.acs_trans_id,
                channel=Channel.PUSH,
                destination=(holder.mobile if holder else None) or "",
                code=None,
                text=t(
                    "oob.push",
                    issuer=card_range.issuer_name if card_range else t("otp.your_bank"),
                    amount=amount or "",
                    merchant=session.merchant_name or "",
                ),
                pan_hash=session.pan_hash,
                pan_masked=session.pan_masked,
                locale=negotiate_locale(session.browser_language),
                link=link,
            ),
            outbox_only=True,  # the banking app is simulated: its inbox is the outbox
        )

        def note(s: Session) -> None:
            oob = _state(s)
            oob.destination_masked, oob.delivery_status = receipt.destination_masked, receipt.status
            s.log("delivery", channel=Channel.PUSH.value, status=receipt.status)

        return Sent(note, ("resent" if outbound.resend else "sent") if receipt.ok else "failed")

    def view(self, ctx: MethodContext, session: Session, message: str | None) -> View:
        t = ctx.t
        resends_left = max(ctx.settings.max_resends - session.resends, 0)
        status = t(f"oob.status.{message}") if message in _STATUSES else None
        return View(
            kind=InputKind.OOB,
            header=t("oob.title"),
            info=t("oob.info"),
            label="",
            submit_label=t("oob.continue"),
            cancel_label=t("otp.cancel"),
            resend_label=t("oob.resend") if resends_left > 0 else None,
            status=status,
            status_alert=message in ("pending", "failed"),
            why=why(t),
            expand=expand(t, "oob"),
        )


_STATUSES = frozenset({"sent", "resent", "pending", "failed"})
