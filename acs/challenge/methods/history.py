"""Transaction history: the cardholder ticks every one of their recent payments among decoys
(a multi-select step). One or two payments come from the card's last payments authenticated by
a challenge (``remember``; frictionless ones are not kept: measured with `make bench areq`, the
write cost a frictionless AReq ~40 µs, a quarter of its time) or the cardholder's history in
config/. The decoys are drawn from a fixed list of plausible merchants, never one the cardholder
paid. The session keeps the options and only an HMAC of the right answer."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import time

import msgspec
from babel.dates import format_date

from acs.challenge.methods.base import Entry, MethodContext, Sent, Verdict
from acs.challenge.methods.states import HistoryState, Option
from acs.challenge.session import Session
from acs.challenge.texts import format_amount
from acs.challenge.view import Choice, InputKind, View, why
from acs.issuer.models import PastPayment

OPTIONS = 5  # shown in all; challengeSelectInfo lists each
_DECOYS = (
    "City Cinema",
    "Green Grocer",
    "Harbour Books",
    "Metro Fuel",
    "Nordic Outdoor",
    "Pixel Games",
    "Sunrise Bakery",
    "Urban Shoes",
)
_rng = random.SystemRandom()


def _digest(key: bytes, acs_trans_id: str, values: list[str]) -> str:
    text = f"{acs_trans_id}:{','.join(sorted(values))}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _label(payment: PastPayment, lang: str) -> str:
    amount = format_amount(str(payment.amount_minor), payment.currency, payment.exponent, lang)
    amount = amount or ""
    day = dt.date.today() - dt.timedelta(days=payment.days_ago)
    return f"{payment.merchant} · {amount} · {format_date(day, 'd MMM', locale=lang)}"


def build(history: list[PastPayment], lang: str) -> tuple[list[Option], list[str]]:
    """The options shown (shuffled) and the values of the cardholder's own payments."""
    own = _rng.sample(history, min(len(history), _rng.choice((1, 2))))
    paid = {p.merchant for p in history}
    decoys = [
        PastPayment(
            merchant=name,
            amount_minor=_rng.randrange(300, 20000),
            currency=own[0].currency if own else "978",
            days_ago=_rng.randrange(0, 14),
        )
        for name in _rng.sample([d for d in _DECOYS if d not in paid], OPTIONS - len(own))
    ]
    shown = [(p, p in own) for p in own] + [(d, False) for d in decoys]
    _rng.shuffle(shown)
    options = [Option(str(i), _label(p, lang)) for i, (p, _) in enumerate(shown, 1)]
    right = [str(i) for i, (_, mine) in enumerate(shown, 1) if mine]
    return options, right


class Paid(msgspec.Struct, array_like=True):
    """A payment as the card's recent-payments list keeps it."""

    merchant: str
    amount_minor: int
    currency: str
    exponent: int
    at: float


def remember(
    merchant: str | None, minor: str | None, currency: str | None, exponent: str | None
) -> bytes | None:
    """The record of an authenticated payment (None when it is not one: no merchant or amount)."""
    if not merchant or not minor or not minor.isdigit() or len(minor) > 12 or not currency:
        return None
    digits = int(exponent) if exponent and exponent.isdigit() else 2
    return msgspec.json.encode(
        Paid(merchant[:40], int(minor), currency, min(digits, 4), time.time())
    )


def _past(raw: bytes) -> PastPayment | None:
    try:
        paid = msgspec.json.decode(raw, type=Paid)
    except msgspec.MsgspecError:
        return None
    days = max(int((time.time() - paid.at) // 86400), 0)
    return PastPayment(
        merchant=paid.merchant,
        amount_minor=max(paid.amount_minor, 1),
        currency=paid.currency,
        days_ago=min(days, 365),
        exponent=paid.exponent,
    )


def _state(session: Session) -> HistoryState:
    assert isinstance(session.state, HistoryState), session.state
    return session.state


class History:
    kind = InputKind.MULTI_SELECT

    async def prepare(self, ctx: MethodContext, session: Session) -> list[PastPayment]:
        holder = await ctx.deps.directory.get_cardholder(session.cardholder_id or "")
        stored = [_past(raw) for raw in await ctx.deps.store.payments(session.pan_hash)]
        merchants, own = set(), []
        for payment in [*stored, *(holder.history if holder else [])]:
            if payment is not None and payment.merchant not in merchants:
                merchants.add(payment.merchant)
                own.append(payment)
        return own

    def start(self, ctx: MethodContext, session: Session, prepared: list[PastPayment]) -> None:
        options, right = build(prepared, ctx.t.lang)
        session.state = HistoryState(
            options, _digest(ctx.deps.otp_key, session.acs_trans_id, right)
        )

    def check(self, ctx: MethodContext, session: Session, entry: Entry) -> Verdict:
        state = _state(session)
        picked = sorted(set(entry.choices))
        if not picked:
            return Verdict.WRONG
        right = hmac.compare_digest(
            _digest(ctx.deps.otp_key, session.acs_trans_id, picked), state.digest
        )
        return Verdict.RIGHT if right else Verdict.WRONG

    async def verify(self, ctx: MethodContext, session: Session, entry: Entry) -> bool:
        raise AssertionError("history is judged by check")

    def next_method(self, session: Session) -> None:
        return None

    def renew(self, ctx: MethodContext, session: Session) -> None:
        return None  # nothing to resend

    async def send(self, ctx: MethodContext, session: Session, outbound: object) -> Sent:
        return Sent(None, None)

    def view(self, ctx: MethodContext, session: Session, message: str | None) -> View:
        t = ctx.t
        attempts_left = max(ctx.settings.max_attempts - session.attempts, 0)
        wrong = message in ("wrong", "expired")
        return View(
            kind=InputKind.MULTI_SELECT,
            header=t("history.title"),
            info=t("history.info"),
            label=t("history.label"),
            submit_label=t("history.submit"),
            cancel_label=t("otp.cancel"),
            status=t("history.status.wrong", n=attempts_left) if wrong else None,
            status_alert=wrong,
            hint=None if wrong else t("otp.attempts", n=attempts_left),
            why=why(t),
            choices=tuple(Choice(o.value, o.label) for o in _state(session).options),
        )
