"""One-time codes by SMS, email or voice: drawn from a CSPRNG, kept only as an HMAC bound to the
transaction, compared in constant time; or generated and verified by a PIN provider.

OTP status messages (``Step.message``, shown by ``otp_view``):

- ``None``: nothing to report (first render if the caller prefers silence)
- ``"sent"``: the first code went out
- ``"resent"``: a new code went out; earlier codes no longer work
- ``"wrong"``: the code did not match; the text includes the attempts left
- ``"delivery_failed"``: the code could not be sent; offers a resend if any are left
- ``"expired"``: the code expired; offers a resend if any are left
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from acs.challenge.magic import MAGIC_CODES
from acs.challenge.methods.base import Entry, MethodContext, Sent, Verdict
from acs.challenge.methods.states import OtpState
from acs.challenge.session import Session
from acs.challenge.texts import Catalog, format_amount, negotiate_locale
from acs.challenge.view import InputKind, View, expand, why
from acs.delivery.base import Channel, DeliveryReceipt, OtpMessage, mask_destination
from acs.issuer.callbacks import Call, Cancelled, Valid, amount
from acs.issuer.callbacks import Sent as IssuerSent
from acs.issuer.models import ChallengeMethod, DeliveryMode

# Status messages after an action (the page's status line)
MESSAGES = ("sent", "resent", "wrong", "delivery_failed", "expired")
_ERROR_MESSAGES = frozenset({"wrong", "delivery_failed", "expired"})  # role=alert, not status

ISSUER_ADAPTER = "issuer"  # the state's adapter when the issuer sends and checks the code

CHANNELS = {
    ChallengeMethod.OTP_SMS: Channel.SMS,
    ChallengeMethod.OTP_EMAIL: Channel.EMAIL,
    ChallengeMethod.OTP_VOICE: Channel.VOICE,
}


def new_code(length: int) -> str:
    """A random code that is never one of the magic codes (they would pick the outcome)."""
    while True:
        code = f"{secrets.randbelow(10**length):0{length}d}"
        if code not in MAGIC_CODES:
            return code


def digest(key: bytes, acs_trans_id: str, code: str) -> str:
    """Bound to the transaction, so a digest copied to another session proves nothing."""
    return hmac.new(key, f"{acs_trans_id}:{code}".encode(), hashlib.sha256).hexdigest()


def matches(key: bytes, acs_trans_id: str, code: str, stored: str) -> bool:
    return hmac.compare_digest(digest(key, acs_trans_id, code), stored)


def voice_text(t: Catalog, code: str) -> str:
    """Read digit by digit ("8, 1, 7, 7", not "eight thousand ...") and said twice: a listener
    cannot scroll back."""
    return t("otp.voice", digits=", ".join(code))


@dataclass(frozen=True, slots=True)
class Code:
    value: str
    resend: bool


def _state(session: Session) -> OtpState:
    assert isinstance(session.state, OtpState), session.state
    return session.state


class Otp:
    kind = InputKind.TEXT

    async def prepare(self, ctx: MethodContext, session: Session) -> None:
        return None

    def start(self, ctx: MethodContext, session: Session, prepared: None) -> Code:
        code = new_code(ctx.settings.otp_length)
        session.state = OtpState(
            digest=digest(ctx.deps.otp_key, session.acs_trans_id, code),
            expires_at=time.time() + ctx.settings.otp_ttl_seconds,
            channel=CHANNELS[session.method].value,
        )
        return Code(code, resend=False)

    def check(self, ctx: MethodContext, session: Session, entry: Entry) -> Verdict:
        state = _state(session)
        if state.digest is None:
            return Verdict.ASK  # the provider generated the PIN and checks it
        if not entry.text or time.time() > state.expires_at:
            return Verdict.WRONG
        right = matches(ctx.deps.otp_key, session.acs_trans_id, entry.text, state.digest)
        return Verdict.RIGHT if right else Verdict.WRONG

    async def verify(self, ctx: MethodContext, session: Session, entry: Entry) -> bool:
        state = _state(session)
        if not entry.text or time.time() > state.expires_at:
            return False
        if state.adapter == ISSUER_ADAPTER:  # the issuer sent the code and checks it
            payload = {
                "acsTransID": session.acs_trans_id,
                "reference": state.provider_ref,
                "code": entry.text,
            }
            call = await self._issuer_call(ctx, "otp/verify", payload, Valid)
            return bool(call is not None and call.ok and call.answer.valid)
        return (await ctx.deps.delivery.verify(_receipt(state), entry.text)).verified

    @staticmethod
    async def _issuer_call(
        ctx: MethodContext, path: str, payload: dict[str, Any], kind: type[Any]
    ) -> Call | None:
        if ctx.issuer is None or ctx.deps.issuer is None:
            return None
        call = await ctx.deps.issuer.call(ctx.issuer, path, payload, kind)
        ctx.calls.append(call.record())
        return call

    async def _send_by_issuer(self, ctx: MethodContext, session: Session, outbound: Code) -> Sent:
        """Delegated OTP: the issuer generates, sends and checks the code (otp/send, otp/verify);
        a resend cancels the earlier one (otp/cancel)."""
        state = _state(session)
        if outbound.resend and state.provider_ref:
            cancel = {"acsTransID": session.acs_trans_id, "reference": state.provider_ref}
            await self._issuer_call(ctx, "otp/cancel", cancel, Cancelled)
        payload = {
            "acsTransID": session.acs_trans_id,
            "cardholderId": session.cardholder_id,
            "channel": state.channel,
            "merchantName": session.merchant_name,
            "amount": amount(
                session.purchase_amount, session.purchase_currency, session.purchase_exponent
            ),
        }
        call = await self._issuer_call(ctx, "otp/send", payload, IssuerSent)
        holder = await ctx.deps.directory.get_cardholder(session.cardholder_id or "")
        destination = (
            (holder.email if state.channel == Channel.EMAIL else holder.mobile) if holder else None
        )
        calls = list(ctx.calls)

        def note(s: Session) -> None:
            otp = _state(s)
            otp.adapter, otp.digest = ISSUER_ADAPTER, None  # only the issuer knows the code
            otp.provider_ref = call.answer.reference if call and call.ok else None
            otp.destination_masked = mask_destination(destination) if destination else ""
            otp.delivery_status = "sent" if call and call.ok else "failed"
            otp.delivery_error = call.error if call and not call.ok else None
            for record in calls:
                s.log("issuer", **record)

        sent = call is not None and call.ok
        return Sent(note, ("resent" if outbound.resend else "sent") if sent else "delivery_failed")

    def next_method(self, session: Session) -> None:
        return None

    def renew(self, ctx: MethodContext, session: Session) -> Code:
        state = _state(session)
        code = new_code(ctx.settings.otp_length)
        # a new code replaces the old one: the old digest is gone
        state.digest = digest(ctx.deps.otp_key, session.acs_trans_id, code)
        state.expires_at = time.time() + ctx.settings.otp_ttl_seconds
        return Code(code, resend=True)

    async def send(self, ctx: MethodContext, session: Session, outbound: Code) -> Sent:
        if ctx.issuer is not None and ctx.issuer.delegated_otp:
            return await self._send_by_issuer(ctx, session, outbound)
        deps = ctx.deps
        holder = await deps.directory.get_cardholder(session.cardholder_id or "")
        channel = CHANNELS[session.method]
        email = channel is Channel.EMAIL
        destination = (holder.email if email else holder.mobile) if holder else None
        message = OtpMessage(
            acs_trans_id=session.acs_trans_id,
            channel=channel,
            destination=destination or "",
            code=outbound.value,
            text=_text(ctx, session, outbound.value, channel),
            pan_hash=session.pan_hash,
            pan_masked=session.pan_masked,
            locale=negotiate_locale(session.browser_language),
        )
        previous = _receipt(_state(session)) if outbound.resend else None
        outbox_only = holder is not None and holder.delivery is DeliveryMode.OUTBOX
        error = None
        if not destination:
            receipt = None
            error = f"cardholder has no {'email' if email else 'mobile number'} on file"
        elif previous is not None and previous.provider_verifies:
            receipt = await deps.delivery.resend(message, previous, outbox_only=outbox_only)
        else:
            receipt = await deps.delivery.send(message, outbox_only=outbox_only)

        def note(s: Session) -> None:
            state = _state(s)
            if receipt is not None:
                state.adapter = receipt.adapter
                state.destination_masked = receipt.destination_masked
                state.provider_ref = receipt.provider_ref
                state.delivery_status = receipt.status
                state.delivery_error = receipt.error
                if receipt.provider_verifies:
                    state.digest = None  # the provider generated the PIN and will verify it
            else:
                state.delivery_status, state.delivery_error = "failed", error
            s.log(
                "delivery",
                channel=channel.value,
                status=state.delivery_status,
                error=state.delivery_error,
            )

        sent = receipt is not None and receipt.ok
        status = ("resent" if outbound.resend else "sent") if sent else "delivery_failed"
        return Sent(note, status)

    def view(self, ctx: MethodContext, session: Session, message: str | None) -> View:
        state = _state(session)
        return otp_view(
            ctx.t,
            channel=state.channel,
            destination_masked=state.destination_masked,
            attempts_left=max(ctx.settings.max_attempts - session.attempts, 0),
            resends_left=max(ctx.settings.max_resends - session.resends, 0),
            message=message,
            code_length=ctx.settings.otp_length,
        )


def otp_view(
    t: Catalog,
    *,
    channel: str,
    destination_masked: str,
    attempts_left: int,
    resends_left: int,
    message: str | None,
    code_length: int,
) -> View:
    if message is not None and message not in MESSAGES:
        raise ValueError(f"unknown OTP message {message!r}; expected one of {MESSAGES}")
    channel_key = f"otp.sent_to.{channel}"
    if channel_key not in t:
        channel_key = "otp.sent_to.other"
    return View(
        kind=InputKind.TEXT,
        header=t("otp.title"),
        info=t(channel_key, destination=destination_masked, channel=channel),
        label=t("otp.label"),
        submit_label=t("otp.submit"),
        cancel_label=t("otp.cancel"),
        resend_label=t("otp.resend") if resends_left > 0 else None,
        status=_status(t, message, attempts_left, resends_left),
        status_alert=message in _ERROR_MESSAGES,
        # "wrong" already says how many attempts are left
        hint=None if message == "wrong" else t("otp.attempts", n=attempts_left),
        input_title=t("otp.input_title", digits=code_length),
        input_length=code_length,
        why=why(t),
        expand=expand(t, "otp"),
    )


def _status(t: Catalog, message: str | None, attempts_left: int, resends_left: int) -> str | None:
    if message is None:
        return None
    if message == "wrong":
        return t("otp.status.wrong", n=attempts_left)
    if message in ("delivery_failed", "expired") and resends_left <= 0:
        return t(f"otp.status.{message}_final")  # do not ask for a resend that is not offered
    return t(f"otp.status.{message}")


def _receipt(state: OtpState) -> DeliveryReceipt:
    return DeliveryReceipt(
        channel=Channel(state.channel),
        adapter=state.adapter,
        destination_masked=state.destination_masked,
        status=state.delivery_status,
        provider_ref=state.provider_ref,
        provider_verifies=state.digest is None and state.provider_ref is not None,
        error=state.delivery_error,
        sent_at=0.0,
    )


def _text(ctx: MethodContext, session: Session, code: str, channel: Channel) -> str:
    t = ctx.t
    if channel is Channel.VOICE:
        return voice_text(t, code)
    card_range = ctx.deps.directory.range_by_id(session.card_range_id)
    exponent = int(session.purchase_exponent) if session.purchase_exponent else None
    amount = format_amount(session.purchase_amount, session.purchase_currency, exponent, t.lang)
    return t(
        "otp.message",
        issuer=card_range.issuer_name if card_range else t("otp.your_bank"),
        code=code,
        amount=amount or "",
        merchant=session.merchant_name or "",
    )
