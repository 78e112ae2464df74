"""The interface every challenge method implements, and what the engine hands it.

The engine owns the session, the page, the attempt and resend limits, magic codes, completion
and timers; a method owns its state (``Session.state``), its check and what it shows. ``start``,
``check`` and ``renew`` run inside the compare-and-set that saves the session: they change only
the session they are given, may run again when the write is retried, and return what is to be
done once it is saved (``send``). ``verify`` is for checks that need someone else (a provider).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from acs.challenge.deps import ChallengeDeps
from acs.challenge.session import Session
from acs.challenge.texts import Catalog
from acs.challenge.view import InputKind, View
from acs.issuer.models import ChallengeMethod, ChallengeSettings, IssuerIntegration


@dataclass(frozen=True, slots=True)
class Entry:
    """What the cardholder answered: a text, the values chosen, or 'continue' (out of band)."""

    text: str = ""
    choices: tuple[str, ...] = ()
    oob_continue: bool = False


class Verdict(Enum):
    """What ``check`` made of an answer."""

    RIGHT = "right"
    WRONG = "wrong"  # counts against the attempt limit
    REFUSED = "refused"  # a final no (the cardholder denied it out of band): N at once
    EXPIRED = "expired"  # the method's window closed (no approval in time): N/14
    PENDING = "pending"  # nothing to judge yet (approval still awaited): not an attempt
    ASK = "ask"  # ``verify`` must ask someone else (a PIN provider)


@dataclass(frozen=True, slots=True)
class MethodContext:
    deps: ChallengeDeps
    settings: ChallengeSettings  # the card range's limits
    t: Catalog  # the cardholder's language
    issuer: IssuerIntegration | None = None  # the card range's issuer systems, if any
    # what ``verify`` asked someone else, for the challenge's steps (written by the engine)
    calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Sent:
    """What ``send`` did: the change to save (a delivery receipt) and the status to show."""

    change: Callable[[Session], None] | None
    message: str | None
    # the outcome, when the send already gave it: True approved, False denied, None not yet
    # (an issuer that checks the biometric at once); ``fallback`` when the method cannot go on
    verdict: bool | None = None
    fallback: bool = False


class Method(Protocol):
    kind: InputKind  # how the cardholder answers (the native UI an app must offer for it)

    async def prepare(self, ctx: MethodContext, session: Session) -> Any:
        """What ``start`` needs that takes I/O (the cardholder's payments), read before the
        atomic change; None for most methods."""
        ...

    def start(self, ctx: MethodContext, session: Session, prepared: Any) -> Any:
        """Set up ``session.state``; return what ``send`` must do after the save, or None."""
        ...

    def check(self, ctx: MethodContext, session: Session, entry: Entry) -> Verdict:
        """Judge the answer; may change ``session.state`` (a choice made)."""
        ...

    async def verify(self, ctx: MethodContext, session: Session, entry: Entry) -> bool: ...

    def next_method(self, session: Session) -> ChallengeMethod | None:
        """After a right answer: the method that runs next (a choice's pick), or None when the
        challenge is done."""
        ...

    def renew(self, ctx: MethodContext, session: Session) -> Any:
        """A resend: renew the state and return what ``send`` must do, or None if the method
        has nothing to resend."""
        ...

    async def send(self, ctx: MethodContext, session: Session, outbound: Any) -> Sent: ...

    def view(self, ctx: MethodContext, session: Session, message: str | None) -> View: ...
