"""The cardholder's choice of method ("where should we send your code?", "passcode or security
question?"): a single-select step that runs before the method chosen. The options and their
masked destinations are fixed when the step opens (``options``); the answer records the pick,
and the engine then starts it (``next_method``)."""

from __future__ import annotations

from acs.challenge.methods.base import Entry, MethodContext, Sent, Verdict
from acs.challenge.methods.otp import CHANNELS
from acs.challenge.methods.states import ChooseState
from acs.challenge.session import Session
from acs.challenge.texts import Catalog
from acs.challenge.view import Choice, InputKind, View, why
from acs.delivery.base import Channel, mask_destination
from acs.issuer.models import CardholderRecord, ChallengeMethod

# what each choosable method needs on file
_DESTINATION = {Channel.SMS: "mobile", Channel.VOICE: "mobile", Channel.EMAIL: "email"}


def options(methods: list[ChallengeMethod], cardholder: CardholderRecord) -> ChooseState | None:
    """The choice among ``methods`` (a code goes only where the cardholder has a number or an
    address); None when fewer than two are left (nothing to choose)."""
    offered, destinations = [], []
    for method in methods:
        channel = CHANNELS.get(method)
        destination = getattr(cardholder, _DESTINATION[channel]) if channel else ""
        if channel is None or destination:
            offered.append(method)
            destinations.append(mask_destination(destination) if destination else "")
    return ChooseState(offered, destinations) if len(offered) > 1 else None


def _state(session: Session) -> ChooseState:
    assert isinstance(session.state, ChooseState), session.state
    return session.state


class Choose:
    kind = InputKind.SINGLE_SELECT

    async def prepare(self, ctx: MethodContext, session: Session) -> None:
        return None

    def start(self, ctx: MethodContext, session: Session, prepared: ChooseState | None) -> None:
        if prepared is not None:  # (a first factor's options were set when the challenge opened)
            session.state = prepared

    def check(self, ctx: MethodContext, session: Session, entry: Entry) -> Verdict:
        picked = entry.choices[0] if len(entry.choices) == 1 else entry.text
        state = _state(session)
        state.chosen = next((m for m in state.options if m.value == picked), None)
        return Verdict.WRONG if state.chosen is None else Verdict.RIGHT

    async def verify(self, ctx: MethodContext, session: Session, entry: Entry) -> bool:
        raise AssertionError("a choice is judged by check")

    def next_method(self, session: Session) -> ChallengeMethod | None:
        return _state(session).chosen

    def renew(self, ctx: MethodContext, session: Session) -> None:
        return None

    async def send(self, ctx: MethodContext, session: Session, outbound: object) -> Sent:
        return Sent(None, None)

    def view(self, ctx: MethodContext, session: Session, message: str | None) -> View:
        t, state = ctx.t, _state(session)
        codes = all(m in CHANNELS for m in state.options)  # where to send a code
        return View(
            kind=InputKind.SINGLE_SELECT,
            header=t("choose.title"),
            info=t("choose.info" if codes else "choose.info_any"),
            label=t("choose.label" if codes else "choose.label_any"),
            submit_label=t("choose.submit" if codes else "choose.submit_any"),
            cancel_label=t("otp.cancel"),
            status=t("choose.status.wrong") if message == "wrong" else None,
            status_alert=message == "wrong",
            why=why(t),
            choices=tuple(
                Choice(m.value, _label(t, m, d))
                for m, d in zip(state.options, state.destinations, strict=True)
            ),
        )


def _label(t: Catalog, method: ChallengeMethod, destination: str) -> str:
    channel = CHANNELS.get(method)
    if channel is not None:
        return t(f"choose.option.{channel.value}", destination=destination)
    return t(f"choose.method.{method.value}")
