"""What the cardholder knows, or holds in an authenticator app: the six-digit passcode, a
security question (KBA), a TOTP code. The answer is checked against the cardholder's record after
the attempt is counted (``Verdict.ASK``): hashes are checked in a worker thread (scrypt, see
``acs.issuer.vault``), never inside the session's compare-and-set, and nothing secret is kept in
the session.

TOTP allows one 30-second step either side of now (clock drift) and refuses a step the
cardholder already used: the step is claimed atomically in the store, so a code seen over a
shoulder, or sent twice at once, works once.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp

from acs.challenge.methods.base import Entry, MethodContext, Sent, Verdict
from acs.challenge.methods.states import KnowledgeState
from acs.challenge.session import Session
from acs.challenge.texts import Catalog
from acs.challenge.view import InputKind, View, why
from acs.issuer.callbacks import Valid
from acs.issuer.models import CardholderRecord, ChallengeMethod, KbaRecord
from acs.issuer.vault import normalise_answer
from acs.store import keys

PASSCODE_LENGTH = 6
TOTP_DIGITS = 6
_TOTP_STEP_SECONDS = 30
_TOTP_WINDOW = 1  # steps either side of now


def _state(session: Session) -> KnowledgeState:
    assert isinstance(session.state, KnowledgeState), session.state
    return session.state


async def _holder(ctx: MethodContext, session: Session) -> CardholderRecord | None:
    return await ctx.deps.directory.get_cardholder(session.cardholder_id or "")


def _view(
    ctx: MethodContext,
    session: Session,
    message: str | None,
    *,
    key: str,
    info: str,
    length: int | None,
    secret: bool,
) -> View:
    t: Catalog = ctx.t
    attempts_left = max(ctx.settings.max_attempts - session.attempts, 0)
    wrong = message == "wrong"
    return View(
        kind=InputKind.TEXT,
        header=t(f"{key}.title"),
        info=info,
        label=t(f"{key}.label"),
        submit_label=t("otp.submit"),
        cancel_label=t("otp.cancel"),
        status=t(f"{key}.wrong", n=attempts_left) if wrong else None,
        status_alert=wrong,
        hint=None if wrong else t("otp.attempts", n=attempts_left),
        input_title=t(f"{key}.input_title"),
        input_length=length,
        secret=secret,
        why=why(t),
    )


class _Knowledge:
    """What the three share: no delivery, no resend, checked after the attempt is counted."""

    kind = InputKind.TEXT

    async def prepare(self, ctx: MethodContext, session: Session) -> object:
        return None

    def check(self, ctx: MethodContext, session: Session, entry: Entry) -> Verdict:
        return Verdict.ASK

    def next_method(self, session: Session) -> ChallengeMethod | None:
        return None

    def renew(self, ctx: MethodContext, session: Session) -> None:
        return None  # nothing to send again

    async def send(self, ctx: MethodContext, session: Session, outbound: object) -> Sent:
        return Sent(None, None)


class Passcode(_Knowledge):
    def start(self, ctx: MethodContext, session: Session, prepared: object) -> None:
        session.state = KnowledgeState()

    async def verify(self, ctx: MethodContext, session: Session, entry: Entry) -> bool:
        code = entry.text.strip()
        if len(code) != PASSCODE_LENGTH or not code.isdigit():
            return False
        issuer, client = ctx.issuer, ctx.deps.issuer
        if issuer is not None and issuer.validates_passcode and client is not None:
            # the issuer's model: it checks the passcode; the ACS never keeps the value
            payload = {
                "acsTransID": session.acs_trans_id,
                "cardholderId": session.cardholder_id,
                "passcode": code,
            }
            call = await client.call(issuer, "validate-passcode", payload, Valid)
            ctx.calls.append(call.record())
            return bool(call.ok and call.answer.valid)
        holder = await _holder(ctx, session)
        if holder is None or holder.passcode_hash is None:
            return False
        return await ctx.deps.vault.verify_secret_async(code, holder.passcode_hash)

    def view(self, ctx: MethodContext, session: Session, message: str | None) -> View:
        return _view(
            ctx,
            session,
            message,
            key="passcode",
            info=ctx.t("passcode.info"),
            length=PASSCODE_LENGTH,
            secret=True,
        )


class Kba(_Knowledge):
    """The cardholder's security questions, drawn at random: the card range's ``kba_questions``
    of them (at most as many as the cardholder has), one after the other, each with its own
    attempts; a right answer to one leads to the next (``next_method``)."""

    async def prepare(self, ctx: MethodContext, session: Session) -> list[KbaRecord]:
        holder = await _holder(ctx, session)
        return holder.kba if holder else []

    def start(self, ctx: MethodContext, session: Session, prepared: list[KbaRecord]) -> None:
        before = session.state
        asked = list(before.asked) if isinstance(before, KnowledgeState) else []
        fresh = [i for i in range(len(prepared)) if i not in asked] or [0]
        question = fresh[secrets.randbelow(len(fresh))]
        chosen = prepared[question] if question < len(prepared) else None
        wanted = min(ctx.settings.kba_questions, len(prepared))
        session.state = KnowledgeState(
            question=question,
            prompt=chosen.question if chosen else "",
            prompt_id=chosen.question_id.value if chosen and chosen.question_id else None,
            asked=[*asked, question],
            remaining=max(wanted - len(asked) - 1, 0),
        )

    def next_method(self, session: Session) -> ChallengeMethod | None:
        return ChallengeMethod.KBA if _state(session).remaining > 0 else None

    async def verify(self, ctx: MethodContext, session: Session, entry: Entry) -> bool:
        holder, question = await _holder(ctx, session), _state(session).question or 0
        answer = normalise_answer(entry.text)
        if holder is None or question >= len(holder.kba) or not answer:
            return False
        return await ctx.deps.vault.verify_secret_async(answer, holder.kba[question].answer_hash)

    def view(self, ctx: MethodContext, session: Session, message: str | None) -> View:
        return _view(
            ctx,
            session,
            message,
            key="kba",
            info=ctx.t("kba.info", question=_prompt(ctx.t, _state(session))),
            length=None,
            secret=False,
        )


def _prompt(t: Catalog, state: KnowledgeState) -> str:
    return t(f"kba.questions.{state.prompt_id}") if state.prompt_id else state.prompt or ""


class Totp(_Knowledge):
    def start(self, ctx: MethodContext, session: Session, prepared: object) -> None:
        session.state = KnowledgeState()

    async def verify(self, ctx: MethodContext, session: Session, entry: Entry) -> bool:
        holder = await _holder(ctx, session)
        code = entry.text.strip()
        if holder is None or holder.totp_secret_enc is None or len(code) != TOTP_DIGITS:
            return False
        totp = pyotp.TOTP(ctx.deps.vault.decrypt_secret(holder.totp_secret_enc))
        now = int(time.time()) // _TOTP_STEP_SECONDS
        step = next(
            (
                at
                for at in range(now - _TOTP_WINDOW, now + _TOTP_WINDOW + 1)
                if hmac.compare_digest(totp.at(at * _TOTP_STEP_SECONDS), code)
            ),
            None,
        )
        if step is None:
            return False
        # the step is good once: a replayed code (or the same one sent twice at once) is wrong
        ttl = (_TOTP_WINDOW * 2 + 2) * _TOTP_STEP_SECONDS
        claimed = await ctx.deps.store.batch.command(
            "SET", keys.totp_step(holder.id, step), "1", "NX", "EX", ttl
        )
        return bool(claimed)

    def view(self, ctx: MethodContext, session: Session, message: str | None) -> View:
        return _view(
            ctx,
            session,
            message,
            key="totp",
            info=ctx.t("totp.info"),
            length=TOTP_DIGITS,
            secret=False,
        )
