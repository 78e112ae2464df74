"""Biometric, forwarded to the issuer: the ACS asks the issuer's systems (a signed
``POST {issuer}/biometric``) to check the cardholder's fingerprint or face in its banking app.
The issuer answers at once ("approved", "denied") or later ("pending", then a signed call to
the callback URL, see ``acs/web/callbacks.py``). Meanwhile the cardholder sees an out-of-band
screen. No verdict within the card range's ``biometric_timeout_seconds``, or an issuer that
cannot be reached, falls back to the range's ``biometric_fallback`` method, else U.
"""

from __future__ import annotations

import time

from acs.challenge import tokens
from acs.challenge.methods.base import Entry, MethodContext, Sent, Verdict
from acs.challenge.methods.oob import Push
from acs.challenge.methods.states import OobState
from acs.challenge.session import Session
from acs.challenge.view import InputKind, View
from acs.issuer.callbacks import Verdict as IssuerVerdict
from acs.issuer.callbacks import amount

CALLBACK_PATH = "/callbacks/biometric/"  # + acsTransID: where the issuer posts a late verdict


class Biometric:
    kind = InputKind.OOB

    async def prepare(self, ctx: MethodContext, session: Session) -> None:
        return None

    def next_method(self, session: Session) -> None:
        return None

    async def verify(self, ctx: MethodContext, session: Session, entry: Entry) -> bool:
        raise AssertionError("the verdict is the issuer's, given through flow.decide")

    def start(self, ctx: MethodContext, session: Session, prepared: None) -> Push:
        timeout = ctx.issuer.biometric_timeout_seconds if ctx.issuer else 60.0
        session.state = OobState(nonce=tokens.new_nonce(), deadline=time.time() + timeout)
        session.page_deadline = min(session.page_deadline or 0.0, session.state.deadline)
        return Push(resend=False)

    def check(self, ctx: MethodContext, session: Session, entry: Entry) -> Verdict:
        return Verdict.PENDING  # the verdict comes from the issuer (flow.decide), not the screen

    def renew(self, ctx: MethodContext, session: Session) -> None:
        return None  # the issuer's app asks again itself

    async def send(self, ctx: MethodContext, session: Session, outbound: Push) -> Sent:
        client, issuer = ctx.deps.issuer, ctx.issuer
        if client is None or issuer is None:
            return Sent(None, None, fallback=True)  # no issuer to ask: the range's fallback
        payload = {
            "acsTransID": session.acs_trans_id,
            "cardholderId": session.cardholder_id,
            "merchantName": session.merchant_name,
            "amount": amount(
                session.purchase_amount, session.purchase_currency, session.purchase_exponent
            ),
            "callbackUrl": ctx.deps.public_url + CALLBACK_PATH + session.acs_trans_id,
        }
        call = await client.call(issuer, "biometric", payload, IssuerVerdict)
        record = call.record()

        def note(s: Session) -> None:
            s.log("issuer", **record)

        if not call.ok:
            return Sent(note, None, fallback=True)
        verdict = call.answer.verdict
        return Sent(note, "sent", verdict=None if verdict == "pending" else verdict == "approved")

    def view(self, ctx: MethodContext, session: Session, message: str | None) -> View:
        t = ctx.t
        return View(
            kind=InputKind.OOB,
            header=t("biometric.title"),
            info=t("biometric.info"),
            label="",
            submit_label=t("oob.continue"),
            cancel_label=t("otp.cancel"),
            status=t("biometric.pending") if message == "pending" else None,
            status_alert=message == "pending",
        )
